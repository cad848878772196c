-- The priority code CDE's DA lists give each LEA's student groups (raw.cde_da_list_priorities, the list's own year),
-- with our student-group code (CDE writes TOM for MR: seeds/student_groups.csv published_list_code) and the priority
-- areas the code stands for (seeds/eligibility/da_priority_codes.csv).
select
    p.list_year,
    p.report_year,
    {{ cds_code('p.cds') }} as cds,
    p.student_group as cde_student_group,
    g.student_group,
    g.sort_order,
    p.priority_code,
    c.priority_areas,
    p.sheet_row,
    p.source_file
from {{ source('raw', 'cde_da_list_priorities') }} as p
left join {{ ref('student_groups') }} as g on g.published_list_code = p.student_group
left join {{ ref('da_priority_codes') }} as c on c.priority_code = p.priority_code
