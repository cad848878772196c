{#- Release selection for incremental marts.
    var('releases') is a list of release keys ("2018-public") chosen by the Dagster partition(s), or null for all.
    Incremental marts delete the selected releases first (pre_hook) and insert them again: rerunning a release
    replaces exactly that release, including one whose files were removed from raw/. -#}

{% macro release_predicate(release_key_expr) -%}
    {%- set releases = var('releases', none) -%}
    {%- if releases is none -%}
        true
    {%- elif releases | length == 0 -%}
        false
    {%- else -%}
        {{ release_key_expr }} in ({%- for r in releases -%}'{{ r }}'{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
    {%- endif -%}
{%- endmacro %}

{% macro delete_selected_releases(release_key_expr="release_key") -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ release_predicate(release_key_expr) }}
    {%- endif -%}
{%- endmacro %}

{#- For the eligibility models: a year's determinations read earlier years (previous Dashboard, entry year of the
    ESSA cycle, the previous local-indicator file), so rebuilding a release must also rebuild every release of a
    later report year. Selects the releases whose report year is at or after the earliest selected one. -#}
{% macro release_and_later_predicate(report_year_expr) -%}
    {%- set releases = var('releases', none) -%}
    {%- if releases is none -%}
        true
    {%- elif releases | length == 0 -%}
        false
    {%- else -%}
        {%- set years = [] -%}
        {%- for r in releases -%}{%- do years.append(r.split('-')[0] | int) -%}{%- endfor -%}
        {{ report_year_expr }} >= {{ years | min }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_releases_and_later(report_year_expr="report_year") -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ release_and_later_predicate(report_year_expr) }}
    {%- endif -%}
{%- endmacro %}
