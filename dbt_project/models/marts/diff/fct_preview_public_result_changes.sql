-- Indicator results that differ between a report year's preview and public release: rows added or removed, status
-- or denominator revised, colour (or levels) changed. Only years with both stages loaded.
with years as (
    select report_year from {{ ref('dim_release') }} group by report_year having count(distinct stage) = 2
),

preview as (
    select * from {{ ref('fct_indicator_results') }}
    where stage = 'preview' and report_year in (select report_year from years)
),

public as (
    select * from {{ ref('fct_indicator_results') }}
    where stage = 'public' and report_year in (select report_year from years)
),

joined as (
    select
        coalesce(pv.report_year, pb.report_year) as report_year,
        coalesce(pv.indicator, pb.indicator) as indicator,
        coalesce(pv.cds, pb.cds) as cds,
        coalesce(pv.entity_type, pb.entity_type) as entity_type,
        coalesce(pv.student_group, pb.student_group) as student_group,
        pv.cds is not null as in_preview,
        pb.cds is not null as in_public,
        pv.curr_denominator as preview_denominator,
        pb.curr_denominator as public_denominator,
        pv.curr_status as preview_status,
        pb.curr_status as public_status,
        pv.change as preview_change,
        pb.change as public_change,
        pv.status_level as preview_status_level,
        pb.status_level as public_status_level,
        pv.change_level as preview_change_level,
        pb.change_level as public_change_level,
        pv.color as preview_color,
        pb.color as public_color
    from preview as pv
    full outer join public as pb
        on pv.report_year = pb.report_year and pv.indicator = pb.indicator and pv.cds = pb.cds
        and pv.student_group = pb.student_group
)

select
    j.*,
    case
        when not j.in_public then 'removed in public'
        when not j.in_preview then 'added in public'
        when j.preview_color is distinct from j.public_color then 'colour changed'
        when j.preview_status_level is distinct from j.public_status_level
            or j.preview_change_level is distinct from j.public_change_level then 'level changed'
        else 'revised'
    end as change_kind,
    cp.label as preview_color_label,
    cb.label as public_color_label
from joined as j
left join {{ ref('level_labels') }} as cp on cp.measure = 'color' and cp.rating = j.preview_color
left join {{ ref('level_labels') }} as cb on cb.measure = 'color' and cb.rating = j.public_color
where not (j.in_preview and j.in_public)
    or j.preview_status is distinct from j.public_status
    or j.preview_denominator is distinct from j.public_denominator
    or j.preview_change is distinct from j.public_change
    or j.preview_color is distinct from j.public_color
    or j.preview_status_level is distinct from j.public_status_level
    or j.preview_change_level is distinct from j.public_change_level
