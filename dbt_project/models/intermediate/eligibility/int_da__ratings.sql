{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_releases_and_later() }}"
    )
}}
-- Every result the DA rules can look at: one row per LEA (district, county office, or from the year charters are
-- evaluated, charter school), DA student group and indicator, with the rating the year's criteria use for that
-- indicator (the colour, or the status level in the Status-only variants), 1 = worst. Charter schools are judged in
-- every year (is_lea_evaluated false before charters are evaluated), because a charter's eligibility needs the
-- previous Dashboard year's criteria too.
with leas as (
    select * from {{ ref('int_da__leas') }}
    where {{ release_and_later_predicate('report_year') }}
),

measures as (
    select distinct r.report_year, c.indicator, c.measure
    from {{ ref('report_years') }} as r
    join (select unnest({{ split_string('indicators', '|') }}) as indicator, measure, first_year, last_year
          from {{ ref('da_state_criteria') }}) as c
        on r.report_year between c.first_year and c.last_year
)

select
    l.report_year, l.stage, l.release_key, l.cds, l.lea_name, l.county_name, l.lea_type, l.is_lea_evaluated,
    f.student_group, f.indicator, m.measure, f.color, f.status_level, f.curr_denominator,
    -- a status level counts only from the accountability n-size (nsize_rules accountability_min_n: in 2022 CDE
    -- publishes levels from n = 11 but uses them for accountability from 30)
    case m.measure when 'color' then nullif(f.color, 0)
                   else case when f.is_accountable then nullif(f.status_level, 0) end end as rating
from leas as l
join {{ ref('fct_indicator_results') }} as f
    on f.report_year = l.report_year and f.stage = l.stage and f.cds = l.cds
join {{ ref('eligibility_student_groups') }} as g
    on g.program = 'da' and g.student_group = f.student_group and l.report_year between g.first_year and g.last_year
join measures as m on m.report_year = l.report_year and m.indicator = f.indicator
