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
-- The columns are int_indicator_results__unioned's, which fixes the shape of every indicator's rows.
select *
from {{ ref('int_indicator_results__unioned') }}
{% if is_incremental() %}
where {{ release_predicate('release_key') }}
{% endif %}
