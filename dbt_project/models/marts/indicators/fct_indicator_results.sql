{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_selected_releases() }}"
    )
}}
-- One row per (report_year, stage, indicator, cds, student_group): each indicator result as CDE reported it.
-- Incremental by release: a run rebuilds exactly the releases in var('releases') (all when null).
select
    report_year::integer as report_year,
    stage,
    release_key,
    indicator,
    cds,
    entity_type,
    student_group,
    curr_numerator,
    curr_denominator,
    curr_status,
    prior_numerator,
    prior_denominator,
    prior_status,
    change,
    status_level,
    change_level,
    color,
    box,
    is_safety_net,
    source_file,
    source_sha256,
    loaded_at
from {{ ref('int_indicator_results__unioned') }}
{% if is_incremental() %}
where {{ release_predicate('release_key') }}
{% endif %}
