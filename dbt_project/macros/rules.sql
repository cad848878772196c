{#- The level of each distinct value of `value_column` (integer tenths) in `source`, by the bands of a cut-point
    seed (status_cut_points or change_cut_points): min/max are tenths-rounded, *_inclusive gives the boundary
    convention, an empty bound is open. Resolved once per distinct (indicator, cut_table, report_year, value) and
    joined back on equality by the caller: a range join over every row cost about 20 s at California scale.
    any_table: the seed may use cut_table '*' for every table of an indicator (change cuts do). -#}
{% macro band_lookup(source, seed, value_column, level_column, any_table=false) %}
    select v.indicator, v.cut_table, v.report_year, v.{{ value_column }}, b.{{ level_column }}
    from (select distinct indicator, cut_table, report_year, {{ value_column }} from {{ source }}
          where {{ value_column }} is not null) as v
    inner join (
        select indicator, cut_table, first_year, last_year, {{ level_column }},
               {{ round_half_away_from_zero('min_value * 10') }}::bigint as lo, min_inclusive,
               {{ round_half_away_from_zero('max_value * 10') }}::bigint as hi, max_inclusive
        from {{ ref(seed) }}
    ) as b
        on b.indicator = v.indicator
        and {% if any_table %}b.cut_table in (v.cut_table, '*'){% else %}b.cut_table = v.cut_table{% endif %}
        and v.report_year between b.first_year and b.last_year
        and (b.lo is null or v.{{ value_column }} > b.lo or (b.min_inclusive and v.{{ value_column }} = b.lo))
        and (b.hi is null or v.{{ value_column }} < b.hi or (b.max_inclusive and v.{{ value_column }} = b.hi))
{% endmacro %}
