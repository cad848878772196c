select
    {{ dashboard_envelope() }},
    'chronic' as indicator,
    {{ student_group_code('studentgroup') }} as student_group,
    {{ rate_measures() }},
    {{ nsize_flags() }},
    certifyflag as certify_flag,
    priorcertifyflag as prior_certify_flag,
    dataerrorflag as data_error_flag,
    {{ lineage_columns() }}
from {{ source('raw', 'chronic') }}
