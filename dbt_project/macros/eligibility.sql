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
        count(r.rating) filter (where {{ list_has(split_string('c.qualifying_ratings', '|'), 'r.rating::varchar') }})
            = max(c.indicator_count)
        and (not bool_or(c.worst_rating_required) or min(r.rating) = 1) as is_met,
        array_to_string({{ sorted_string_list("i.short_name || ' ' || coalesce(l.label, 'no ' || replace(r.measure, '_', ' '))") }},
                        ' + ') as evidence
    from {{ ratings }} as r
    join (
        select *, unnest({{ split_string('indicators', '|') }}) as indicator,
               {{ list_length(split_string('indicators', '|')) }} as indicator_count
        from {{ ref('da_state_criteria') }}
    ) as c
        on r.report_year between c.first_year and c.last_year
        and r.indicator = c.indicator
        and (c.student_groups = '*' or {{ list_has(split_string('c.student_groups', '|'), 'r.student_group') }})
        and not {{ list_has(split_string("coalesce(c.excluded_student_groups, '')", '|'), 'r.student_group') }}
    join {{ ref('indicators') }} as i on i.indicator = r.indicator
    left join {{ ref('level_labels') }} as l
        on l.measure = r.measure and l.rating = r.rating and l.better_direction in ('*', i.better_direction)
    group by {% for k in keys %}r.{{ k }}, {% endfor %}r.report_year, r.student_group, c.criterion_id, c.priority_area,
        rule_variant
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
    where x.n_rated >= case when x.student_group = 'ALL' then c.min_indicators_all_students
                            else c.min_indicators_student_group end
      and case c.rule
            when 'all_worst' then x.n_worst = x.n_rated
            when 'all_worst_but_one' then x.n_worst = x.n_rated - 1 and x.n_worst >= 1
            when 'worst_two_levels_only' then x.n_worst + x.n_second = x.n_rated and x.n_worst >= 1
            when 'majority_worst' then 2 * x.n_worst > x.n_rated   -- more than half, in integers on every database
            else {{ raise_error("'essa_criteria: unknown rule ' || c.rule", 'boolean') }}
          end
{%- endmacro %}

{#- ESSA group results keep, per level 1..5, a bit mask of the indicators at that level (bit = the indicator's
    position in the indicators seed): integers aggregate in little memory, where lists and strings per group took
    1.8 GB at California scale. The text ("ELA Red, Math Orange") is made only for the rows that show it. -#}
{% macro indicator_bits() -%}
    (select indicator, short_name, better_direction,
            (row_number() over (order by {{ code_point_order('indicator') }}) - 1)::integer as bit
     from {{ ref('indicators') }})
{%- endmacro %}

{% macro level_mask(alias, level_expr) -%}
    case {{ level_expr }} when 1 then {{ alias }}.level_1_mask when 2 then {{ alias }}.level_2_mask
        when 3 then {{ alias }}.level_3_mask when 4 then {{ alias }}.level_4_mask
        when 5 then {{ alias }}.level_5_mask end
{%- endmacro %}

{% macro essa_ratings_text(alias) -%}
    (select array_to_string({{ sorted_string_list("ib.short_name || ' ' || lb.label") }}, ', ')
     from {{ indicator_bits() }} as ib
     join {{ ref('level_labels') }} as lb on lb.better_direction in ('*', ib.better_direction)
     where lb.measure = {{ alias }}.measure
       and ({{ level_mask(alias, 'lb.rating') }} >> ib.bit) & 1 = 1)
{%- endmacro %}

{% macro indicators_in_mask(mask_expr, separator=' or ') -%}
    (select string_agg(ib.short_name, '{{ separator }}' order by {{ code_point_order('ib.short_name') }})
     from {{ indicator_bits() }} as ib
     where ({{ mask_expr }} >> ib.bit) & 1 = 1)
{%- endmacro %}
