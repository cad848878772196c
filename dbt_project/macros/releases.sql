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

{#- For the eligibility models. A year's determinations read the public releases of earlier years (previous
    Dashboard, entry year of the ESSA cycle, previous local-indicator file), never a preview. So rebuilding a
    preview release touches only itself, and rebuilding a public release also touches every release of a later
    report year. Selects those releases. -#}
{% macro release_and_later_predicate(report_year_expr, release_key_expr="release_key") -%}
    {%- set public_years = [] -%}
    {%- for r in (var('releases', none) or []) if r.endswith('-public') -%}
        {%- do public_years.append(r.split('-')[0] | int) -%}
    {%- endfor -%}
    ({{ release_predicate(release_key_expr) }}
     {%- if public_years %} or {{ report_year_expr }} > {{ public_years | min }}{% endif %})
{%- endmacro %}

{% macro delete_releases_and_later(report_year_expr="report_year", release_key_expr="release_key") -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ release_and_later_predicate(report_year_expr, release_key_expr) }}
    {%- endif -%}
{%- endmacro %}
