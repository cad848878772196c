-- Per program (da, essa) and report year of CDE's published lists: every input the year's determinations read and
-- whether it is loaded. The inputs come from the rule seeds: the indicators of the year's criteria
-- (da_state_criteria; essa_indicators, and the previous Dashboard's where ATSI or TSI need two: essa_year_rules)
-- that have a file that year (seeds/rules/indicator_reporting.csv), the local indicators of the years DA judges them
-- (da_local_criteria), and the rest in seeds/eligibility/determination_inputs.csv. The year's own inputs are looked
-- for in the release compared with CDE's list (the public one, else the preview); the previous year's in its public
-- release, as the rules read it. An indicator is loaded when marts.fct_indicator_results has its rows (the Fall 2017
-- grade-11 files, without levels, are not indicator rows).
with list_years as (
    select 'da' as program, report_year from ({{ cde_list_years('da') }}) as da
    union all
    select 'essa' as program, report_year from ({{ cde_list_years('essa') }}) as essa
),

stages as (
    {{ cde_list_stages() }}
),

years as (
    select ly.program, ly.report_year, r.previous_report_year, s.stage as report_stage
    from list_years as ly
    left join {{ ref('report_years') }} as r on r.report_year = ly.report_year
    left join stages as s on s.report_year = ly.report_year
),

da_indicators as (
    select distinct indicator, first_year, last_year
    from (select unnest({{ split_string('indicators', '|') }}) as indicator, first_year, last_year
          from {{ ref('da_state_criteria') }}) as c
),

needed as (
    select y.program, y.report_year, 'state indicator' as input_kind, d.indicator as input, 'report' as year_used,
           y.report_year as data_year
    from years as y
    join da_indicators as d on y.report_year between d.first_year and d.last_year
    where y.program = 'da'
    union
    select y.program, y.report_year, 'local indicators', 'localindperf', 'report', y.report_year
    from years as y
    join {{ ref('da_local_criteria') }} as c on y.report_year between c.first_year and c.last_year
    where y.program = 'da'
    union
    select y.program, y.report_year, 'state indicator', e.indicator, 'report', y.report_year
    from years as y
    join {{ ref('essa_indicators') }} as e on y.report_year between e.first_year and e.last_year
    where y.program = 'essa'
    union
    select y.program, y.report_year, 'state indicator', e.indicator, 'previous', y.previous_report_year
    from years as y
    join {{ ref('essa_year_rules') }} as r
        on r.report_year = y.report_year and (r.atsi_dashboard_years >= 2 or r.tsi_dashboard_years >= 2)
    join {{ ref('essa_indicators') }} as e on y.previous_report_year between e.first_year and e.last_year
    where y.program = 'essa'
    union
    select y.program, y.report_year, i.input_kind, i.input, i.year_used,
           case i.year_used when 'previous' then y.previous_report_year else y.report_year end
    from years as y
    join {{ ref('determination_inputs') }} as i
        on i.program = y.program and y.report_year between i.first_year and i.last_year
),

inputs as (   -- state indicators only where the year has a file for them (no chronic absenteeism in 2017)
    select n.*, y.report_stage,
           case n.year_used when 'previous' then 'public' else y.report_stage end as stage
    from needed as n
    join years as y on y.program = n.program and y.report_year = n.report_year
    where n.data_year is not null
      and (n.input_kind <> 'state indicator' or exists (
          select 1 from {{ ref('indicator_reporting') }} as ir
          where ir.indicator = n.input and n.data_year between ir.first_year and ir.last_year))
),

loaded as (
    select report_year, stage, indicator as input, count(*) as rows_loaded,
           array_to_string({{ sorted_string_list('source_file', distinct=true) }}, ', ') as source_files
    from {{ ref('fct_indicator_results') }}
    group by report_year, stage, indicator
    union all
    select report_year, stage, 'localindperf', count(*),
           array_to_string({{ sorted_string_list('source_file', distinct=true) }}, ', ')
    from {{ ref('stg_dashboard__localindperf') }}
    group by report_year, stage
    union all
    select t.report_year, s.stage, 'title_i_status', count(*),
           array_to_string({{ sorted_string_list('t.source_file', distinct=true) }}, ', ')
    from {{ ref('stg_reference__title_i_status') }} as t
    cross join (select 'preview' as stage union all select 'public') as s   -- not a release file: any stage
    group by t.report_year, s.stage
)

select
    i.program,
    i.report_year,
    i.report_stage,
    i.input_kind,
    i.input,
    i.year_used,
    i.data_year,
    i.stage,
    coalesce(ind.short_name, dl.label, 'Local indicators') || ' ' || i.data_year as label,
    case i.input_kind when 'state indicator' then 1 when 'local indicators' then 2 else 3 end * 10000
        - i.data_year as input_order,
    l.input is not null as is_loaded,
    coalesce(l.rows_loaded, 0) as rows_loaded,
    l.source_files
from inputs as i
left join {{ ref('indicators') }} as ind on i.input_kind = 'state indicator' and ind.indicator = i.input
left join {{ ref('determination_inputs') }} as dl
    on dl.program = i.program and dl.input = i.input and dl.year_used = i.year_used
    and i.report_year between dl.first_year and dl.last_year
left join loaded as l on l.report_year = i.data_year and l.stage = i.stage and l.input = i.input
