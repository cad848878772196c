select
    report_year,
    stage,
    report_year::varchar || '-' || stage as release_key,
    {{ cds_code('cds') }} as cds,
    upper(trim(rtype)) as rtype,
    {{ entity_type('rtype') }} as entity_type,
    nullif(trim(schoolname), '') as school_name,
    nullif(trim(districtname), '') as district_name,
    nullif(trim(countyname), '') as county_name,
    {{ student_group_code('studentgroup') }} as student_group,
    totalenrollment as total_enrollment,
    subgrouptotal as student_group_enrollment,
    rate as student_group_share_pct,
    reportingyear as reporting_year_label,
    {{ lineage_columns() }}
from {{ source('raw', 'censusenrollrates') }}
