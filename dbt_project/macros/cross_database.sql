{#- Cross-database SQL: the models run on DuckDB (the product: dbt-duckdb, `warehouse` target) and on PostgreSQL
    (the server warehouse option: dbt-postgres, `postgres` target, `cadash postgres`). Each macro dispatches to a
    duckdb__ implementation, which is the SQL the models had before PostgreSQL (DuckDB's plans are unchanged), and a
    postgres__ one that gives the same values. PostgreSQL is the reference for anything that is not DuckDB here.

    Lists are DuckDB LISTs and PostgreSQL arrays; both index from 1 (list[1]). Text is ordered by code point on both:
    DuckDB compares bytes, PostgreSQL's order depends on the database's collation, so its sorts say collate "C".
-#}

{#- A delimited string as a list: 'a|b' -> ['a', 'b']. NULL gives NULL. Differs on '' (DuckDB [''], PostgreSQL
    an empty array): every use below either has no empty strings or treats '' and "nothing" alike. -#}
{% macro split_string(text, delimiter) -%}
    {{ return(adapter.dispatch('split_string', 'ca_dashboard')(text, delimiter)) }}
{%- endmacro %}
{% macro duckdb__split_string(text, delimiter) -%} string_split({{ text }}, '{{ delimiter }}') {%- endmacro %}
{% macro default__split_string(text, delimiter) -%} string_to_array({{ text }}, '{{ delimiter }}') {%- endmacro %}

{#- The number of elements of a list (NULL for NULL). -#}
{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length', 'ca_dashboard')(list)) }}
{%- endmacro %}
{% macro duckdb__list_length(list) -%} len({{ list }}) {%- endmacro %}
{% macro default__list_length(list) -%} cardinality({{ list }}) {%- endmacro %}

{#- Whether a list holds a value (NULL when the list or the value is NULL). -#}
{% macro list_has(list, value) -%}
    {{ return(adapter.dispatch('list_has', 'ca_dashboard')(list, value)) }}
{%- endmacro %}
{% macro duckdb__list_has(list, value) -%} list_contains({{ list }}, {{ value }}) {%- endmacro %}
{% macro default__list_has(list, value) -%} ({{ value }}) = any({{ list }}) {%- endmacro %}

{#- A list written out: list_of(["'1'", "x"]) -> ['1', x]. -#}
{% macro list_of(expressions) -%}
    {{ return(adapter.dispatch('list_of', 'ca_dashboard')(expressions)) }}
{%- endmacro %}
{% macro duckdb__list_of(expressions) -%} [{{ expressions | join(', ') }}] {%- endmacro %}
{% macro default__list_of(expressions) -%} array[{{ expressions | join(', ') }}] {%- endmacro %}

{#- An empty list of the given element type (PostgreSQL needs the type; DuckDB infers it). -#}
{% macro empty_list(element_type) -%}
    {{ return(adapter.dispatch('empty_list', 'ca_dashboard')(element_type)) }}
{%- endmacro %}
{% macro duckdb__empty_list(element_type) -%} [] {%- endmacro %}
{% macro default__empty_list(element_type) -%} cast(array[] as {{ element_type }}[]) {%- endmacro %}

{#- The elements of a list for which `condition` (on `element`) is true, in the list's order; NULL for NULL.
    list_where('l', 'p', 'p <> 3') is DuckDB's list_filter(l, p -> p <> 3). -#}
{% macro list_where(list, element, condition) -%}
    {{ return(adapter.dispatch('list_where', 'ca_dashboard')(list, element, condition)) }}
{%- endmacro %}
{% macro duckdb__list_where(list, element, condition) -%}
    list_filter({{ list }}, {{ element }} -> {{ condition }})
{%- endmacro %}
{% macro default__list_where(list, element, condition) -%}
    case when ({{ list }}) is not null then array(
        select {{ element }} from unnest({{ list }}) with ordinality as list_element({{ element }}, list_position)
        where {{ condition }} order by list_position) end
{%- endmacro %}

{#- Each element of a list transformed by `expression` (on `element`), in order; NULL for NULL. -#}
{% macro list_map(list, element, expression) -%}
    {{ return(adapter.dispatch('list_map', 'ca_dashboard')(list, element, expression)) }}
{%- endmacro %}
{% macro duckdb__list_map(list, element, expression) -%}
    list_transform({{ list }}, {{ element }} -> {{ expression }})
{%- endmacro %}
{% macro default__list_map(list, element, expression) -%}
    case when ({{ list }}) is not null then array(
        select {{ expression }} from unnest({{ list }}) with ordinality as list_element({{ element }}, list_position)
        order by list_position) end
{%- endmacro %}

{#- The elements of `list` that are also in `other`, in `list`'s order (`list` holds no duplicates). DuckDB's own
    list_intersect returns them in hash order, which no other database can reproduce. -#}
{% macro list_intersection(list, other) -%}
    {{ list_where(list, 'list_item', list_has(other, 'list_item')) }}
{%- endmacro %}

{#- Aggregate: the group's values as a list, optionally distinct and in `order_by` order (write `filter (where ..)`
    after it as after any aggregate). NULL for a group with no rows. -#}
{% macro list_agg(expression, order_by=none, distinct=false) -%}
    {{ return(adapter.dispatch('list_agg', 'ca_dashboard')(expression, order_by, distinct)) }}
{%- endmacro %}
{% macro duckdb__list_agg(expression, order_by, distinct) -%}
    list({{ 'distinct ' if distinct }}{{ expression }}{{ ' order by ' ~ order_by if order_by }})
{%- endmacro %}
{% macro default__list_agg(expression, order_by, distinct) -%}
    array_agg({{ 'distinct ' if distinct }}{{ expression }}{{ ' order by ' ~ order_by if order_by }})
{%- endmacro %}

{#- Aggregate: the group's strings as a list sorted by code point, of the rows where `where` holds (all if none);
    distinct drops duplicates and NULLs. NULL for a group with no such rows. DuckDB sorts after aggregating (its
    ordered aggregates buffer every group and do not spill); PostgreSQL sorts inside the aggregate. -#}
{% macro sorted_string_list(expression, where=none, distinct=false) -%}
    {{ return(adapter.dispatch('sorted_string_list', 'ca_dashboard')(expression, where, distinct)) }}
{%- endmacro %}
{% macro duckdb__sorted_string_list(expression, where, distinct) -%}
    {%- set aggregate = 'list(' ~ expression ~ ')' ~ (' filter (where ' ~ where ~ ')' if where else '') -%}
    list_sort({{ 'list_distinct(' ~ aggregate ~ ')' if distinct else aggregate }})
{%- endmacro %}
{% macro default__sorted_string_list(expression, where, distinct) -%}
    {%- set conditions = ([where] if where else []) + (['(' ~ expression ~ ') is not null'] if distinct else []) -%}
    array_agg({{ 'distinct ' if distinct }}({{ expression }}) collate "C" order by ({{ expression }}) collate "C")
    {%- if conditions %} filter (where {{ conditions | join(' and ') }}){% endif %}
{%- endmacro %}

{#- A text expression as a sort key (order by, max, window order) that orders by code point, as DuckDB does. -#}
{% macro code_point_order(expression) -%}
    {{ return(adapter.dispatch('code_point_order', 'ca_dashboard')(expression)) }}
{%- endmacro %}
{% macro duckdb__code_point_order(expression) -%} {{ expression }} {%- endmacro %}
{% macro default__code_point_order(expression) -%} ({{ expression }}) collate "C" {%- endmacro %}

{#- Aggregate: any one value of the group; every use has a single value per group. is_array: the values are lists
    (PostgreSQL takes min() there, since arrays of arrays must have equal dimensions). -#}
{% macro any_value_in_group(expression, is_array=false) -%}
    {{ return(adapter.dispatch('any_value_in_group', 'ca_dashboard')(expression, is_array)) }}
{%- endmacro %}
{% macro duckdb__any_value_in_group(expression, is_array) -%} any_value({{ expression }}) {%- endmacro %}
{% macro default__any_value_in_group(expression, is_array) -%}
    {%- if is_array -%} min({{ expression }}) {%- else -%} (array_agg({{ expression }}))[1] {%- endif -%}
{%- endmacro %}

{#- Aggregate: `value` of the row with the smallest / largest `key`, ignoring rows where either is NULL (DuckDB's
    arg_min / arg_max). Ties are broken arbitrarily on both: the rule seeds have none. -#}
{% macro value_at_min(value, key) -%}
    {{ return(adapter.dispatch('value_at_min', 'ca_dashboard')(value, key)) }}
{%- endmacro %}
{% macro duckdb__value_at_min(value, key) -%} arg_min({{ value }}, {{ key }}) {%- endmacro %}
{% macro default__value_at_min(value, key) -%}
    (array_agg({{ value }} order by {{ key }}) filter (where ({{ value }}) is not null and ({{ key }}) is not null))[1]
{%- endmacro %}

{% macro value_at_max(value, key) -%}
    {{ return(adapter.dispatch('value_at_max', 'ca_dashboard')(value, key)) }}
{%- endmacro %}
{% macro duckdb__value_at_max(value, key) -%} arg_max({{ value }}, {{ key }}) {%- endmacro %}
{% macro default__value_at_max(value, key) -%}
    (array_agg({{ value }} order by {{ key }} desc) filter (where ({{ value }}) is not null and ({{ key }}) is not null))[1]
{%- endmacro %}

{#- A double rounded half away from zero, to `digits` decimals (none: to an integer), exactly as DuckDB's round():
    x * 10^digits rounded, then divided back, in double precision. PostgreSQL's round(double) rounds half to even and
    has no digits argument for doubles. -#}
{% macro round_half_away_from_zero(value, digits=none) -%}
    {{ return(adapter.dispatch('round_half_away_from_zero', 'ca_dashboard')(value, digits)) }}
{%- endmacro %}
{% macro duckdb__round_half_away_from_zero(value, digits) -%}
    round({{ value }}{{ ', ' ~ digits if digits is not none }})
{%- endmacro %}
{% macro default__round_half_away_from_zero(value, digits) -%}
    {%- set scaled = 'cast(' ~ value ~ ' as double precision)' ~ (' * ' ~ 10 ** digits if digits else '') -%}
    ((trunc({{ scaled }}) + case when abs({{ scaled }} - trunc({{ scaled }})) >= 0.5 then sign({{ scaled }}) else 0 end)
     {%- if digits %} / cast({{ 10 ** digits }} as double precision){% endif %})
{%- endmacro %}

{#- A double as text the way DuckDB writes it (70.0, 66.3): PostgreSQL writes whole numbers without ".0". -#}
{% macro double_as_text(value) -%}
    {{ return(adapter.dispatch('double_as_text', 'ca_dashboard')(value)) }}
{%- endmacro %}
{% macro duckdb__double_as_text(value) -%} cast({{ value }} as varchar) {%- endmacro %}
{% macro default__double_as_text(value) -%}
    case when ({{ value }}) = trunc({{ value }}) and abs({{ value }}) < 1e15
         then cast(cast({{ value }} as bigint) as text) || '.0' else cast({{ value }} as text) end
{%- endmacro %}

{#- Text as an integer, NULL where it is not one (DuckDB's try_cast). -#}
{% macro try_cast_integer(text) -%}
    {{ return(adapter.dispatch('try_cast_integer', 'ca_dashboard')(text)) }}
{%- endmacro %}
{% macro duckdb__try_cast_integer(text) -%} try_cast({{ text }} as integer) {%- endmacro %}
{% macro default__try_cast_integer(text) -%}
    case when ({{ text }}) ~ '^\s*[-+]?[0-9]+\s*$' then cast({{ text }} as integer) end
{%- endmacro %}

{#- The text a regular expression's capture group matched; '' where the text does not match, NULL for NULL
    (DuckDB's regexp_extract; the patterns use only what RE2 and PostgreSQL share: \s, \d, groups). -#}
{% macro regexp_group(text, pattern, group) -%}
    {{ return(adapter.dispatch('regexp_group', 'ca_dashboard')(text, pattern, group)) }}
{%- endmacro %}
{% macro duckdb__regexp_group(text, pattern, group) -%} regexp_extract({{ text }}, '{{ pattern }}', {{ group }}) {%- endmacro %}
{% macro default__regexp_group(text, pattern, group) -%}
    coalesce((regexp_match({{ text }}, '{{ pattern }}'))[{{ group }}], case when ({{ text }}) is not null then '' end)
{%- endmacro %}

{#- Fails the query with `message` (a text expression) where it is evaluated, e.g. in a CASE branch that a rule seed
    should never reach. PostgreSQL has no error(): the message is cast to `result_type` and fails to parse, so the
    error reads: invalid input syntax for type ...: "<message>". -#}
{% macro raise_error(message, result_type) -%}
    {{ return(adapter.dispatch('raise_error', 'ca_dashboard')(message, result_type)) }}
{%- endmacro %}
{% macro duckdb__raise_error(message, result_type) -%} error({{ message }}) {%- endmacro %}
{% macro default__raise_error(message, result_type) -%} cast({{ message }} as {{ result_type }}) {%- endmacro %}

{#- The select list "every column of `relation` but `excluded`", where `relation` is a CTE or subquery that
    `query` (SQL ending in `select * from relation`) selects: DuckDB's `* exclude (...)`; on PostgreSQL the column
    names are read from the database with the query (dbt's get_columns_in_query, which runs it `where false`). -#}
{% macro star_except(query, excluded) -%}
    {{ return(adapter.dispatch('star_except', 'ca_dashboard')(query, excluded)) }}
{%- endmacro %}
{% macro duckdb__star_except(query, excluded) -%} * exclude ({{ excluded | join(', ') }}) {%- endmacro %}
{% macro default__star_except(query, excluded) -%}
    {%- if not execute -%}{{ return('*') }}{%- endif -%}
    {%- set kept = [] -%}
    {%- for name in get_columns_in_query(query) if name | lower not in excluded | map('lower') | list -%}
        {%- do kept.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {{ kept | join(', ') }}
{%- endmacro %}

{#- Post-hook of every table, incremental model and seed (dbt_project.yml): PostgreSQL plans the next models with
    the table's statistics, which a table made in the same run has not yet (autovacuum analyzes it later); without
    them it guesses a few rows and picks nested loops over large tables. DuckDB keeps its statistics as it writes. -#}
{% macro refresh_planner_statistics() -%}
    {{ return(adapter.dispatch('refresh_planner_statistics', 'ca_dashboard')()) }}
{%- endmacro %}
{% macro duckdb__refresh_planner_statistics() -%}{%- endmacro %}
{% macro default__refresh_planner_statistics() -%}
    {%- if model.config.materialized in ('table', 'incremental', 'seed') -%} analyze {{ this }} {%- endif -%}
{%- endmacro %}

{#- Pre-hook of every table and incremental model (dbt_project.yml), for the statement that builds it: hash joins
    only. PostgreSQL underestimates joins on composite keys (release_key, cds, student_group) and on CTEs by orders
    of magnitude, then picks nested loops, or merge joins on a prefix of the key that filter the rest row by row:
    both never end at California scale. Every join here is an equality join of whole tables, which a hash join does
    in one pass. DuckDB plans them itself. -#}
{% macro planner_settings() -%}
    {{ return(adapter.dispatch('planner_settings', 'ca_dashboard')()) }}
{%- endmacro %}
{% macro duckdb__planner_settings() -%}{%- endmacro %}
{% macro default__planner_settings() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        set local enable_nestloop = off; set local enable_mergejoin = off
    {%- endif -%}
{%- endmacro %}

{#- How a CTE that the query reads several times is planned: DuckDB inlines it (`not materialized`: materialising
    the 8.5 M-row CTEs of the levels model cost 10 s and memory), PostgreSQL computes it once (`materialized`); its
    inlined copies made joins on computed keys that it could only filter row by row (minutes on 250 k rows). -#}
{% macro repeated_cte() -%}
    {{ return(adapter.dispatch('repeated_cte', 'ca_dashboard')()) }}
{%- endmacro %}
{% macro duckdb__repeated_cte() -%} not materialized {%- endmacro %}
{% macro default__repeated_cte() -%} materialized {%- endmacro %}

{#- Whether `text` contains a match of the regular expression `pattern` (searched, not anchored). -#}
{% macro regex_search(text, pattern) -%}
    {{ return(adapter.dispatch('regex_search', 'ca_dashboard')(text, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_search(text, pattern) -%} regexp_matches({{ text }}, '{{ pattern }}') {%- endmacro %}
{% macro default__regex_search(text, pattern) -%} ({{ text }} ~ '{{ pattern }}') {%- endmacro %}
