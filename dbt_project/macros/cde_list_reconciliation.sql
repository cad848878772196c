{#- The reconciliation of our determinations with CDE's published lists (marts/eligibility/cde_list_reconciliation).
    Shared by the DA and ESSA marts: the per-year summary of our inputs, the agreement of the two sides and the
    one-line explanation. -#}

{#- The report years of CDE's lists of `program` (da, essa) that the program's rules cover (da_year_rules,
    essa_year_rules), each read from the earliest list that has it (is_reconciliation_source). -#}
{% macro cde_list_years(program) -%}
    {%- if program == 'da' -%}
    select distinct l.report_year
    from {{ ref('stg_reference__cde_da_list') }} as l
    join {{ ref('da_year_rules') }} as y on l.report_year between y.first_year and y.last_year
    where l.is_reconciliation_source
    {%- elif program == 'essa' -%}
    select distinct l.report_year
    from {{ ref('stg_reference__cde_essa_list') }} as l
    join {{ ref('essa_year_rules') }} as y on y.report_year = l.report_year
    where l.is_reconciliation_source
    {%- else -%}{{ exceptions.raise_compiler_error("cde_list_years: unknown program " ~ program) }}
    {%- endif -%}
{%- endmacro %}

{#- Per report year loaded: the release of ours compared with CDE's list, the public one, else the preview while
    the public one is not loaded (as the CDE-layout views choose it). -#}
{% macro cde_list_stages() -%}
    select report_year, case when bool_or(stage = 'public') then 'public' else 'preview' end as stage
    from {{ ref('dim_release') }}
    group by report_year
{%- endmacro %}

{#- Per report year of `program`'s lists: the stage of ours compared (NULL: nothing loaded for the year), whether
    any input the rules read is not loaded (true too when the seeds list none for the year), and the inputs loaded
    / not loaded as text (marts.fct_cde_list_inputs). -#}
{% macro cde_list_year_inputs(program) -%}
    select
        y.report_year,
        s.stage as our_stage,
        coalesce(bool_or(not i.is_loaded), true) as year_inputs_partial,
        string_agg(i.label, ', ' order by i.input_order, {{ code_point_order('i.label') }})
            filter (where i.is_loaded) as inputs_loaded,
        string_agg(i.label, ', ' order by i.input_order, {{ code_point_order('i.label') }})
            filter (where not i.is_loaded) as inputs_not_loaded
    from ({{ cde_list_years(program) }}) as y
    left join ({{ cde_list_stages() }}) as s on s.report_year = y.report_year
    left join {{ ref('fct_cde_list_inputs') }} as i on i.program = '{{ program }}' and i.report_year = y.report_year
    group by y.report_year, s.stage
{%- endmacro %}

{#- both identify / only we identify / only CDE identifies / both not identified; a side without the row, or with
    a blank status, does not identify. -#}
{% macro cde_list_agreement(cde_identified, our_identified) -%}
    case
        when coalesce({{ cde_identified }}, false) and coalesce({{ our_identified }}, false) then 'both identify'
        when coalesce({{ our_identified }}, false) then 'only we identify'
        when coalesce({{ cde_identified }}, false) then 'only CDE identifies'
        else 'both not identified'
    end
{%- endmacro %}

{#- The columns every reconciliation row ends with, from a relation `r` that has report_year, presence, agreement,
    year_inputs_partial, inputs_loaded, inputs_not_loaded, cde_status_text, our_status_text and our_explanation;
    `entity` is 'LEA' or 'school'. -#}
{% macro cde_list_judgement(entity) -%}
    {%- set partial -%} (r.year_inputs_partial or r.presence = 'CDE list only') {%- endset -%}
    {%- set disagreement -%} r.agreement in ('only we identify', 'only CDE identifies') {%- endset -%}
    {%- set inputs_text -%}
        concat_ws('; ',
            case when r.year_inputs_partial then
                r.report_year || ' inputs: ' || coalesce(r.inputs_loaded || ' only', 'none loaded')
                || coalesce('; ' || r.inputs_not_loaded || ' not loaded', '') end,
            case when r.presence = 'CDE list only' then
                'no ' || r.report_year || ' results for this {{ entity }} in the files loaded' end)
    {%- endset -%}
    {{ partial }} as inputs_partial,
    r.inputs_loaded,
    r.inputs_not_loaded,
    nullif({{ inputs_text }}, '') as inputs_explanation,
    {{ disagreement }} as is_disagreement,
    {{ disagreement }} and not {{ partial }} as is_miss_on_complete_inputs,
    {{ disagreement }} and {{ partial }} as is_explained_by_partial_inputs,
    case r.agreement
        when 'both identify' then 'Both identify: CDE ' || r.cde_status_text || '; ours: ' || r.our_explanation
        when 'both not identified' then 'Neither identifies'
            || case when r.cde_status_text is null and r.presence <> 'ours only'
                    then ' (CDE leaves the status blank)' else '' end
        else
            case when r.agreement = 'only CDE identifies'
                 then 'Only CDE identifies (' || r.cde_status_text || ')'
                 else 'Only we identify (' || r.our_status_text || ')' end
            || case when {{ partial }} then ', explained by partial inputs, not a miss'
                    else ', a miss on complete inputs' end
            || case when r.presence = 'ours only' then '; not in CDE''s list'
                    when r.our_explanation is not null then '; ours: ' || r.our_explanation else '' end
    end
    || case when {{ partial }} then ' [' || {{ inputs_text }} || ']' else '' end as explanation
{%- endmacro %}
