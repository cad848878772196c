{#- Fails with the values whose length is not `length` (nulls pass), e.g. a cds that is not 14 characters. -#}
{% test value_length_equals(model, column_name, length) %}
select {{ column_name }}, count(*) as wrong_length_rows
from {{ model }}
where length({{ column_name }}) <> {{ length }}
group by 1
{% endtest %}
