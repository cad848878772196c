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
