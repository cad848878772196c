select
    indicator,
    indicator_name,
    short_name,
    better_direction,
    better_direction = 'lower' as is_lower_better,
    status_measure,
    first_report_year,
    source
from {{ ref('indicators') }}
