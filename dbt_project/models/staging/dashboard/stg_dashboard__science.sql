select
    {{ dashboard_envelope() }},
    'science' as indicator,
    {{ student_group_code('studentgroup') }} as student_group,
    cast(null as bigint) as curr_numerator,
    currdenom as curr_denominator,
    currstatus as curr_status,
    cast(null as bigint) as prior_numerator,
    cast(null as bigint) as prior_denominator,
    cast(null as double precision) as prior_status,
    cast(null as double precision) as change,
    statuslevel as status_level,
    cast(null as integer) as change_level,
    cast(null as integer) as color,
    cast(null as integer) as box,
    cast(null as boolean) as is_safety_net,
    {{ yes_no_flag('currnsizemet') }} as is_curr_nsize_met,
    {{ lineage_columns() }}
from {{ source('raw', 'science') }}
