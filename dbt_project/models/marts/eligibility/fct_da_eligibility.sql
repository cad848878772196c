-- One row per (report_year, stage, cds) of every LEA the DA rules look at: districts, county offices and, from the
-- year charters are evaluated, charter schools. Methods (dashboard_methodology.md §3.2):
--   1  a student group meets the criteria in two or more state priority areas;
--   2  the LEA has two or more local indicators Not Met for Two or More Years;
--   3  a group meets one state priority area and a local indicator is Not Met 2+ years in a different area
--      (reported only when Methods 1 and 2 are not met, as in CDE's record layout);
--   4  failed to certify CALPADS (2024+): not in the Dashboard files, so left null.
-- Charter schools are eligible only when they meet the criteria in the previous Dashboard year too (judged even in
-- years before charters were evaluated; only evaluated LEAs get a row).
with leas as (
    select * from {{ ref('int_da__leas') }}
),

group_state as (
    select
        release_key, cds, student_group,
        {{ list_agg('priority_area', order_by='priority_area') }} filter (where is_met_by_state_indicator)
            as state_priorities,
        string_agg('P' || priority_area || ' (' || state_evidence || ')', ', ' order by priority_area)
            filter (where is_met_by_state_indicator) as state_evidence
    from {{ ref('fct_da_student_group_priorities') }}
    group by release_key, cds, student_group
),

local_met as (
    select release_key, cds,
           {{ list_agg('priority_area', order_by='priority_area', distinct=true) }} as local_priorities
    from {{ ref('int_da__local_indicators') }}
    where is_not_met_two_or_more_years and is_used_for_da
    group by release_key, cds
),

groups as (
    select
        g.*,
        coalesce({{ list_length('g.state_priorities') }}, 0) as state_priority_count,
        coalesce({{ list_length('l.local_priorities') }}, 0) as local_count,
        coalesce({{ list_length('g.state_priorities') }}, 0) = 1
            and {{ list_length(list_where("coalesce(l.local_priorities, " ~ empty_list('integer') ~ ")", 'p',
                                          'p <> g.state_priorities[1]')) }} > 0
            as meets_method_3,
        coalesce({{ list_length('g.state_priorities') }}, 0) >= 2 as meets_method_1,
        c.priority_code
    from group_state as g
    left join local_met as l using (release_key, cds)
    left join {{ ref('da_priority_codes') }} as c
        on c.priority_areas = array_to_string({{ list_where('g.state_priorities', 'p', 'p in (4, 5, 6, 8)') }}, '|')
),

judged as (
    select
        l.*,
        coalesce({{ list_length('lm.local_priorities') }}, 0) as local_indicators_not_met_two_years,
        lm.local_priorities,
        coalesce(bool_or(g.meets_method_1), false) as any_group_meets_method_1,
        coalesce(bool_or(g.meets_method_3), false) as any_group_meets_method_3,
        {{ list_agg('g.student_group', order_by='sg.sort_order') }} filter (where g.meets_method_1) as qualifying_groups,
        count(*) filter (where g.meets_method_1) as qualifying_group_count,
        string_agg(g.student_group || ' met ' || g.state_evidence, '; ' order by sg.sort_order)
            filter (where g.meets_method_1) as qualifying_evidence,
        string_agg(g.student_group || ' met ' || g.state_evidence, '; ' order by sg.sort_order)
            filter (where g.state_priority_count = 1) as single_priority_evidence
    from leas as l
    left join groups as g on g.release_key = l.release_key and g.cds = l.cds
    left join {{ ref('student_groups') }} as sg on sg.student_group = g.student_group
    left join local_met as lm on lm.release_key = l.release_key and lm.cds = l.cds
    group by l.report_year, l.stage, l.release_key, l.cds, l.lea_name, l.county_name, l.lea_type, l.is_lea_evaluated,
        l.methods, l.charter_consecutive_years, l.status_label_scheme, lm.local_priorities
),

methods as (
    select *,
        {{ list_has(split_string('methods', '|'), "'1'") }} and any_group_meets_method_1 as m1,
        {{ list_has(split_string('methods', '|'), "'2'") }} and local_indicators_not_met_two_years >= 2 as m2,
        {{ list_has(split_string('methods', '|'), "'3'") }} and any_group_meets_method_3 as m3_any
    from judged
),

meets as (
    select *, m1 or m2 or m3_any as meets_criteria, m3_any and not m1 and not m2 as m3,
           {{ list_where(list_of(["case when m1 then '1' end", "case when m2 then '2' end",
                                  "case when m3_any and not m1 and not m2 then '3' end"]),
                         'm', 'm is not null') }} as methods_met_list
    from methods
),

eligible as (
    select
        cur.*,
        y.previous_report_year,
        prev.meets_criteria as previous_meets_criteria,
        cur.meets_criteria and cur.is_lea_evaluated and (    -- not evaluated that year: never eligible (A6, A7)
            cur.lea_type <> 'charter' or coalesce(cur.charter_consecutive_years, 1) <= 1
            or coalesce(prev.meets_criteria, false)
        ) as is_eligible
    from meets as cur
    join {{ ref('report_years') }} as y on y.report_year = cur.report_year
    left join meets as prev
        on prev.report_year = y.previous_report_year and prev.stage = 'public' and prev.cds = cur.cds
),

labelled as (
    select
        cur.*,
        prev.is_eligible as previous_is_eligible,
        case
            when cur.is_eligible and cur.status_label_scheme = 'plain' then 'Differentiated Assistance'
            when cur.is_eligible then 'Differentiated Assistance, Year 1'
            when cur.status_label_scheme = 'year1_year2' and coalesce(prev.is_eligible, false)
                then 'Differentiated Assistance, Year 2'
            else 'General Assistance'
        end as assistance_status
    from eligible as cur
    left join eligible as prev
        on prev.report_year = cur.previous_report_year and prev.stage = 'public' and prev.cds = cur.cds
)

select
    cur.report_year,
    cur.stage,
    cur.release_key,
    cur.cds,
    cur.lea_name,
    cur.county_name,
    cur.lea_type,
    cur.is_eligible,
    cur.meets_criteria,
    cur.assistance_status,
    cur.assistance_status like 'Differentiated Assistance%' as is_receiving_differentiated_assistance,
    cur.m1 as is_method_1_met,
    cur.m2 as is_method_2_met,
    cur.m3 as is_method_3_met,
    null::boolean as is_method_4_met,
    array_to_string(cur.methods_met_list, ',') as methods_met,
    array_to_string(cur.qualifying_groups, ',') as qualifying_student_groups,
    cur.qualifying_group_count as qualifying_student_group_count,
    coalesce(array_to_string(cur.local_priorities, ','), '') as local_priorities_not_met_two_years,
    cur.previous_report_year,
    cur.previous_meets_criteria,
    cur.previous_is_eligible,
    prev.assistance_status as previous_assistance_status,
    case
        when cur.previous_report_year is null or cur.previous_is_eligible is null then
            case when cur.is_eligible then 'identified, previous year not loaded' else 'not identified' end
        when cur.is_eligible and cur.previous_is_eligible then 'continuing'
        when cur.is_eligible then 'new'
        when cur.previous_is_eligible then 'exiting'
        else 'not identified'
    end as transition,
    case
        when cur.is_eligible then
            'Eligible (Method ' || array_to_string(cur.methods_met_list, ', ') || '): '
            || concat_ws('; ',
                   cur.qualifying_evidence,
                   case when cur.m2 or cur.m3 then 'local indicators Not Met for two or more years in priority area(s) '
                        || array_to_string(cur.local_priorities, ', ') end,
                   case when cur.m3 then cur.single_priority_evidence end)
            || case when cur.lea_type = 'charter' then ' (also met in ' || cur.previous_report_year || ')' else '' end
        when cur.meets_criteria then
            'Not eligible: meets the criteria in ' || cur.report_year || ' but '
            || case when cur.previous_meets_criteria is null
                    then 'the ' || coalesce(cur.previous_report_year::varchar, 'previous') || ' Dashboard is not in the warehouse'
                    else 'not in ' || cur.previous_report_year end
            || '; charter schools must meet them in two consecutive Dashboard years'
        when cur.single_priority_evidence is not null then
            'Not eligible: no student group met the criteria in two priority areas; ' || cur.single_priority_evidence
        else 'Not eligible: no student group met the criteria of any state priority area'
    end as explanation
from labelled as cur
left join labelled as prev
    on prev.report_year = cur.previous_report_year and prev.stage = 'public' and prev.cds = cur.cds
where cur.is_lea_evaluated
