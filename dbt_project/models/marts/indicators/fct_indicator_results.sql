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
-- The columns are int_indicator_results__levels_computed's: the reported values of every indicator in one shape,
-- then the levels, colour and box recomputed from the rule seeds beside them.
select *
from {{ ref('int_indicator_results__levels_computed') }}
{% if is_incremental() %}
where {{ release_predicate('release_key') }}
{% endif %}
