{#- Normalisation shared by every staging model of a Dashboard research file (the common envelope, §1.3.1). -#}

{#- 'Y' -> true, anything else (blank, 'N') -> false. -#}
{% macro yes_flag(column) -%}
    coalesce(upper(trim({{ column }})) = 'Y', false)
{%- endmacro %}

{#- Same, but null where the flag is absent from the file (neither 'Y' nor 'N'). -#}
{% macro yes_no_flag(column) -%}
    case upper(trim({{ column }})) when 'Y' then true when 'N' then false end
{%- endmacro %}

{% macro cds_code(column) -%}
    lpad(trim({{ column }}), 14, '0')
{%- endmacro %}

{#- rtype X = state (2018+), D = district/LEA, L = LEA (Spring 2017), S = school. Anything else stays null and
    fails the accepted_values test downstream rather than being guessed. -#}
{% macro entity_type(rtype_column) -%}
    case upper(trim({{ rtype_column }}))
        when 'X' then 'state' when 'D' then 'district' when 'L' then 'district' when 'S' then 'school'
    end
{%- endmacro %}

{% macro student_group_code(column) -%}
    upper(trim({{ column }}))
{%- endmacro %}

{#- Release and entity columns of every file with cds/rtype and the three names (indicators and census). -#}
{% macro entity_columns() -%}
    report_year,
    stage,
    report_year::varchar || '-' || stage as release_key,
    {{ cds_code('cds') }} as cds,
    upper(trim(rtype)) as rtype,
    {{ entity_type('rtype') }} as entity_type,
    nullif(trim(schoolname), '') as school_name,
    nullif(trim(districtname), '') as district_name,
    nullif(trim(countyname), '') as county_name
{%- endmacro %}

{#- The envelope every indicator file shares. The Fall 2017 layouts have no dass_flag, so is_dass is null there. -#}
{% macro dashboard_envelope() -%}
    {{ entity_columns() }},
    {{ yes_flag('charter_flag') }} as is_charter,
    {{ yes_flag('coe_flag') }} as is_coe,
    case when report_year = 2017 then null else {{ yes_flag('dass_flag') }} end as is_dass,
    reportingyear as reporting_year_label
{%- endmacro %}

{% macro lineage_columns() -%}
    layout_variant,
    source_file,
    source_sha256,
    loaded_at
{%- endmacro %}

{#- Status, change, levels, colour and box as CDE reported them (0 = none; null = not in that year's layout). -#}
{% macro reported_levels() -%}
    statuslevel as status_level,
    changelevel as change_level,
    color,
    box
{%- endmacro %}

{#- Numerator, denominator, status and change of the rate indicators (chronic, suspension, graduation). -#}
{% macro rate_measures() -%}
    currnumer as curr_numerator,
    currdenom as curr_denominator,
    currstatus as curr_status,
    priornumer as prior_numerator,
    priordenom as prior_denominator,
    priorstatus as prior_status,
    change,
    {{ reported_levels() }},
    {{ safety_net_flag() }} as is_safety_net
{%- endmacro %}

{#- The 2023+ n-size columns: current and prior denominators of at least 30, and CDE's accountabilitymet. -#}
{% macro nsize_flags() -%}
    {{ yes_no_flag('currnsizemet') }} as is_curr_nsize_met,
    {{ yes_no_flag('priornsizemet') }} as is_prior_nsize_met,
    accountabilitymet as accountability_met
{%- endmacro %}

{#- safetynet (2017f-2019) and smalldenom (2023+) both mean "population under 150: 3x5 grid applied" (§1.4.3). -#}
{% macro safety_net_flag() -%}
    {{ yes_no_flag('coalesce(safetynet, smalldenom)') }}
{%- endmacro %}
