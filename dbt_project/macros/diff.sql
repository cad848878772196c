{#
  The entities of one determinations mart whose assistance status differs between a year's preview and public
  release: both statuses, both "identified" flags and both explanations (fct_preview_public_determination_flips).
#}
{% macro stage_pair_flips(program, model, name_column, identified_column) %}
    select
        '{{ program }}' as program,
        pv.report_year,
        pv.cds,
        pb.{{ name_column }} as entity_name,
        pb.county_name,
        pv.assistance_status as preview_status,
        pb.assistance_status as public_status,
        pv.{{ identified_column }} as preview_identified,
        pb.{{ identified_column }} as public_identified,
        pv.explanation as preview_explanation,
        pb.explanation as public_explanation
    from {{ model }} as pv
    inner join {{ model }} as pb
        on pb.report_year = pv.report_year and pb.cds = pv.cds and pb.stage = 'public'
    where pv.stage = 'preview' and pv.assistance_status is distinct from pb.assistance_status
{% endmacro %}
