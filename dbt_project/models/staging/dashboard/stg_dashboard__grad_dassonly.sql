-- The DASS-only graduation files of 2020 and 2021 (no Dashboard in those years): one-year graduation cohorts of DASS
-- schools, a reference input (<raw dir>/reference/) that later graduation rules pool (rules audit A5, A16).
select
    report_year,
    {{ cds_code('cds') }} as cds,
    upper(trim(rtype)) as rtype,
    {{ entity_type('rtype') }} as entity_type,
    nullif(trim(schoolname), '') as school_name,
    nullif(trim(districtname), '') as district_name,
    nullif(trim(countyname), '') as county_name,
    {{ yes_flag('charter_flag') }} as is_charter,
    {{ yes_flag('coe_flag') }} as is_coe,
    {{ yes_flag('dass_flag') }} as is_dass,
    {{ student_group_code('studentgroup') }} as student_group,
    currnumer as curr_numerator,
    currdenom as curr_denominator,
    currstatus as curr_status,
    fiveyrnumer as five_year_numerator,
    reportingyear as reporting_year_label,
    {{ lineage_columns() }}
from {{ source('raw', 'grad_dassonly') }}
