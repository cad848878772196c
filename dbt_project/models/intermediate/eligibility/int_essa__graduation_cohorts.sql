-- The school-wide graduation cohorts the CSI Low Graduation Rate rules pool: one row per release, school and cohort
-- year of the window a rule needs (seeds/eligibility/essa_graduation_rules.csv: entry_cohorts and exit_cohorts
-- years ending with the report year), with the graduates and cohort students used, where they came from, or, for a
-- year no input carries, a row with null counts and source 'missing'.
--
-- Sources, best first (rules_audit.md A5, A16):
--   1 the release's own file, current year        4 an earlier public release's file, prior year
--   2 the release's own file, prior year          5 CDE's DASS-only graduation files (2020, 2021: no Dashboard;
--   3 an earlier public release's file, current     DASS schools only; raw/reference/, staging ..._grad_dassonly)
--                                                  6 the optional reference input graduation_cohorts.txt (cohorts
--                                                    from CDE's graduation data files, raw/reference/README.md)
-- The 2022 Dashboard file has no prior year and 2020/2021 had no Dashboard, so the three-year rates of 2022 and 2023
-- lack the 2020 and 2021 cohorts of schools that are not DASS unless graduation_cohorts.txt gives them: else those
-- years are 'missing', and the determination says so (fct_essa_school_determinations).
with rules as (
    select first_year, last_year, greatest(entry_cohorts, exit_cohorts) as window_years
    from {{ ref('essa_graduation_rules') }}
),

schools as (   -- every school with a graduation result in a release, and the years its rules look back over
    select f.release_key, f.report_year, f.stage, f.cds, r.window_years
    from {{ ref('fct_indicator_results') }} as f
    join rules as r on f.report_year between r.first_year and r.last_year
    where f.indicator = 'grad' and f.student_group = 'ALL' and f.entity_type = 'school'
),

windows as (
    select s.release_key, s.report_year, s.stage, s.cds, s.report_year - k.offset_years as cohort_year
    from schools as s
    cross join (values (0), (1), (2), (3), (4)) as k (offset_years)
    where k.offset_years < s.window_years
),

dashboard as (   -- each grad file's current and prior cohorts
    select release_key, report_year, stage, cds, report_year as cohort_year,
           curr_numerator as graduates, curr_denominator as cohort_students, 'current' as part
    from {{ ref('fct_indicator_results') }}
    where indicator = 'grad' and student_group = 'ALL' and entity_type = 'school' and curr_denominator is not null
    union all
    select release_key, report_year, stage, cds, report_year - 1,
           prior_numerator, prior_denominator, 'prior'
    from {{ ref('fct_indicator_results') }}
    where indicator = 'grad' and student_group = 'ALL' and entity_type = 'school' and prior_denominator is not null
),

candidates as (
    select w.release_key, w.cds, w.cohort_year, d.graduates, d.cohort_students,
           case when d.part = 'current' then 1 else 2 end as source_rank,
           'Dashboard ' || d.report_year || ' (' || d.stage || ', ' || d.part || ' year)' as source
    from windows as w
    join dashboard as d on d.release_key = w.release_key and d.cds = w.cds and d.cohort_year = w.cohort_year
    union all
    select w.release_key, w.cds, w.cohort_year, d.graduates, d.cohort_students,
           case when d.part = 'current' then 3 else 4 end,
           'Dashboard ' || d.report_year || ' (public, ' || d.part || ' year)'
    from windows as w
    join dashboard as d
        on d.stage = 'public' and d.report_year < w.report_year and d.cds = w.cds and d.cohort_year = w.cohort_year
    union all
    select w.release_key, w.cds, w.cohort_year, g.curr_numerator, g.curr_denominator, 5,
           'DASS-only graduation file ' || g.report_year
    from windows as w
    join {{ ref('stg_dashboard__grad_dassonly') }} as g
        on g.cds = w.cds and g.report_year = w.cohort_year and g.student_group = 'ALL' and g.entity_type = 'school'
    where g.curr_denominator is not null
    union all
    select w.release_key, w.cds, w.cohort_year, g.graduates, g.cohort_students, 6,
           coalesce(g.source, 'graduation_cohorts.txt')
    from windows as w
    join {{ ref('stg_reference__graduation_cohorts') }} as g on g.cds = w.cds and g.cohort_year = w.cohort_year
),

best as (
    select release_key, cds, cohort_year,
           {{ value_at_min('graduates', 'source_rank') }} as graduates,
           {{ value_at_min('cohort_students', 'source_rank') }} as cohort_students,
           {{ value_at_min('source', 'source_rank') }} as source
    from candidates
    group by release_key, cds, cohort_year
)

select
    w.release_key, w.report_year, w.stage, w.cds, w.cohort_year,
    b.graduates, b.cohort_students,
    coalesce(b.source, 'missing') as source
from windows as w
left join best as b using (release_key, cds, cohort_year)
