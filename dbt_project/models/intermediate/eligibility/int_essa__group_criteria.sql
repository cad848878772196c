{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- The CSI Low Performing criteria each school's All Students group and each ATSI group meets, per release
-- (seeds/eligibility/essa_criteria.csv, macros/eligibility.sql).
with results as (
    select * from {{ ref('int_essa__group_results') }} where {{ release_and_later_predicate('report_year') }}
),

met as (
    {{ essa_criteria_met('results', ['stage', 'release_key', 'cds', 'student_group']) }}
)

select
    g.report_year, g.stage, g.release_key, g.cds, g.student_group, g.measure, g.n_rated, g.n_worst, g.n_second,
    g.n_third, g.level_1_mask, g.level_2_mask, g.level_3_mask, g.level_4_mask, g.level_5_mask,
    {{ sorted_string_list('m.criterion_id', where='m.criterion_id is not null') }} as criteria_met,
    count(m.criterion_id) > 0 as meets_criteria
from results as g
left join met as m using (stage, release_key, cds, student_group)
group by g.report_year, g.stage, g.release_key, g.cds, g.student_group, g.measure, g.n_rated, g.n_worst, g.n_second,
    g.n_third, g.level_1_mask, g.level_2_mask, g.level_3_mask, g.level_4_mask, g.level_5_mask
