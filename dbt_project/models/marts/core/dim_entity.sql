{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_selected_releases() }}"
    )
}}
-- One row per (report_year, stage, cds): the state, each LEA and each school as the research files of that
-- release describe them. Incremental by release, like fct_indicator_results. Names and flags are merged over every file of the release (max() picks one spelling
-- deterministically where files disagree; a flag is true if any file sets it).
{%- set envelope_models = [
    'stg_dashboard__ela', 'stg_dashboard__math', 'stg_dashboard__chronic', 'stg_dashboard__susp',
    'stg_dashboard__grad', 'stg_dashboard__elpi', 'stg_dashboard__cci', 'stg_dashboard__science'] %}

with envelope as (
    {% for model in envelope_models %}
    select report_year, stage, release_key, cds, entity_type, school_name, district_name, county_name,
           is_charter, is_coe, is_dass
    from {{ ref(model) }}
    {% if is_incremental() %}where {{ release_predicate('release_key') }}{% endif %}
    union all
    {% endfor %}
    select report_year, stage, release_key, cds, entity_type, school_name, district_name, county_name,
           null::boolean, null::boolean, null::boolean
    from {{ ref('stg_dashboard__censusenrollrates') }}
    {% if is_incremental() %}where {{ release_predicate('release_key') }}{% endif %}
    union all
    select report_year, stage, release_key, cds, entity_type, null, lea_name, county_name,
           null::boolean, null::boolean, null::boolean
    from {{ ref('stg_dashboard__localindperf') }}
    {% if is_incremental() %}where {{ release_predicate('release_key') }}{% endif %}
),

merged as (
    select
        report_year,
        stage,
        release_key,
        cds,
        max({{ code_point_order('entity_type') }}) as entity_type,
        count(distinct entity_type) as entity_type_count,
        max({{ code_point_order('school_name') }}) as school_name,
        max({{ code_point_order('district_name') }}) as district_name,
        max({{ code_point_order('county_name') }}) as county_name,
        bool_or(is_charter) as is_charter,
        bool_or(is_coe) as is_coe,
        bool_or(is_dass) as is_dass
    from envelope
    group by report_year, stage, release_key, cds
)

select
    report_year::integer as report_year,
    stage,
    release_key,
    cds,
    entity_type,
    entity_type_count,
    substr(cds, 1, 2) as county_code,
    substr(cds, 3, 5) as district_code,
    substr(cds, 8, 7) as school_code,
    case when entity_type = 'state' then null else substr(cds, 1, 7) || '0000000' end as district_cds,
    county_name,
    district_name,
    school_name,
    case entity_type
        when 'state' then 'California'
        when 'district' then district_name
        else school_name
    end as entity_name,
    is_charter,
    is_coe,
    is_dass
from merged
