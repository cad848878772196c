-- Every indicator's staging rows in one shape: the columns of marts.fct_indicator_results.
-- The Fall 2017 grade-11 academic files are left out: grade 11 was not an Academic Indicator result that year
-- (no status level or colour; §2.1), and their keys would collide with the grades 3-8 rows.
{%- set indicator_models = [
    'stg_dashboard__ela', 'stg_dashboard__math', 'stg_dashboard__chronic', 'stg_dashboard__susp',
    'stg_dashboard__grad', 'stg_dashboard__elpi', 'stg_dashboard__cci', 'stg_dashboard__science'] %}

{% for model in indicator_models %}
select
    report_year,
    stage,
    release_key,
    indicator,
    cds,
    entity_type,
    student_group,
    curr_numerator,
    curr_denominator,
    curr_status,
    prior_numerator,
    prior_denominator,
    prior_status,
    change,
    status_level,
    change_level,
    color,
    box,
    is_safety_net,
    source_file,
    source_sha256,
    loaded_at,
    -- what chooses the cut-point table (seed cut_table_selection)
    {{ 'is_hs_cut_points' if model in ('stg_dashboard__ela', 'stg_dashboard__math') else 'null::boolean' }}
        as is_hs_cut_points,
    {{ 'suspension_type' if model == 'stg_dashboard__susp' else 'null::varchar' }} as suspension_type,
    is_dass,
    is_coe,
    -- what some n-size rules count instead of the denominator (ELPI 2017f: annual testers; seed nsize_rules)
    {{ 'curr_testers' if model == 'stg_dashboard__elpi' else 'null::bigint' }} as curr_testers,
    {{ 'prior_testers' if model == 'stg_dashboard__elpi' else 'null::bigint' }} as prior_testers,
    -- the flags a status level override reads (seed status_level_overrides): suspension certification, ELPI
    -- participation (flag95pct, 2019 and 2022)
    {{ 'certify_flag' if model in ('stg_dashboard__susp', 'stg_dashboard__chronic') else 'null::varchar' }}
        as certify_flag,
    {{ 'flag_95pct' if model == 'stg_dashboard__elpi' else 'null::varchar' }} as flag_95pct
from {{ ref(model) }}
{%- if model in ('stg_dashboard__ela', 'stg_dashboard__math') %}
where not is_grade_11_file
{%- endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
