{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- Each DA state-indicator criterion of the year, judged for every LEA and student group (macros/eligibility.sql).
with ratings as (
    select * from {{ ref('int_da__ratings') }} where {{ release_and_later_predicate('report_year') }}
)

{{ da_state_criteria_met('ratings', ['stage', 'release_key', 'cds']) }}
