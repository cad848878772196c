{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- One-level-changed scenarios for the DA near misses: for an LEA not eligible, each rating of a group that already
-- meets one state priority area (or, with a local indicator Not Met 2+ years, none) made one level worse; for an
-- eligible LEA whose eligibility rests on a single group meeting exactly two priority areas (Method 1 only), each
-- rating of that group made one level better. (LEAs eligible by Method 3 alone are not scanned.) Other changes cannot flip the outcome: one indicator belongs to one priority area. The scenarios
-- are judged by the same rules as the actual results (macros/eligibility.sql).
with lea as (
    select release_key, cds, is_eligible, is_method_2_met, qualifying_student_group_count,
           local_priorities_not_met_two_years
    from {{ ref('fct_da_eligibility') }}
    where {{ release_and_later_predicate('report_year') }}
),

group_counts as (
    select release_key, cds, student_group,
           count(*) filter (where is_met_by_state_indicator) as state_priority_count
    from {{ ref('fct_da_student_group_priorities') }}
    where {{ release_and_later_predicate('report_year') }}
    group by release_key, cds, student_group
),

candidates as (
    select r.release_key, r.cds, r.student_group, r.indicator as changed_indicator, r.rating as rating_from,
           r.rating + d.delta as rating_to, d.direction
    from {{ ref('int_da__ratings') }} as r
    join lea as l using (release_key, cds)
    join group_counts as g using (release_key, cds, student_group)
    join (values ('worse', -1), ('better', 1)) as d(direction, delta)
        on (d.delta = -1 and not l.is_eligible
            and (g.state_priority_count = 1 or (g.state_priority_count = 0 and l.local_priorities_not_met_two_years <> '')))
        or (d.delta = 1 and l.is_eligible and not l.is_method_2_met and l.qualifying_student_group_count = 1
            and g.state_priority_count = 2)
    where r.rating + d.delta between 1 and 5
),

scenario_ratings as (
    select c.changed_indicator, c.direction, c.rating_from, c.rating_to,
           r.stage, r.release_key, r.cds, r.report_year, r.student_group, r.indicator, r.measure,
           case when r.indicator = c.changed_indicator then c.rating_to else r.rating end as rating
    from candidates as c
    join {{ ref('int_da__ratings') }} as r using (release_key, cds, student_group)
),

judged as (
    {{ da_state_criteria_met('scenario_ratings', ['stage', 'release_key', 'cds', 'changed_indicator', 'direction', 'rating_from', 'rating_to']) }}
)

select stage, release_key, cds, report_year, student_group, changed_indicator, direction, rating_from, rating_to,
       {{ list_agg('priority_area', order_by='priority_area', distinct=true) }} filter (where is_met) as state_priorities,
       -- a priority area can have several criteria: their evidence in code-point order within the area
       string_agg(evidence, '; ' order by priority_area, {{ code_point_order('evidence') }}) filter (where is_met)
           as evidence
from judged
group by stage, release_key, cds, report_year, student_group, changed_indicator, direction, rating_from, rating_to
