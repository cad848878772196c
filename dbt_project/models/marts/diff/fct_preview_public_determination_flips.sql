-- Determinations that differ between a report year's preview and public release: LEAs (DA) and schools (ESSA)
-- newly identified or no longer identified in public, or whose status changed, with the reason: both
-- explanations and the colour changes of the entity's own results between the two releases.
with colour_changes as (
    -- the entity's coloured results that changed, e.g. "grad SWD: Orange -> Red"; few rows (changes only)
    select
        report_year,
        cds,
        list_sort(list(indicator || ' ' || student_group || ': ' || coalesce(preview_color_label, 'none')
            || ' -> ' || coalesce(public_color_label, 'none'))) as changes
    from {{ ref('fct_preview_public_result_changes') }}
    where change_kind in ('colour changed', 'added in public', 'removed in public')
    group by all
),

da as (
    select
        'DA' as program,
        pv.report_year,
        pv.cds,
        pb.lea_name as entity_name,
        pb.county_name,
        pv.assistance_status as preview_status,
        pb.assistance_status as public_status,
        pv.is_eligible as preview_identified,
        pb.is_eligible as public_identified,
        pv.explanation as preview_explanation,
        pb.explanation as public_explanation
    from {{ ref('fct_da_eligibility') }} as pv
    inner join {{ ref('fct_da_eligibility') }} as pb
        on pb.report_year = pv.report_year and pb.cds = pv.cds and pb.stage = 'public'
    where pv.stage = 'preview' and pv.assistance_status is distinct from pb.assistance_status
),

essa as (
    select
        'ESSA' as program,
        pv.report_year,
        pv.cds,
        pb.school_name as entity_name,
        pb.county_name,
        pv.assistance_status as preview_status,
        pb.assistance_status as public_status,
        pv.is_identified as preview_identified,
        pb.is_identified as public_identified,
        pv.explanation as preview_explanation,
        pb.explanation as public_explanation
    from {{ ref('fct_essa_school_determinations') }} as pv
    inner join {{ ref('fct_essa_school_determinations') }} as pb
        on pb.report_year = pv.report_year and pb.cds = pv.cds and pb.stage = 'public'
    where pv.stage = 'preview' and pv.assistance_status is distinct from pb.assistance_status
),

flips as (
    select * from da
    union all
    select * from essa
)

select
    f.*,
    case
        when f.public_identified and not f.preview_identified then 'newly identified in public'
        when f.preview_identified and not f.public_identified then 'no longer identified in public'
        else 'status changed'
    end as flip,
    coalesce(array_to_string(c.changes, '; '), '') as colour_changes,
    'preview: ' || f.preview_explanation || ' | public: ' || f.public_explanation as reason
from flips as f
left join colour_changes as c on c.report_year = f.report_year and c.cds = f.cds
