-- Local indicators per LEA and priority area, with whether each counts as "Not Met for Two or More Years": the file
-- says so, or it says Not Met and the previous report year's public file said Not Met too (the 2017 and 2018 files
-- carry only Met / Not Met; seeds/eligibility/local_indicator_performance.csv).
with li as (
    select s.report_year, s.stage, s.release_key, s.cds, s.priority_area, s.local_indicator, s.performance,
           p.is_not_met, p.is_not_met_two_or_more_years
    from {{ ref('stg_dashboard__localindperf') }} as s
    left join {{ ref('local_indicator_performance') }} as p on p.performance = s.performance
)

select
    cur.report_year, cur.stage, cur.release_key, cur.cds, cur.priority_area, cur.local_indicator,
    cur.performance,
    prev.performance as previous_performance,
    coalesce(cur.is_not_met_two_or_more_years, false)
        or (coalesce(cur.is_not_met, false) and coalesce(prev.is_not_met, false)) as is_not_met_two_or_more_years,
    exists (select 1 from {{ ref('da_local_criteria') }} as c
            where c.priority_area = cur.priority_area and cur.report_year between c.first_year and c.last_year)
        as is_used_for_da
from li as cur
left join {{ ref('report_years') }} as y on y.report_year = cur.report_year
left join li as prev
    on prev.report_year = y.previous_report_year and prev.stage = 'public'
    and prev.cds = cur.cds and prev.priority_area = cur.priority_area
