-- LocalIndicator reads e.g. "Basic-Priority Area 1": the LCFF priority area is the trailing number.
select
    report_year,
    stage,
    report_year::varchar || '-' || stage as release_key,
    {{ cds_code('cds') }} as cds,
    'district' as entity_type,
    nullif(trim(leaname), '') as lea_name,
    nullif(trim(countyname), '') as county_name,
    trim(localindicator) as local_indicator,
    {{ try_cast_integer(regexp_group('localindicator', 'Priority Area\s*(\d+)', 1)) }} as priority_area,
    trim(performance) as performance,
    {{ lineage_columns() }}
from {{ source('raw', 'localindperf') }}
