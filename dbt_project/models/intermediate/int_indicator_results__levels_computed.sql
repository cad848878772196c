-- Every indicator result with its status level, change level, colour and box recomputed from the rule seeds
-- (seeds/rules), next to the values CDE reported. Values are compared in integer tenths, as published.
--
-- Order of the rules (the same as orchestration/rules.py, which the generator uses):
--   status level : a published status and n >= status_level_min_n, else 0; null in counts-only and no-levels years;
--                  then status_level_overrides where the row carries the flag ('set': suspension non-certifiers
--                  are High; 'at_most': ELPI flag95pct rows 2019/2022 at most Low)
--   change level : colour years only; a published change, prior n >= change_prior_min_n and a status level;
--                  the safety net (n below safety_net_below_n, for the groups and years it applied to) folds
--                  levels 1 and 5 into 2 and 4 for the colour and box; the published change level is the folded
--                  one unless safety_net_change_levels says 'unfolded' (graduation 2023+); null without change
--   colour       : colour years only, not for uncoloured_student_groups; n >= color_min_n now and
--                  prior_color_min_n in the prior year (15 for FOS and HOM at LEA and state level; counted on
--                  annual testers for ELPI 2017f), both levels > 0; then the grid (0 in an N/A cell)
--   box          : ((5 - status level) x 5 + folded change level) x 10 where a colour was given, else 0
--   accountable  : n >= accountability_min_n (30; 15 for FOS/HOM at LEA and state level): a status level counts
--                  for DA and ESSA criteria that read status levels

{%- set rules_applied %}
with results as {{ repeated_cte() }} (
    select
        *,
        {{ round_half_away_from_zero('curr_status * 10') }}::bigint as status_tenths,
        {{ round_half_away_from_zero('change * 10') }}::bigint as change_tenths
    from {{ ref('int_indicator_results__unioned') }}
),

reporting as (
    select indicator, first_year, last_year, reporting from {{ ref('indicator_reporting') }}
),

-- What chooses the cut-point table, per distinct combination (small), then the most urgent matching rule.
selectors as (
    select distinct
        indicator,
        report_year,
        entity_type,
        coalesce(is_hs_cut_points, false) as is_hs,
        suspension_type,
        coalesce(is_dass, false) as is_dass,
        coalesce(is_coe, false) and entity_type = 'district' as is_coe_district
    from results
),

cut_tables as (
    select
        s.indicator, s.report_year, s.entity_type, s.is_hs, s.suspension_type, s.is_dass, s.is_coe_district,
        {{ value_at_min('t.cut_table', 't.priority') }} as cut_table
    from selectors as s
    inner join {{ ref('cut_table_selection') }} as t
        on t.indicator = s.indicator
        and s.report_year between t.first_year and t.last_year
        and (
            t.selector = 'default'
            or (t.selector = 'hscutpoints' and t.selector_value = case when s.is_hs then 'Y' else 'N' end)
            or (t.selector = 'type' and t.selector_value = s.suspension_type)
            or (t.selector = 'dass_flag' and t.selector_value = 'Y' and s.is_dass)
            or (t.selector = 'coe_district' and t.selector_value = 'Y' and s.is_coe_district)
        )
    group by s.indicator, s.report_year, s.entity_type, s.is_hs, s.suspension_type, s.is_dass, s.is_coe_district
),

-- n-size rules per distinct (indicator, year, entity type, group): the most specific matching row wins.
groups as (
    select distinct indicator, report_year, entity_type, student_group from results
),

thresholds_long as (
    select
        g.indicator, g.report_year, g.entity_type, g.student_group, n.rule,
        {{ value_at_max('n.min_n', "(n.indicator <> '*')::int + (n.entity_type <> '*')::int + (n.student_group <> '*')::int") }}
            as min_n,
        {{ value_at_max('n.counted_on', "(n.indicator <> '*')::int + (n.entity_type <> '*')::int + (n.student_group <> '*')::int") }}
            as counted_on
    from groups as g
    inner join {{ ref('nsize_rules') }} as n
        on n.indicator in ('*', g.indicator)
        and g.report_year between n.first_year and n.last_year
        and n.entity_type in ('*', g.entity_type)
        and n.student_group in ('*', g.student_group)
    group by g.indicator, g.report_year, g.entity_type, g.student_group, n.rule
),

thresholds as (
    select
        indicator, report_year, entity_type, student_group,
        max(min_n) filter (where rule = 'status_level_min_n') as status_level_min_n,
        max(min_n) filter (where rule = 'change_prior_min_n') as change_prior_min_n,
        max(min_n) filter (where rule = 'color_min_n') as color_min_n,
        max(counted_on) filter (where rule = 'color_min_n') as color_counted_on,
        max(min_n) filter (where rule = 'prior_color_min_n') as prior_color_min_n,
        max(counted_on) filter (where rule = 'prior_color_min_n') as prior_color_counted_on,
        max(min_n) filter (where rule = 'safety_net_below_n') as safety_net_below_n,
        max(min_n) filter (where rule = 'accountability_min_n') as accountability_min_n
    from thresholds_long
    group by indicator, report_year, entity_type, student_group
),

grid as (
    {% for c in range(1, 6) %}
    select indicator, cut_table, first_year, last_year, status_level, {{ c }} as change_level,
           color_change_{{ c }} as color
    from {{ ref('color_grids') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

with_rules as {{ repeated_cte() }} (
    select
        r.*,
        rp.reporting,
        ct.cut_table,
        th.status_level_min_n,
        th.change_prior_min_n,
        th.color_min_n,
        th.prior_color_min_n,
        th.color_counted_on,
        th.prior_color_counted_on,
        case when th.color_counted_on = 'testers' then r.curr_testers else r.curr_denominator end
            as curr_color_count,
        coalesce(case when th.prior_color_counted_on = 'testers' then r.prior_testers else r.prior_denominator end, 0)
            as prior_color_count,
        th.safety_net_below_n,
        th.accountability_min_n,
        coalesce(sn.published_change_level, 'folded') as safety_net_published_change,
        uc.student_group is not null as is_uncoloured_group,
        ov.override as status_override,
        ov.status_level as status_override_level
    from results as r
    left join reporting as rp
        on rp.indicator = r.indicator and r.report_year between rp.first_year and rp.last_year
    left join cut_tables as ct
        on ct.indicator = r.indicator
        and ct.report_year = r.report_year
        and ct.entity_type = r.entity_type
        and ct.is_hs = coalesce(r.is_hs_cut_points, false)
        and ct.suspension_type is not distinct from r.suspension_type
        and ct.is_dass = coalesce(r.is_dass, false)
        and ct.is_coe_district = (coalesce(r.is_coe, false) and r.entity_type = 'district')
    left join thresholds as th
        on th.indicator = r.indicator
        and th.report_year = r.report_year
        and th.entity_type = r.entity_type
        and th.student_group = r.student_group
    left join {{ ref('safety_net_change_levels') }} as sn
        on sn.indicator = r.indicator and r.report_year between sn.first_year and sn.last_year
    left join {{ ref('uncoloured_student_groups') }} as uc
        on uc.indicator = r.indicator and r.report_year between uc.first_year and uc.last_year
        and uc.student_group = r.student_group
    left join {{ ref('status_level_overrides') }} as ov
        on ov.indicator = r.indicator and r.report_year between ov.first_year and ov.last_year
        and upper(trim(case ov.flag when 'certify_flag' then r.certify_flag when 'flag_95pct' then r.flag_95pct end))
            = ov.flag_value
),

-- Bands are resolved once per distinct value, then joined back on equality (macros/rules.sql).
status_lookup as (
    {{ band_lookup('with_rules', 'status_cut_points', 'status_tenths', 'status_level') }}
),

change_lookup as (
    {{ band_lookup('with_rules', 'change_cut_points', 'change_tenths', 'change_level', any_table=true) }}
),

inputs as (
    select
        w.*,
        sl.status_level as status_band,
        cl.change_level as change_band
    from with_rules as w
    left join status_lookup as sl
        on sl.indicator = w.indicator and sl.cut_table = w.cut_table and sl.report_year = w.report_year
        and sl.status_tenths = w.status_tenths
    left join change_lookup as cl
        on cl.indicator = w.indicator and cl.cut_table = w.cut_table and cl.report_year = w.report_year
        and cl.change_tenths = w.change_tenths
),

levels as (
    select
        *,
        case
            when reporting is null or reporting in ('counts_only', 'no_levels') then null
            when curr_denominator >= status_level_min_n and status_override = 'set' then status_override_level
            when curr_status is not null and status_override = 'at_most'   -- at every n where a status is published
                then least(coalesce(status_band, 0), status_override_level)
            when curr_status is not null and curr_denominator >= status_level_min_n then coalesce(status_band, 0)
            else 0
        end as status_level_computed,
        coalesce(curr_denominator >= accountability_min_n, false) as is_accountable,
        case when reporting = 'colour' then coalesce(curr_denominator < safety_net_below_n, false) end
            as is_safety_net_computed
    from inputs
),

changes as (
    select
        *,
        case
            when reporting is distinct from 'colour' then null
            when change is not null and coalesce(prior_denominator, 0) >= change_prior_min_n
                and status_level_computed > 0 and change_band is not null
                then case when is_safety_net_computed then greatest(2, least(4, change_band)) else change_band end
            else 0
        end as change_level_for_color
    from levels
),

colours as (
    select
        c.*,
        c.reporting = 'colour'
            and c.curr_color_count >= c.color_min_n
            and c.prior_color_count >= c.prior_color_min_n
            and c.status_level_computed > 0
            and c.change_level_for_color > 0
            and not c.is_uncoloured_group as is_color_eligible,
        case when c.is_safety_net_computed and c.safety_net_published_change = 'unfolded' and c.change_level_for_color > 0
             then c.change_band else c.change_level_for_color end as change_level_computed,
        coalesce(own.color, any_table.color, 0) as grid_color
    from changes as c
    left join grid as own
        on own.indicator = c.indicator and own.cut_table = c.cut_table
        and c.report_year between own.first_year and own.last_year
        and own.status_level = c.status_level_computed and own.change_level = c.change_level_for_color
    left join grid as any_table
        on any_table.indicator = c.indicator and any_table.cut_table = '*'
        and c.report_year between any_table.first_year and any_table.last_year
        and any_table.status_level = c.status_level_computed and any_table.change_level = c.change_level_for_color
)
{%- endset %}
{{ rules_applied }}

select
    {{ star_except(rules_applied ~ ' select * from colours',
                   ['status_tenths', 'change_tenths', 'status_band', 'change_band', 'grid_color', 'status_level_min_n',
                    'change_prior_min_n', 'color_min_n', 'prior_color_min_n', 'safety_net_below_n', 'reporting',
                    'color_counted_on', 'prior_color_counted_on', 'curr_color_count', 'prior_color_count',
                    'curr_testers', 'prior_testers', 'accountability_min_n', 'safety_net_published_change',
                    'status_override', 'status_override_level', 'change_level_for_color', 'certify_flag',
                    'flag_95pct', 'is_uncoloured_group']) }},
    case when reporting = 'colour' then case when is_color_eligible then grid_color else 0 end end as color_computed,
    case
        when reporting = 'colour' and is_color_eligible and grid_color > 0
            then ((5 - status_level_computed) * 5 + change_level_for_color) * 10
        when reporting = 'colour' then 0
    end as box_computed,
    case
        when reporting is null then 'indicator not reported in ' || report_year
        when reporting = 'counts_only' then 'counts only in ' || report_year || ' (no levels)'
        when reporting = 'no_levels' then 'status and change only in ' || report_year || ' (no levels published)'
        when reporting = 'status_only' then 'status only in ' || report_year
        when curr_status is null
            then 'no status published (n = ' || coalesce(curr_denominator::varchar, 'not published') || ')'
        when coalesce(curr_color_count, 0) < color_min_n
            then (case when color_counted_on = 'testers' then 'testers = ' else 'n = ' end)
                 || coalesce(curr_color_count, 0) || ' is below ' || color_min_n || ' for a colour'
        when change is null then 'no prior-year status'
        when prior_color_count < prior_color_min_n
            then (case when prior_color_counted_on = 'testers' then 'prior-year testers = ' else 'prior-year n = ' end)
                 || prior_color_count || ' is below ' || prior_color_min_n
        when status_level_computed = 0 or change_level_for_color = 0 then 'no level for the status or change'
        when is_uncoloured_group then student_group || ' gets status and change levels but no colour (seed uncoloured_student_groups)'
        when grid_color = 0 then 'N/A cell of the grid'
    end as color_ineligible_reason,
    reporting as reporting_rule,
    color_min_n as color_min_n_applied
from colours
