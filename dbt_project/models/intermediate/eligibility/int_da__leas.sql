-- The LEAs the DA rules look at, per release, with the year's DA rules: districts, county offices, and charter
-- schools in every year (is_lea_evaluated false before charters are evaluated: a charter's eligibility reads the
-- previous Dashboard year's criteria too).
select
    e.report_year, e.stage, e.release_key, e.cds, e.entity_name as lea_name, e.county_name,
    case when e.entity_type = 'school' then 'charter'
         when coalesce(e.is_coe, false) then 'coe'
         else 'district' end as lea_type,
    e.entity_type = 'district' or y.charters_evaluated as is_lea_evaluated,
    y.methods, y.charter_consecutive_years, y.status_label_scheme
from {{ ref('dim_entity') }} as e
join {{ ref('da_year_rules') }} as y on e.report_year between y.first_year and y.last_year
where e.entity_type = 'district' or (e.entity_type = 'school' and coalesce(e.is_charter, false))
