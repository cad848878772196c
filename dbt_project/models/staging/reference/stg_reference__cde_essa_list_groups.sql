-- The student groups CDE's ESSA lists flag for each school (raw.cde_essa_list_groups: the AA .. WH columns equal to 1,
-- the list's own year), with our student-group code (TOM is MR: seeds/student_groups.csv published_list_code).
select
    f.list_year,
    f.report_year,
    {{ cds_code('f.cds') }} as cds,
    f.student_group as cde_student_group,
    g.student_group,
    g.sort_order,
    f.sheet_row,
    f.source_file
from {{ source('raw', 'cde_essa_list_groups') }} as f
left join {{ ref('student_groups') }} as g on g.published_list_code = f.student_group
