select
    {{ dashboard_envelope() }},
    'grad' as indicator,
    {{ student_group_code('studentgroup') }} as student_group,
    {{ rate_measures() }},
    nullif(trim(cal_method), '') as change_method,
    fiveyrnumer as five_year_numerator,
    prioryear1_numer as prior_year1_numerator,
    prioryear1_denom as prior_year1_denominator,
    prioryear1_status as prior_year1_status,
    prioryear2_numer as prior_year2_numerator,
    prioryear2_denom as prior_year2_denominator,
    prioryear2_status as prior_year2_status,
    prioryear3_numer as prior_year3_numerator,
    prioryear3_denom as prior_year3_denominator,
    prioryear3_status as prior_year3_status,
    {{ nsize_flags() }},
    {{ lineage_columns() }}
from {{ source('raw', 'grad') }}
