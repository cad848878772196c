-- Determinations that differ between a report year's preview and public release: LEAs (DA) and schools (ESSA)
-- newly identified or no longer identified in public, or whose status changed, with the reason: both
-- explanations and the colour changes of the entity's own results between the two releases.
with colour_changes as (
    -- the entity's coloured results that changed, e.g. "grad SWD: Orange -> Red"; few rows (changes only)
    select
        report_year,
        cds,
        {{ sorted_string_list("indicator || ' ' || student_group || ': ' || coalesce(preview_color_label, 'none')
            || ' -> ' || coalesce(public_color_label, 'none')") }} as changes
    from {{ ref('fct_preview_public_result_changes') }}
    where change_kind in ('colour changed', 'added in public', 'removed in public')
    group by report_year, cds
),

da as (
    {{ stage_pair_flips('da', ref('fct_da_eligibility'), 'lea_name', 'is_eligible') }}
),

essa as (
    {{ stage_pair_flips('essa', ref('fct_essa_school_determinations'), 'school_name', 'is_identified') }}
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
