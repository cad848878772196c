{#- Use the configured schema name as it is ("marts", not "main_marts"), so that BI users and tests can query
    marts.fct_indicator_results under exactly that name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
