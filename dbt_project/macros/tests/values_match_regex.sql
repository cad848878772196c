{#- Fails with the values that do not match `regex` (nulls pass). The regex is searched, as GX's
    expect_column_values_to_match_regex does: anchor it with ^...$ to match the whole value. -#}
{% test values_match_regex(model, column_name, regex) %}
select {{ column_name }}, count(*) as unmatched_rows
from {{ model }}
where not {{ regex_search(column_name, regex) }}
group by 1
{% endtest %}
