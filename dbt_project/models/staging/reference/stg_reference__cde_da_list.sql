-- CDE's published Differentiated Assistance lists (raw.cde_da_list, from <raw dir>/reference/assistancestatusYY*.xlsx):
-- one row per list file (list_year), status year (report_year) and LEA, status as CDE writes it (NULL for its '*').
-- A later list repeats the earlier years' statuses (assistancestatus19-rev.xlsx has 2017, 2018 and 2019); the
-- reconciliation reads, for each report year, the earliest list that has it: the year's own list, else the first
-- later one (is_reconciliation_source).
with lists as (
    select *, min(list_year) over (partition by report_year) as first_list_year
    from {{ source('raw', 'cde_da_list') }}
)

select
    list_year,
    report_year,
    {{ cds_code('cds') }} as cds,
    cd_code,
    nullif(trim(lea_name), '') as lea_name,
    nullif(trim(county_name), '') as county_name,
    nullif(trim(city_name), '') as city_name,
    grade_span,
    assistance_status,
    list_year = report_year as is_list_year,
    list_year = first_list_year as is_reconciliation_source,
    {{ yes_no_flag('met_method_1') }} as is_method_1_met,
    {{ yes_no_flag('met_method_2') }} as is_method_2_met,
    {{ yes_no_flag('met_method_3') }} as is_method_3_met,
    {{ yes_no_flag('met_method_4') }} as is_method_4_met,
    nullif(concat_ws(',',
        case when upper(met_method_1) = 'Y' then '1' end, case when upper(met_method_2) = 'Y' then '2' end,
        case when upper(met_method_3) = 'Y' then '3' end, case when upper(met_method_4) = 'Y' then '4' end), '')
        as methods_met,
    total_student_groups,
    {{ yes_no_flag('ec52072') }} as is_ec52072,
    extra_columns,
    sheet_name,
    sheet_row,
    source_file,
    source_sha256,
    loaded_at
from lists
