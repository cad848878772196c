{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- Per LEA, student group and LCFF priority area: whether a DA state criterion was met, with the criteria and the
-- evidence as strings. Its own model (not a CTE of fct_da_student_group_priorities) so that these per-group lists
-- are built and written before the mart's joins read them: in one query the aggregation's list states and the two
-- hash joins carrying every string column held memory together (at scale 1 the query needed 600-900 MB of DuckDB
-- memory; each part alone fits in 600 MB; docs/benchmark.md).
select
    report_year,
    release_key,
    cds,
    student_group,
    priority_area,
    bool_or(is_met) as is_met,
    nullif(array_to_string({{ sorted_string_list('criterion_id', where='is_met') }}, ', '), '') as criteria_met,
    nullif(array_to_string({{ sorted_string_list('evidence', where='is_met') }}, '; '), '') as evidence_met,
    array_to_string({{ sorted_string_list('evidence') }}, '; ') as evidence_seen,
    array_to_string({{ sorted_string_list('rule_variant', distinct=true) }}, ', ') as rule_variants
from {{ ref('int_da__group_criteria') }}
where {{ release_and_later_predicate('report_year') }}
group by report_year, release_key, cds, student_group, priority_area
