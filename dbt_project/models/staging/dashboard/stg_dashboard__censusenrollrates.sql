select
    {{ entity_columns() }},
    {{ student_group_code('studentgroup') }} as student_group,
    totalenrollment as total_enrollment,
    subgrouptotal as student_group_enrollment,
    rate as student_group_share_pct,
    reportingyear as reporting_year_label,
    {{ lineage_columns() }}
from {{ source('raw', 'censusenrollrates') }}
