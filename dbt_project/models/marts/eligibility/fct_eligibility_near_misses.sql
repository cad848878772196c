{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- Who is at the edge on preview day: one row per LEA or school, student group and one-level change of one
-- indicator (or, for ESSA, one of the indicators at a level) that would flip the determination. Not identified:
-- one level worse would identify; identified: one level better would end the identification.
-- DA: scenarios of int_da__near_miss_scenarios judged by the same Method 1 / 3 rules and charter rule.
-- ESSA: the CSI Low Performing criteria are counts of indicators per level, so the scenarios move one indicator
-- between the worst, second and third levels and are judged by the same criteria (macros/eligibility.sql).
with da_lea as (
    select e.*, y.methods, y.charter_consecutive_years
    from {{ ref('fct_da_eligibility') }} as e
    join {{ ref('da_year_rules') }} as y on e.report_year between y.first_year and y.last_year
    where {{ release_and_later_predicate('e.report_year', 'e.release_key') }}
),

da as (
    select
        'da' as program, l.report_year, l.stage, l.release_key, l.cds, l.lea_name as entity_name, l.county_name,
        l.is_eligible as is_identified, l.assistance_status as current_status,
        s.student_group, i.short_name as indicator, s.direction,
        coalesce(lf.label, 'level ' || s.rating_from) || ' to ' || coalesce(lt.label, 'level ' || s.rating_to) as change,
        case when l.is_eligible then 'General Assistance (not eligible)' else 'Differentiated Assistance (eligible)' end
            as outcome_if_changed,
        s.evidence as evidence_if_changed,
        coalesce({{ list_length('s.state_priorities') }}, 0) as priority_areas_if_changed
    from {{ ref('int_da__near_miss_scenarios') }} as s
    join da_lea as l using (release_key, cds)
    join {{ ref('indicators') }} as i on i.indicator = s.changed_indicator
    join {{ ref('int_da__ratings') }} as r
        on r.release_key = s.release_key and r.cds = s.cds and r.student_group = s.student_group
        and r.indicator = s.changed_indicator
    left join {{ ref('level_labels') }} as lf
        on lf.measure = r.measure and lf.rating = s.rating_from and lf.better_direction in ('*', i.better_direction)
    left join {{ ref('level_labels') }} as lt
        on lt.measure = r.measure and lt.rating = s.rating_to and lt.better_direction in ('*', i.better_direction)
    where coalesce(
        -- would the group qualify (Method 1, or Method 3 with a local indicator in another priority area)?
        ({{ list_has(split_string('l.methods', '|'), "'1'") }} and coalesce({{ list_length('s.state_priorities') }}, 0) >= 2)
        or ({{ list_has(split_string('l.methods', '|'), "'3'") }} and coalesce({{ list_length('s.state_priorities') }}, 0) = 1
            and {{ list_length(list_where(list_map(split_string('l.local_priorities_not_met_two_years', ','),
                                                   'p', try_cast_integer('p')),
                                          'p', 'p is not null and p <> s.state_priorities[1]')) }} > 0), false)
            <> l.is_eligible
      -- a charter also needs the previous year; a change this year cannot supply it
      and (l.lea_type <> 'charter' or l.is_eligible or coalesce(l.charter_consecutive_years, 1) <= 1
           or coalesce(l.previous_meets_criteria, false))
),

essa_schools as (
    select d.*, y.atsi_dashboard_years, y.tsi_dashboard_years, r.previous_report_year
    from {{ ref('fct_essa_school_determinations') }} as d
    join {{ ref('essa_year_rules') }} as y using (report_year)
    join {{ ref('report_years') }} as r using (report_year)
    where {{ release_and_later_predicate('d.report_year', 'd.release_key') }}
),

essa_groups as (
    select g.*, prev.meets_criteria as previous_meets_criteria
    from {{ ref('int_essa__group_criteria') }} as g
    join {{ ref('report_years') }} as y using (report_year)
    left join {{ ref('int_essa__group_criteria') }} as prev
        on prev.report_year = y.previous_report_year and prev.stage = 'public'
        and prev.cds = g.cds and prev.student_group = g.student_group
    where {{ release_and_later_predicate('g.report_year', 'g.release_key') }}
),

essa_scenarios as (   -- one indicator moved one level, as counts
    select g.*, s.direction, s.level_from, s.level_to,
           {{ level_mask('g', 's.level_from') }} as mask_at_level,
           g.n_worst + s.d_worst as s_worst, g.n_second + s.d_second as s_second
    from essa_groups as g
    join (values ('worse', 2, 1, 1, -1), ('worse', 3, 2, 0, 1), ('better', 1, 2, -1, 1), ('better', 2, 3, 0, -1))
        as s(direction, level_from, level_to, d_worst, d_second)
        on case s.level_from when 1 then g.n_worst when 2 then g.n_second else g.n_third end > 0
),

essa_scenario_counts as (
    select release_key, cds, student_group, report_year, direction, level_from, level_to,
           n_rated, s_worst as n_worst, s_second as n_second
    from essa_scenarios
),

essa_scenario_met as (
    select distinct release_key, cds, student_group, direction, level_from, level_to
    from ({{ essa_criteria_met('essa_scenario_counts', ['release_key', 'cds', 'student_group', 'direction', 'level_from', 'level_to']) }}) as met
),

essa as (
    select
        'essa' as program, d.report_year, d.stage, d.release_key, d.cds, d.school_name as entity_name, d.county_name,
        d.is_identified, d.assistance_status as current_status,
        s.student_group,
        {{ indicators_in_mask('s.mask_at_level') }} as indicator,
        s.direction,
        coalesce(lf.label, 'level ' || s.level_from) || ' to ' || coalesce(lt.label, 'level ' || s.level_to) as change,
        case
            when s.direction = 'worse' and s.student_group = 'ALL' then 'CSI Low Performing'
            when s.direction = 'worse' and d.determination_kind = 'entry' then 'ATSI'
            when s.direction = 'worse' then 'TSI'
            when d.determination_kind = 'annual' and d.assistance_status <> 'TSI' then 'exits ' || d.assistance_status
            else 'not ' || d.assistance_status
        end as outcome_if_changed,
        {{ essa_ratings_text('s') }} as evidence_if_changed,
        null::integer as priority_areas_if_changed
    from essa_scenarios as s
    join essa_schools as d using (release_key, cds)
    left join essa_scenario_met as m
        on m.release_key = s.release_key and m.cds = s.cds and m.student_group = s.student_group
        and m.direction = s.direction and m.level_from = s.level_from
    left join {{ ref('level_labels') }} as lf on lf.measure = s.measure and lf.rating = s.level_from and lf.measure = 'color'
    left join {{ ref('level_labels') }} as lt on lt.measure = s.measure and lt.rating = s.level_to and lt.measure = 'color'
    where
        -- not identified: the change makes the group meet a criterion where that would identify the school
        (s.direction = 'worse' and not d.is_identified and not s.meets_criteria and m.cds is not null and (
            (s.student_group = 'ALL' and d.determination_kind = 'entry' and coalesce(d.is_title_i, false))
            or (s.student_group <> 'ALL' and d.determination_kind = 'entry'
                and (d.atsi_dashboard_years <= 1 or coalesce(s.previous_meets_criteria, false)))
            or (s.student_group <> 'ALL' and d.determination_kind = 'annual' and d.tsi_dashboard_years >= 2
                and coalesce(s.previous_meets_criteria, false))))
        -- identified on its own results: the change makes the deciding group stop meeting every criterion
        or (s.direction = 'better' and s.meets_criteria and m.cds is null and (
            (s.student_group = 'ALL' and d.assistance_status = 'CSI Low Performing')
            or (s.student_group <> 'ALL' and d.assistance_status in ('ATSI', 'TSI')
                and d.student_groups_identified = s.student_group)))
)

select * from da
union all
select * from essa
