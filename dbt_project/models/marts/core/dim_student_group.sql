select
    student_group,
    student_group_name,
    category as student_group_category,
    published_list_code,
    sort_order,
    source
from {{ ref('student_groups') }}
