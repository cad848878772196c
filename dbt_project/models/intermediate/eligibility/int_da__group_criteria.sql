{{ config(materialized='table') }}
-- Each DA state-indicator criterion of the year, judged for every LEA and student group (macros/eligibility.sql).
{{ da_state_criteria_met(ref('int_da__ratings'), ['stage', 'release_key', 'cds']) }}
