-- One row per (report_year, stage, cds) of every school in a year with ESSA determinations
-- (seeds/eligibility/essa_year_rules.csv). dashboard_methodology.md §4:
--   entry years: CSI Low Performing (Title I in the year of entry and All Students meeting a criterion of
--   essa_criteria), CSI Low Graduation Rate (two-year graduation rate below the threshold, all high schools),
--   ATSI (not CSI, a student group meeting a criterion on the year's Dashboard(s)), else General Assistance;
--   annual years: the entry year's CSI/ATSI status carries over unless the school exits (CSI Low Performing /
--   ATSI: the school or every ATSI group no longer meets a criterion; CSI Low Graduation Rate: three-year pooled
--   rate at or above the exit threshold), and TSI (a group meeting a criterion on two consecutive Dashboards).
-- Where a school meets both CSI criteria it is reported as CSI Low Performing (CDE's file has one status).
with schools as (
    select e.report_year, e.stage, e.release_key, e.cds, e.school_name, e.district_name, e.county_name,
           e.is_charter, e.is_dass, y.school_year, y.determination_kind, y.atsi_dashboard_years,
           y.tsi_dashboard_years, r.previous_report_year
    from {{ ref('dim_entity') }} as e
    join {{ ref('essa_year_rules') }} as y using (report_year)
    join {{ ref('report_years') }} as r using (report_year)
    where e.entity_type = 'school'
),

groups as (   -- each ATSI group with whether it also met a criterion on the previous Dashboard (public)
    select cur.release_key, cur.cds, cur.student_group, cur.meets_criteria, cur.criteria_met,
           case when cur.meets_criteria then {{ essa_ratings_text('cur') }} end as ratings,
           prev.meets_criteria as previous_meets_criteria
    from {{ ref('int_essa__group_criteria') }} as cur
    join {{ ref('report_years') }} as y using (report_year)
    left join {{ ref('int_essa__group_criteria') }} as prev
        on prev.report_year = y.previous_report_year and prev.stage = 'public'
        and prev.cds = cur.cds and prev.student_group = cur.student_group
    where cur.student_group <> 'ALL'
),

group_lists as (
    select g.release_key, g.cds,
           {{ list_agg('g.student_group', order_by='sg.sort_order') }} filter (where g.meets_criteria) as groups_one_year,
           {{ list_agg('g.student_group', order_by='sg.sort_order') }}
               filter (where g.meets_criteria and coalesce(g.previous_meets_criteria, false)) as groups_two_years,
           string_agg(g.student_group || ': ' || g.ratings, '; ' order by sg.sort_order)
               filter (where g.meets_criteria) as group_evidence
    from groups as g
    join {{ ref('student_groups') }} as sg using (student_group)
    group by g.release_key, g.cds
),

graduation as (
    select
        f.release_key, f.cds, f.report_year, r.threshold, r.exit_threshold, r.averaging,
        f.curr_denominator >= r.min_cohort_each_year
            and (r.averaging = 'single_year' or f.prior_denominator >= r.min_cohort_each_year) as has_required_cohorts,
        -- rates in double precision (100 * numerator / denominator), rounded half away from zero as DuckDB does
        case r.averaging
            when 'pooled' then {{ round_half_away_from_zero(
                'cast(100 as double precision) * (f.curr_numerator + f.prior_numerator)
                 / nullif(f.curr_denominator + f.prior_denominator, 0)', 1) }}
            when 'mean_of_rates' then {{ round_half_away_from_zero('(f.curr_status + f.prior_status) / 2', 1) }}
            when 'single_year' then {{ round_half_away_from_zero(
                'cast(100 as double precision) * f.curr_numerator / nullif(f.curr_denominator, 0)', 1) }}
            else {{ raise_error("'essa_graduation_rules: unknown averaging ' || r.averaging", 'double precision') }}
        end as two_year_rate,
        {{ round_half_away_from_zero(
            'cast(100 as double precision) * (f.curr_numerator + f.prior_numerator + p.prior_numerator)
             / nullif(f.curr_denominator + f.prior_denominator + p.prior_denominator, 0)', 1) }} as three_year_rate
    from {{ ref('fct_indicator_results') }} as f
    join {{ ref('essa_graduation_rules') }} as r on f.report_year between r.first_year and r.last_year
    join {{ ref('report_years') }} as y on y.report_year = f.report_year
    left join {{ ref('fct_indicator_results') }} as p
        on p.indicator = 'grad' and p.student_group = 'ALL' and p.report_year = y.previous_report_year
        and p.report_year = f.report_year - 1 and p.stage = 'public' and p.cds = f.cds
    where f.indicator = 'grad' and f.student_group = 'ALL' and f.entity_type = 'school'
),

judged as (   -- what this release's own results say
    select
        s.*,
        t.is_title_i,
        a.meets_criteria as all_students_meets_criteria,
        a.criteria_met as all_students_criteria,
        {{ essa_ratings_text('a') }} as all_students_ratings,
        g.two_year_rate, g.three_year_rate, g.threshold as graduation_threshold,
        g.exit_threshold as graduation_exit_threshold, g.averaging as graduation_averaging, coalesce(g.has_required_cohorts, false) as has_required_cohorts,
        coalesce(a.meets_criteria, false) and coalesce(t.is_title_i, false) as is_csi_low_performing_by_criteria,
        coalesce(g.has_required_cohorts and g.two_year_rate < g.threshold, false) as is_csi_low_graduation_by_criteria,
        coalesce(case when s.atsi_dashboard_years >= 2 then gl.groups_two_years else gl.groups_one_year end,
                 {{ empty_list('text') }})
            as atsi_groups,
        coalesce(case when s.tsi_dashboard_years >= 2 then gl.groups_two_years
                      when s.tsi_dashboard_years = 1 then gl.groups_one_year end, {{ empty_list('text') }}) as tsi_groups,
        coalesce(gl.groups_one_year, {{ empty_list('text') }}) as groups_meeting_criteria,
        gl.group_evidence
    from schools as s
    left join {{ ref('stg_reference__title_i_status') }} as t on t.report_year = s.report_year and t.cds = s.cds
    left join {{ ref('int_essa__group_criteria') }} as a
        on a.release_key = s.release_key and a.cds = s.cds and a.student_group = 'ALL'
    left join graduation as g on g.release_key = s.release_key and g.cds = s.cds
    left join group_lists as gl on gl.release_key = s.release_key and gl.cds = s.cds
),

entry_status as (
    select *,
        case
            when is_csi_low_performing_by_criteria then 'CSI Low Performing'
            when is_csi_low_graduation_by_criteria then 'CSI Low Graduation Rate'
            when {{ list_length('atsi_groups') }} > 0 then 'ATSI'
            else 'General Assistance'
        end as status
    from judged
    where determination_kind = 'entry'
),

annual as (
    select j.*, (select max(e.report_year) from {{ ref('essa_year_rules') }} as e
                 where e.determination_kind = 'entry' and e.report_year < j.report_year) as entry_year
    from judged as j
    where j.determination_kind = 'annual'
),

carried as (   -- the entry year's status, and whether each annual year since (this release included) kept it
    select
        a.release_key, a.cds,
        {{ any_value_in_group('e.status') }} as entry_status,
        {{ any_value_in_group('e.atsi_groups', is_array=true) }} as entry_atsi_groups,
        bool_and(coalesce(c.all_students_meets_criteria, false)) as keeps_csi_low_performing,
        bool_and(coalesce(c.three_year_rate, c.two_year_rate, 0) < c.graduation_exit_threshold
                 or c.graduation_exit_threshold is null) as keeps_csi_low_graduation,
        bool_and({{ list_length(list_intersection('c.groups_meeting_criteria', 'e.atsi_groups')) }} > 0) as keeps_atsi
    from annual as a
    join entry_status as e on e.report_year = a.entry_year and e.stage = 'public' and e.cds = a.cds
    join judged as c
        on c.cds = a.cds and c.determination_kind = 'annual' and c.report_year > a.entry_year
        and ((c.report_year < a.report_year and c.stage = 'public') or c.release_key = a.release_key)
    group by a.release_key, a.cds
),

annual_status as (
    select a.*, c.entry_status, c.entry_atsi_groups,
        case
            when c.entry_status = 'CSI Low Performing' and c.keeps_csi_low_performing then 'CSI Low Performing'
            when c.entry_status = 'CSI Low Graduation Rate' and c.keeps_csi_low_graduation then 'CSI Low Graduation Rate'
            when c.entry_status = 'ATSI' and c.keeps_atsi then 'ATSI'
            when {{ list_length('a.tsi_groups') }} > 0 then 'TSI'
            else 'General Assistance'
        end as status
    from annual as a
    left join carried as c using (release_key, cds)
),

statuses as (
    select release_key, cds, report_year, stage, report_year as cycle_entry_year, status, atsi_groups as status_groups,
           null::varchar as entry_status
    from entry_status
    union all
    select release_key, cds, report_year, stage,
           case when status = 'TSI' then report_year when entry_status is not null then entry_year end,
           status,
           case when status = 'ATSI' then {{ list_intersection('groups_meeting_criteria', 'entry_atsi_groups') }}
                when status = 'TSI' then tsi_groups else {{ empty_list('text') }} end,
           entry_status
    from annual_status
)

select
    j.report_year,
    j.stage,
    j.release_key,
    j.cds,
    j.school_name,
    j.district_name,
    j.county_name,
    j.school_year,
    coalesce(j.is_charter, false) as is_charter,
    coalesce(j.is_dass, false) as is_dass,
    j.is_title_i,
    j.determination_kind,
    s.cycle_entry_year,
    s.status as assistance_status,
    s.status in ('CSI Low Performing', 'CSI Low Graduation Rate', 'ATSI', 'TSI') as is_identified,
    j.all_students_meets_criteria,
    array_to_string(j.all_students_criteria, ',') as csi_low_performing_criteria,
    j.all_students_ratings,
    j.two_year_rate as graduation_two_year_rate,
    j.three_year_rate as graduation_three_year_rate,
    j.graduation_threshold,
    array_to_string(s.status_groups, ',') as student_groups_identified,
    {{ list_length('s.status_groups') }} as student_groups_identified_count,
    array_to_string(j.groups_meeting_criteria, ',') as student_groups_meeting_criteria,
    case
        when j.determination_kind = 'entry' and j.atsi_dashboard_years >= 2
            then j.previous_report_year || ',' || j.report_year
        when j.determination_kind = 'annual' and s.status = 'TSI'
            then j.previous_report_year || ',' || j.report_year
        when j.determination_kind = 'annual' and s.entry_status is not null
            then (select string_agg(report_year::varchar, ',' order by report_year) from {{ ref('essa_year_rules') }} as e
                  where e.report_year between s.cycle_entry_year and j.report_year)
        else j.report_year::varchar
    end as dashboard_years_used,
    p.status as previous_assistance_status,
    case
        when p.status in ('CSI Low Performing', 'CSI Low Graduation Rate')
             and s.status not in ('CSI Low Performing', 'CSI Low Graduation Rate') then 'CSIEXIT'
        when p.status = 'ATSI' and s.status not in ('ATSI', 'CSI Low Performing', 'CSI Low Graduation Rate')
            then 'ATSIEXIT'
        else 'NOEXIT'
    end as exit_status,
    case
        when p.status is null then case when s.status = 'General Assistance' then 'not identified'
                                        else 'identified, previous year not loaded' end
        when s.status = 'General Assistance' and p.status = 'General Assistance' then 'not identified'
        when s.status = 'General Assistance' then 'exiting'
        when s.status = p.status then 'continuing'
        else 'new'
    end as transition,
    case s.status
        when 'CSI Low Performing' then
            case when j.determination_kind = 'entry'
                 then 'CSI Low Performing: Title I school whose indicators meet ' || array_to_string(j.all_students_criteria, ', ')
                      || ' (' || j.all_students_ratings || ')'
                 else 'CSI Low Performing since ' || s.cycle_entry_year || ', still meeting '
                      || array_to_string(j.all_students_criteria, ', ') || ' (' || j.all_students_ratings || ')' end
        when 'CSI Low Graduation Rate' then
            case when j.determination_kind = 'entry'
                 then 'CSI Low Graduation Rate: graduation rate ' || {{ double_as_text('j.two_year_rate') }} || '% ('
                      || j.graduation_averaging || '), below ' || {{ double_as_text('j.graduation_threshold') }} || '%'
                 else 'CSI Low Graduation Rate since ' || s.cycle_entry_year || ': three-year rate '
                      || coalesce({{ double_as_text('j.three_year_rate') }} || '%', 'not available')
                      || ', below the exit threshold ' || {{ double_as_text('j.graduation_threshold') }} || '%' end
        when 'ATSI' then 'ATSI: student group(s) ' || array_to_string(s.status_groups, ', ')
            || ' meet CSI Low Performing criteria (' || j.group_evidence || ')'
            || case when j.determination_kind = 'entry' and j.atsi_dashboard_years >= 2
                    then ' in ' || j.previous_report_year || ' and ' || j.report_year else '' end
        when 'TSI' then 'TSI: student group(s) ' || array_to_string(s.status_groups, ', ')
            || ' meet CSI Low Performing criteria in ' || j.previous_report_year || ' and ' || j.report_year
            || ' (' || j.group_evidence || ')'
        else 'General Assistance'
            || case when p.status is not null and p.status <> 'General Assistance' then ' (exits ' || p.status || ')' else '' end
            || case when j.all_students_meets_criteria and j.is_title_i is null
                    then ': All Students meet ' || array_to_string(j.all_students_criteria, ', ')
                         || ' but the Title I status is unknown (raw/reference/title_i_status.txt)'
                    when j.all_students_meets_criteria and not j.is_title_i
                    then ': All Students meet ' || array_to_string(j.all_students_criteria, ', ')
                         || ' but the school is not Title I funded'
                    when j.determination_kind = 'annual' and {{ list_length('j.groups_meeting_criteria') }} > 0
                    then ': no entry this year; groups meeting criteria only this year: '
                         || array_to_string(j.groups_meeting_criteria, ', ')
                    else '' end
    end as explanation
from judged as j
join statuses as s using (release_key, cds)
left join statuses as p
    on p.report_year = j.previous_report_year and p.stage = 'public' and p.cds = j.cds
