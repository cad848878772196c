{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- One row per (report_year, stage, cds, student_group, priority_area): whether the group met the criteria of the
-- LCFF priority area, by a state indicator (seeds/eligibility/da_state_criteria.csv) or by the LEA's local
-- indicator Not Met for Two or More Years (which counts for every group: dashboard_methodology.md §3).
with lea_groups as (   -- grouped on the keys only: the names ride along (a hash on every column cost memory)
    select report_year, stage, release_key, cds, student_group, {{ any_value_in_group('lea_name') }} as lea_name,
           {{ any_value_in_group('county_name') }} as county_name, {{ any_value_in_group('lea_type') }} as lea_type,
           {{ any_value_in_group('is_lea_evaluated') }} as is_lea_evaluated
    from {{ ref('int_da__ratings') }}
    where {{ release_and_later_predicate('report_year') }}
    group by report_year, stage, release_key, cds, student_group
),

applicable as (   -- per year, the priority areas with a rule (state criteria or local indicators): a few dozen rows
    select report_year, priority_area, bool_or(kind = 'state') as has_state_rule,
           bool_or(kind = 'local') as has_local_rule
    from (
        select r.report_year, c.priority_area, 'state' as kind
        from {{ ref('report_years') }} as r
        join {{ ref('da_state_criteria') }} as c on r.report_year between c.first_year and c.last_year
        union all
        select r.report_year, c.priority_area, 'local'
        from {{ ref('report_years') }} as r
        join {{ ref('da_local_criteria') }} as c on r.report_year between c.first_year and c.last_year
    ) as rules
    group by report_year, priority_area
),

priority_rows as (
    select g.*, a.priority_area, a.has_state_rule, a.has_local_rule
    from lea_groups as g
    join applicable as a on a.report_year = g.report_year
    join {{ ref('da_priority_areas') }} as p on p.priority_area = a.priority_area
    where not p.is_coe_only or g.lea_type = 'coe'
),

state as (   -- the state criteria's verdict and evidence per group and area (int_da__state_priority_evidence)
    select * from {{ ref('int_da__state_priority_evidence') }} where {{ release_and_later_predicate('report_year') }}
),

local_indicators as (
    select release_key, cds, priority_area,
           string_agg(local_indicator || ': ' || performance
                      || coalesce(' (previous year: ' || previous_performance || ')', ''), '; '
                      order by {{ code_point_order('local_indicator') }}) as local_evidence,
           bool_or(is_not_met_two_or_more_years and is_used_for_da) as is_not_met_two_or_more_years
    from {{ ref('int_da__local_indicators') }}
    group by release_key, cds, priority_area
)

select
    r.report_year,
    r.stage,
    r.release_key,
    r.cds,
    r.lea_name,
    r.county_name,
    r.lea_type,
    r.is_lea_evaluated,
    r.student_group,
    r.priority_area,
    p.priority_name,
    coalesce(s.is_met, false) as is_met_by_state_indicator,
    r.has_local_rule and coalesce(l.is_not_met_two_or_more_years, false) as is_met_by_local_indicator,
    coalesce(s.is_met, false) or (r.has_local_rule and coalesce(l.is_not_met_two_or_more_years, false)) as is_met,
    s.criteria_met,
    case
        when s.is_met then s.evidence_met
        when s.evidence_seen is not null then 'not met: ' || s.evidence_seen
        when r.has_state_rule then 'not met: no result for this group'
    end as state_evidence,
    case when r.has_local_rule then coalesce(l.local_evidence, 'no local indicator reported') end as local_evidence,
    concat_ws(', ', s.rule_variants,
              case when r.has_local_rule then 'LOCAL-NOT-MET-2-YEARS [' || r.report_year || ']' end) as rules_applied
from priority_rows as r
join {{ ref('da_priority_areas') }} as p using (priority_area)
left join state as s
    on s.release_key = r.release_key and s.cds = r.cds and s.student_group = r.student_group
    and s.priority_area = r.priority_area
left join local_indicators as l
    on l.release_key = r.release_key and l.cds = r.cds and l.priority_area = r.priority_area
