{#- Fails with the row count when the model does not have exactly `value` rows (a fixed vocabulary). -#}
{% test row_count_equals(model, value) %}
select count(*) as row_count
from {{ model }}
having count(*) <> {{ value }}
{% endtest %}
