-- Every row whose reported status level, change level, colour or box differs from the recomputed one, with the
-- inputs that decide it (status, change, denominators, safety net, cut-point table) and which fields differ.
select
    report_year,
    stage,
    release_key,
    indicator,
    cds,
    entity_type,
    student_group,
    curr_denominator,
    prior_denominator,
    curr_status,
    prior_status,
    change,
    is_safety_net,
    is_safety_net_computed,
    cut_table,
    status_level,
    status_level_computed,
    change_level,
    change_level_computed,
    color,
    color_computed,
    box,
    box_computed,
    color_ineligible_reason,
    concat_ws(', ',
        case when status_level is distinct from status_level_computed and status_level is not null
            then 'status_level' end,
        case when change_level is distinct from change_level_computed and change_level is not null
            then 'change_level' end,
        case when color is distinct from color_computed and color is not null then 'color' end,
        case when box is distinct from box_computed and box is not null then 'box' end
    ) as differing_fields,
    source_file
from {{ ref('fct_indicator_results') }}
where status_level is distinct from status_level_computed and status_level is not null
   or change_level is distinct from change_level_computed and change_level is not null
   or color is distinct from color_computed and color is not null
   or box is distinct from box_computed and box is not null
