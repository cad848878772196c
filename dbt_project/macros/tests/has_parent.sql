{#- Multi-column relationships test: every row of the model has a row in `to` with the same values in `columns`.
    Fails with the orphan keys. -#}
{% test has_parent(model, to, columns) %}
select distinct {% for c in columns %}child.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} as child
where not exists (
    select 1 from {{ to }} as parent
    where {% for c in columns %}parent.{{ c }} = child.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{% endtest %}
