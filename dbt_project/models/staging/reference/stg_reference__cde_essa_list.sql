-- CDE's published ESSA assistance lists (raw.cde_essa_list, from <raw dir>/reference/essaassistanceYY*.xlsx): one row
-- per list file (list_year), status year (report_year) and school, the status in CDE's code (CSI Low Perform, CSI
-- Grad, ATSI, TSI, No Status) and in ours (seeds/eligibility/essa_status_codes.csv). As for the DA lists, the
-- reconciliation reads each report year from the earliest list that has it (is_reconciliation_source).
with lists as (
    select *, min(list_year) over (partition by report_year) as first_list_year
    from {{ source('raw', 'cde_essa_list') }}
)

select
    l.list_year,
    l.report_year,
    {{ cds_code('l.cds') }} as cds,
    nullif(trim(l.school_name), '') as school_name,
    nullif(trim(l.district_name), '') as district_name,
    nullif(trim(l.county_name), '') as county_name,
    l.assistance_status as cde_status,
    c.assistance_status,
    l.list_year = l.report_year as is_list_year,
    l.list_year = l.first_list_year as is_reconciliation_source,
    l.exit_status,
    case upper(l.title_i) when 'YES' then true when 'NO' then false end as is_title_i,
    case upper(l.dass) when 'YES' then true when 'NO' then false end as is_dass,
    l.charter as charter_funding,
    l.enrollment_count,
    case upper(l.dass_csi_enroll_flag) when 'YES' then true when 'NO' then false end as is_dass_csi_enroll_flag,
    case upper(l.colors) when 'YES' then true when 'NO' then false end as has_colors,
    l.total_student_groups,
    l.total_student_groups_atsi,
    l.total_student_groups_tsi,
    l.extra_columns,
    l.sheet_name,
    l.sheet_row,
    l.source_file,
    l.source_sha256,
    l.loaded_at
from lists as l
left join {{ ref('essa_status_codes') }} as c on c.cde_code = l.assistance_status
