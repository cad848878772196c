-- Agreement between the levels, colours and boxes CDE reported and those recomputed from the rule seeds, by
-- release, indicator, entity type and student group. A reported value that is null (not in that year's layout) is
-- not compared. Rates are over the rows compared; color_agreement_coloured is over the rows CDE coloured.
select
    report_year,
    stage,
    release_key,
    indicator,
    entity_type,
    student_group,
    count(*) as row_count,
    count(status_level) as status_level_compared,
    count(*) filter (where status_level = status_level_computed) as status_level_agree,
    count(change_level) as change_level_compared,
    count(*) filter (where change_level = change_level_computed) as change_level_agree,
    count(color) as color_compared,
    count(*) filter (where color = color_computed) as color_agree,
    count(box) as box_compared,
    count(*) filter (where box = box_computed) as box_agree,
    count(*) filter (where color > 0) as coloured_rows,
    count(*) filter (where color > 0 and color = color_computed) as coloured_agree,
    count(*) filter (where status_level is distinct from status_level_computed and status_level is not null
                      or change_level is distinct from change_level_computed and change_level is not null
                      or color is distinct from color_computed and color is not null
                      or box is distinct from box_computed and box is not null) as disagreeing_rows
from {{ ref('fct_indicator_results') }}
group by report_year, stage, release_key, indicator, entity_type, student_group
