-- The LEAs the DA rules look at, per release, with the year's DA rules: districts, county offices, and charter
-- schools in every year (is_lea_evaluated false in the years da_year_rules does not evaluate them: charters before
-- 2019 and in 2022, county offices in 2017; a charter's eligibility reads the previous Dashboard year's criteria
-- too, so they are judged all the same).
select
    e.report_year, e.stage, e.release_key, e.cds, e.entity_name as lea_name, e.county_name,
    case when e.entity_type = 'school' then 'charter'
         when coalesce(e.is_coe, false) then 'coe'
         else 'district' end as lea_type,
    case when e.entity_type = 'school' then y.charters_evaluated
         when coalesce(e.is_coe, false) then y.coes_evaluated
         else true end as is_lea_evaluated,
    y.methods, y.charter_consecutive_years, y.status_label_scheme
from {{ ref('dim_entity') }} as e
join {{ ref('da_year_rules') }} as y on e.report_year between y.first_year and y.last_year
where e.entity_type = 'district' or (e.entity_type = 'school' and coalesce(e.is_charter, false))
