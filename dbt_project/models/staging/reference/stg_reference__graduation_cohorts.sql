-- School-wide graduation cohorts per cohort year from the optional reference input raw/reference/graduation_cohorts.txt
-- (years without a Dashboard file: 2020, 2021), for the pooled CSI graduation rates (int_essa__graduation_cohorts).
select
    cohort_year,
    {{ cds_code('cds') }} as cds,
    cohort_students,
    graduates,
    nullif(trim(source), '') as source,
    source_file,
    source_sha256
from {{ source('raw', 'graduation_cohorts') }}
