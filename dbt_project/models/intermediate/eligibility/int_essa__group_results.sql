{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- Per school and release, for All Students and each ATSI student group: how many ESSA indicators are rated (colour,
-- or Status level in the Status-only variant, per seeds/eligibility/essa_criteria.csv) and how many are at the
-- worst, second and third level, and per level a bit mask of the indicators there (macros/eligibility.sql). Only
-- rated results (unrated ones count for nothing).
with criteria_measures as (
    select distinct r.report_year, c.measure
    from {{ ref('report_years') }} as r
    join {{ ref('essa_criteria') }} as c on r.report_year between c.first_year and c.last_year
),

-- The measure each indicator is rated on: the criteria's, unless essa_indicators names a stand-in (ELPI 2019:
-- the Status level stands for the colour, Very Low for Red; rules_audit.md A14). The row keeps the criteria's
-- measure, so the evidence reads "ELPI Red" for a Very Low ELPI in 2019.
measures as (
    select m.report_year, i.indicator, m.measure, coalesce(nullif(i.rating_measure, ''), m.measure) as rating_measure
    from criteria_measures as m
    join {{ ref('essa_indicators') }} as i on m.report_year between i.first_year and i.last_year
),

rated_rows as (
    select
        f.report_year, f.stage, f.release_key, f.cds, f.student_group, f.indicator, m.measure,
        case m.rating_measure when 'color' then nullif(f.color, 0) else nullif(f.status_level, 0) end as rating
    from {{ ref('fct_indicator_results') }} as f
    join measures as m on m.report_year = f.report_year and m.indicator = f.indicator
    where f.entity_type = 'school' and {{ release_and_later_predicate('f.report_year', 'f.release_key') }}
      and case m.rating_measure when 'color' then f.color between 1 and 5
                         else f.status_level between 1 and 5 and f.is_accountable end   -- accountability_min_n
      and (f.student_group = 'ALL' or f.student_group in (
            select student_group from {{ ref('eligibility_student_groups') }} as g
            where g.program = 'essa' and f.report_year between g.first_year and g.last_year))
),

rated as (   -- ELPI is reported for English learners: where a school has no ALL row for it, its EL row is the
             -- school's ELPI and counts among All Students' indicators
    select * from rated_rows
    union all
    select report_year, stage, release_key, cds, 'ALL', indicator, measure, rating
    from rated_rows as e
    where e.indicator = 'elpi' and e.student_group = 'EL'
      and not exists (select 1 from rated_rows as a where a.release_key = e.release_key and a.cds = e.cds
                      and a.indicator = 'elpi' and a.student_group = 'ALL')
),

bits as {{ indicator_bits() }}

select
    r.report_year, r.stage, r.release_key, r.cds, r.student_group, {{ any_value_in_group('r.measure') }} as measure,
    count(r.rating) as n_rated,
    count(*) filter (where r.rating = 1) as n_worst,
    count(*) filter (where r.rating = 2) as n_second,
    count(*) filter (where r.rating = 3) as n_third,
    {%- for level in range(1, 6) %}
    coalesce(bit_or(1 << b.bit) filter (where r.rating = {{ level }}), 0) as level_{{ level }}_mask{{ "," if not loop.last }}
    {%- endfor %}
from rated as r
join bits as b on b.indicator = r.indicator
group by r.report_year, r.stage, r.release_key, r.cds, r.student_group
