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
-- worst and second-worst level, with the indicators as evidence. Only rated results (unrated ones count for nothing).
with measures as (
    select distinct r.report_year, c.measure
    from {{ ref('report_years') }} as r
    join {{ ref('essa_criteria') }} as c on r.report_year between c.first_year and c.last_year
),

rated_rows as (
    select
        f.report_year, f.stage, f.release_key, f.cds, f.student_group, f.indicator, m.measure,
        case m.measure when 'color' then nullif(f.color, 0) else nullif(f.status_level, 0) end as rating
    from {{ ref('fct_indicator_results') }} as f
    join measures as m on m.report_year = f.report_year
    join {{ ref('essa_indicators') }} as i
        on i.indicator = f.indicator and f.report_year between i.first_year and i.last_year
    where f.entity_type = 'school' and {{ release_and_later_predicate('f.report_year') }}
      and case m.measure when 'color' then f.color between 1 and 5 else f.status_level between 1 and 5 end
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

labels as (   -- "ELA Red", "Suspension Rate Very High": one small lookup instead of a join per result row
    select i.indicator, l.measure, l.rating, i.short_name || ' ' || l.label as rating_text
    from {{ ref('indicators') }} as i
    join {{ ref('level_labels') }} as l on l.better_direction in ('*', i.better_direction)
)

select
    r.report_year, r.stage, r.release_key, r.cds, r.student_group, any_value(r.measure) as measure,
    count(r.rating) as n_rated,
    count(*) filter (where r.rating = 1) as n_worst,
    count(*) filter (where r.rating = 2) as n_second,
    count(*) filter (where r.rating = 3) as n_third,
    -- sorted after aggregating: ordered aggregates buffer every group and do not spill (out of memory at scale 1)
    array_to_string(list_sort(list(l.rating_text)), ', ') as ratings,
    list_sort(list(r.indicator) filter (where r.rating = 1)) as worst_indicators,
    list_sort(list(r.indicator) filter (where r.rating = 2)) as second_indicators,
    list_sort(list(r.indicator) filter (where r.rating = 3)) as third_indicators
from rated as r
left join labels as l on l.indicator = r.indicator and l.measure = r.measure and l.rating = r.rating
group by r.report_year, r.stage, r.release_key, r.cds, r.student_group
