{#- Evaluation of the eligibility rules (seeds/eligibility) on any relation of ratings. The same macros judge the
    actual results and the one-level-changed scenarios of the near-miss model, so both read the same rules. -#}

{#- DA state-indicator criteria. `ratings` has the `keys` columns plus report_year, student_group, indicator,
    measure and rating (1 = worst .. 5, null = none). One row per keys x student group x criterion of the year that
    applies to the group: is_met and the evidence (each indicator with its colour or status level). -#}
{% macro da_state_criteria_met(ratings, keys) -%}
    select
        {% for k in keys %}r.{{ k }}, {% endfor %}
        r.report_year,
        r.student_group,
        c.criterion_id,
        c.priority_area,
        c.criterion_id || ' [' || c.first_year || '-' || case when c.last_year >= 2099 then '' else c.last_year::varchar end || ']' as rule_variant,
        count(r.rating) filter (where list_contains(string_split(c.qualifying_ratings, '|'), r.rating::varchar))
            = max(c.indicator_count)
        and (not bool_or(c.worst_rating_required) or min(r.rating) = 1) as is_met,
        -- list_sort after aggregating: ordered aggregates buffer every group and do not spill
        array_to_string(list_sort(list(i.short_name || ' ' || coalesce(l.label, 'no ' || replace(r.measure, '_', ' ')))),
                        ' + ') as evidence
    from {{ ratings }} as r
    join (
        select *, unnest(string_split(indicators, '|')) as indicator, len(string_split(indicators, '|')) as indicator_count
        from {{ ref('da_state_criteria') }}
    ) as c
        on r.report_year between c.first_year and c.last_year
        and r.indicator = c.indicator
        and (c.student_groups = '*' or list_contains(string_split(c.student_groups, '|'), r.student_group))
        and not list_contains(string_split(coalesce(c.excluded_student_groups, ''), '|'), r.student_group)
    join {{ ref('indicators') }} as i on i.indicator = r.indicator
    left join {{ ref('level_labels') }} as l
        on l.measure = r.measure and l.rating = r.rating and l.better_direction in ('*', i.better_direction)
    group by all
{%- endmacro %}

{#- ESSA CSI Low Performing criteria on counts of rated indicators: n_rated, n_worst (Red / lowest status), n_second
    (Orange / second level). `counts` has the `keys` columns plus report_year. One row per keys x criterion met. -#}
{% macro essa_criteria_met(counts, keys) -%}
    select
        {% for k in keys %}x.{{ k }}, {% endfor %}
        c.criterion_id
    from {{ counts }} as x
    join {{ ref('essa_criteria') }} as c
        on x.report_year between c.first_year and c.last_year
    where x.n_rated >= c.min_indicators
      and case c.rule
            when 'all_worst' then x.n_worst = x.n_rated
            when 'all_worst_but_one' then x.n_worst = x.n_rated - 1 and x.n_worst >= 1
            when 'worst_two_levels_only' then x.n_worst + x.n_second = x.n_rated and x.n_worst >= 1
            when 'majority_worst' then x.n_worst > x.n_rated / 2
            else error('essa_criteria: unknown rule ' || c.rule)
          end
{%- endmacro %}
