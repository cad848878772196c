-- One row per (report_year, stage, cds) of every school in a year with ESSA determinations
-- (seeds/eligibility/essa_year_rules.csv). dashboard_methodology.md §4 and rules_audit.md A1-A5, A16:
--   entry years: CSI Low Graduation Rate (graduation rate pooled over the rule's cohorts below the threshold, all
--   high schools), CSI Low Performing (Title I in the year of entry and All Students meeting a criterion of
--   essa_criteria), ATSI (not CSI, a student group meeting a criterion on the year's Dashboard(s)), else General
--   Assistance; a school meeting several takes the lowest entry_precedence of essa_status_codes (CSI Low
--   Graduation Rate first, A2);
--   annual years: the entry year's CSI status carries over unless the school exits (CSI Low Performing: All
--   Students no longer meet a criterion; CSI Low Graduation Rate: the pooled exit rate at or above the exit
--   threshold); ATSI carries over while any ATSI student group meets a criterion (A4, inferred from CDE's files),
--   and those groups are reported; else TSI (a group meeting a criterion on two consecutive Dashboards);
--   exit codes: the previous status's exit_code when the school leaves its family (ATSI -> CSI is ATSIEXIT, A3).
-- Graduation cohorts a rule needs but no input carries (2020 and 2021 for schools that are not DASS) are named in
-- the explanation; the rate is computed on the cohorts there are (int_essa__graduation_cohorts).
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

graduation_rules as (
    select y.report_year, r.*
    from {{ ref('report_years') }} as y
    join {{ ref('essa_graduation_rules') }} as r on y.report_year between r.first_year and r.last_year
),

graduation as (   -- the entry rate over entry_cohorts cohorts and the exit rate over exit_cohorts, both ending Y
    select
        c.release_key, c.cds, r.threshold, r.exit_threshold, r.averaging, r.entry_cohorts, r.dass_note,
        bool_and(c.cohort_students >= r.min_cohort_each_year)
            filter (where c.cohort_year > c.report_year - r.entry_cohorts and c.cohort_students is not null)
            and bool_or(c.cohort_year = c.report_year and c.cohort_students >= r.min_cohort_each_year)
            as has_required_cohorts,
        case r.averaging
            when 'pooled' then {{ round_half_away_from_zero(
                'cast(100 as double precision) * sum(c.graduates) filter (where c.cohort_year > c.report_year - r.entry_cohorts)
                 / nullif(sum(c.cohort_students) filter (where c.cohort_year > c.report_year - r.entry_cohorts), 0)', 1) }}
            when 'mean_of_rates' then {{ round_half_away_from_zero(
                'avg(cast(100 as double precision) * c.graduates / nullif(c.cohort_students, 0))
                 filter (where c.cohort_year > c.report_year - r.entry_cohorts)', 1) }}
            else {{ raise_error("'essa_graduation_rules: unknown averaging ' || r.averaging", 'double precision') }}
        end as entry_rate,
        {{ round_half_away_from_zero(
            'cast(100 as double precision) * sum(c.graduates) filter (where c.cohort_year > c.report_year - r.exit_cohorts)
             / nullif(sum(c.cohort_students) filter (where c.cohort_year > c.report_year - r.exit_cohorts), 0)', 1) }}
            as exit_rate,
        string_agg(c.cohort_year::varchar, ',' order by c.cohort_year)
            filter (where c.cohort_year > c.report_year - r.entry_cohorts and c.cohort_students is not null)
            as entry_years_used,
        string_agg(c.cohort_year::varchar, ',' order by c.cohort_year)
            filter (where c.cohort_year > c.report_year - r.entry_cohorts and c.cohort_students is null)
            as entry_years_missing,
        string_agg(c.cohort_year::varchar, ',' order by c.cohort_year)
            filter (where c.cohort_year > c.report_year - r.exit_cohorts and c.cohort_students is null)
            as exit_years_missing
    from {{ ref('int_essa__graduation_cohorts') }} as c
    join graduation_rules as r on r.report_year = c.report_year
    group by c.release_key, c.cds, r.threshold, r.exit_threshold, r.averaging, r.entry_cohorts, r.dass_note
),

judged as (   -- what this release's own results say
    select
        s.*,
        t.is_title_i,
        a.meets_criteria as all_students_meets_criteria,
        a.criteria_met as all_students_criteria,
        {{ essa_ratings_text('a') }} as all_students_ratings,
        g.entry_rate, g.exit_rate, g.threshold as graduation_threshold, g.entry_cohorts as graduation_entry_cohorts,
        g.exit_threshold as graduation_exit_threshold, g.averaging as graduation_averaging,
        coalesce(g.has_required_cohorts, false) as has_required_cohorts,
        g.entry_years_used, g.entry_years_missing, g.exit_years_missing, g.dass_note as graduation_dass_note,
        coalesce(a.meets_criteria, false) and coalesce(t.is_title_i, false) as is_csi_low_performing_by_criteria,
        coalesce(g.has_required_cohorts and g.entry_rate < g.threshold, false) as is_csi_low_graduation_by_criteria,
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

entry_candidates as (   -- every entry status a school's results qualify it for; essa_status_codes decides
    select release_key, cds, 'CSI Low Graduation Rate' as status from judged
    where determination_kind = 'entry' and is_csi_low_graduation_by_criteria
    union all
    select release_key, cds, 'CSI Low Performing' from judged
    where determination_kind = 'entry' and is_csi_low_performing_by_criteria
    union all
    select release_key, cds, 'ATSI' from judged
    where determination_kind = 'entry' and {{ list_length('atsi_groups') }} > 0
    union all
    select release_key, cds, 'General Assistance' from judged where determination_kind = 'entry'
),

entry_choice as (
    select c.release_key, c.cds, {{ value_at_min('c.status', 'p.entry_precedence') }} as status
    from entry_candidates as c
    join {{ ref('essa_status_codes') }} as p on p.assistance_status = c.status
    group by c.release_key, c.cds
),

entry_status as (
    select j.*, ec.status
    from judged as j
    join entry_choice as ec using (release_key, cds)
    where j.determination_kind = 'entry'
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
        bool_and(coalesce(c.exit_rate, 0) < c.graduation_exit_threshold
                 or c.graduation_exit_threshold is null) as keeps_csi_low_graduation,
        -- ATSI stays while any ATSI group meets a criterion, not only the entry groups (rules_audit.md A4)
        bool_and({{ list_length('c.groups_meeting_criteria') }} > 0) as keeps_atsi
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
           case when status = 'ATSI' then groups_meeting_criteria
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
    j.entry_rate as graduation_entry_rate,
    j.exit_rate as graduation_exit_rate,
    j.graduation_threshold,
    j.entry_years_used as graduation_cohort_years_used,
    j.entry_years_missing as graduation_cohort_years_missing,
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
    case when nullif(pc.exit_code, '') is not null and pc.exit_code is distinct from nullif(sc.exit_code, '')
         then pc.exit_code else 'NOEXIT' end as exit_status,
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
                 then 'CSI Low Graduation Rate: graduation rate ' || {{ double_as_text('j.entry_rate') }} || '% ('
                      || j.graduation_averaging || ' over ' || replace(j.entry_years_used, ',', ', ')
                      || coalesce('; ' || replace(j.entry_years_missing, ',', ', ')
                                  || ' not in the inputs, rate on the years there are', '')
                      || '), below ' || {{ double_as_text('j.graduation_threshold') }} || '%'
                 else 'CSI Low Graduation Rate since ' || s.cycle_entry_year || ': three-year rate '
                      || coalesce({{ double_as_text('j.exit_rate') }} || '%', 'not available')
                      || coalesce(' (' || replace(j.exit_years_missing, ',', ', ') || ' not in the inputs)', '')
                      || ', below the exit threshold ' || {{ double_as_text('j.graduation_exit_threshold') }} || '%' end
                 || case when j.is_dass then ' (DASS school: ' || j.graduation_dass_note || ')' else '' end
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
join {{ ref('essa_status_codes') }} as sc on sc.assistance_status = s.status
left join statuses as p
    on p.report_year = j.previous_report_year and p.stage = 'public' and p.cds = j.cds
left join {{ ref('essa_status_codes') }} as pc on pc.assistance_status = p.status
