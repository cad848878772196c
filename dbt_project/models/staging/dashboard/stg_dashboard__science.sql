-- Science: 2024 publishes status, change and participation without levels (the real sciencedownload2024.txt);
-- the 2025 layout adds levels (INFERRED, orchestration/releases/layouts). Student groups include CAST and CAA
-- (the CAST and CAA takers).
select
    {{ dashboard_envelope() }},
    'science' as indicator,
    {{ student_group_code('studentgroup') }} as student_group,
    cast(null as bigint) as curr_numerator,
    currdenom as curr_denominator,
    currstatus as curr_status,
    cast(null as bigint) as prior_numerator,
    priordenom as prior_denominator,
    priorstatus as prior_status,
    change,
    {{ reported_levels() }},
    cast(null as boolean) as is_safety_net,
    currprate_enrolled as curr_participation_enrolled,
    currprate_tested as curr_participation_tested,
    currprate as curr_participation_rate,
    priorprate_enrolled as prior_participation_enrolled,
    priorprate_tested as prior_participation_tested,
    priorprate as prior_participation_rate,
    {{ lineage_columns() }}
from {{ source('raw', 'science') }}
