{#- Fails with the rows whose column is outside [min_value, max_value] (nulls pass). -#}
{% test values_between(model, column_name, min_value, max_value) %}
select {{ column_name }}, count(*) as rows_outside
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
group by 1
{% endtest %}
