select
    {{ dashboard_envelope() }},
    'cci' as indicator,
    {{ student_group_code('studentgroup') }} as student_group,
    curr_prep as curr_numerator,
    currdenom as curr_denominator,
    currstatus as curr_status,
    cast(null as bigint) as prior_numerator,
    priordenom as prior_denominator,
    priorstatus as prior_status,
    change,
    {{ reported_levels() }},
    {{ safety_net_flag() }} as is_safety_net,   -- 2019 safetynet, 2024 smalldenom (rules_audit.md A11)
    studentgroup_pct as student_group_share_pct,
    curr_prep_pct as curr_prepared_pct,
    curr_aprep as curr_approaching_prepared,
    curr_aprep_pct as curr_approaching_prepared_pct,
    curr_nprep as curr_not_prepared,
    curr_nprep_pct as curr_not_prepared_pct,
    {{ nsize_flags() }},
    {{ lineage_columns() }}
from {{ source('raw', 'cci') }}
