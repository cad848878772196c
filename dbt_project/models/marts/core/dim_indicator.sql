select
    indicator,
    display_order,
    indicator_name,
    short_name,
    better_direction,
    better_direction = 'lower' as is_lower_better,
    status_measure,
    status_unit,
    first_report_year,
    source
from {{ ref('indicators') }}
