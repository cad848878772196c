-- Title I, Part A funding per school and report year, from the reference input raw/reference/title_i_status.txt.
select
    report_year,
    {{ cds_code('cds') }} as cds,
    nullif(trim(school_name), '') as school_name,
    title_i = 'Y' as is_title_i,
    source_file,
    source_sha256
from {{ source('raw', 'title_i_status') }}
