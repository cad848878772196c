{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_selected_releases() }}"
    )
}}
-- One row per release loaded: which files, with their sha256, and when. Lineage for BI readers.
-- Incremental by release, like fct_indicator_results.
{%- set lineage_models = [
    'stg_dashboard__ela', 'stg_dashboard__math', 'stg_dashboard__chronic', 'stg_dashboard__susp',
    'stg_dashboard__grad', 'stg_dashboard__elpi', 'stg_dashboard__cci', 'stg_dashboard__science',
    'stg_dashboard__censusenrollrates', 'stg_dashboard__localindperf'] %}

with files as (
    {% for model in lineage_models %}
    select report_year, stage, release_key, source_file, source_sha256, loaded_at, count(*) as row_count
    from {{ ref(model) }}
    {% if is_incremental() %}where {{ release_predicate('release_key') }}{% endif %}
    group by report_year, stage, release_key, source_file, source_sha256, loaded_at
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    release_key,
    report_year::integer as report_year,
    stage,
    count(*) as file_count,
    sum(row_count) as row_count,
    string_agg(source_file || ' (' || left(source_sha256, 12) || ')', ', ' order by {{ code_point_order('source_file') }}) as files,
    max(loaded_at) as loaded_at
from files
group by release_key, report_year, stage
