-- Our Differentiated Assistance determinations (fct_da_eligibility) beside CDE's published lists
-- (stg_reference__cde_da_list), one row per report year of CDE's lists and LEA on either side. CDE's sheet is
-- 'District and COE', so our rows are districts and county offices (charter schools are not in it). For each report
-- year the list read is the earliest that has it (the year's own, else the first later list that repeats it), our
-- release the public one (the preview while the public one is not loaded). A disagreement where the year's inputs
-- are partial (marts.fct_cde_list_inputs), or for an LEA without results in the files loaded, is explained by them,
-- not counted as a miss.
with year_inputs as (
    {{ cde_list_year_inputs('da') }}
),

cde as (
    select l.*, s.is_identified
    from {{ ref('stg_reference__cde_da_list') }} as l
    join year_inputs as y on y.report_year = l.report_year
    left join {{ ref('da_assistance_statuses') }} as s on s.assistance_status = l.assistance_status
    where l.is_reconciliation_source
),

cde_priorities as (   -- CDE's reasons: each student group's priority code and the areas it stands for
    select list_year, cds,
           string_agg(cde_student_group || ' ' || priority_code || ' (P' || replace(priority_areas, '|', ', P') || ')',
                      '; ' order by sort_order) as priority_codes
    from {{ ref('stg_reference__cde_da_list_priorities') }}
    group by list_year, cds
),

ours as (
    select d.*
    from {{ ref('fct_da_eligibility') }} as d
    join year_inputs as y on y.report_year = d.report_year and y.our_stage = d.stage
    where d.lea_type in ('district', 'coe')
),

joined as (
    select
        coalesce(c.report_year, o.report_year) as report_year,
        coalesce(c.cds, o.cds) as cds,
        coalesce(o.lea_name, c.lea_name) as lea_name,
        coalesce(o.county_name, c.county_name) as county_name,
        o.lea_type,
        case when o.cds is null then 'CDE list only' when c.cds is null then 'ours only' else 'both' end as presence,
        c.source_file as cde_list_file,
        c.list_year as cde_list_year,
        c.assistance_status as cde_status_text,
        coalesce(c.is_identified, false) as cde_is_identified,
        case when c.is_list_year then c.methods_met end as cde_methods_met,
        case when c.is_list_year then p.priority_codes end as cde_priority_codes,
        o.stage as our_stage,
        o.assistance_status as our_status_text,
        coalesce(o.is_receiving_differentiated_assistance, false) as our_is_identified,
        o.is_eligible as our_is_eligible,
        nullif(o.methods_met, '') as our_methods_met,
        nullif(o.qualifying_student_groups, '') as our_qualifying_student_groups,
        nullif(o.local_priorities_not_met_two_years, '') as our_local_priorities_not_met_two_years,
        o.explanation as our_explanation,
        {{ cde_list_agreement('c.is_identified', 'o.is_receiving_differentiated_assistance') }} as agreement,
        y.year_inputs_partial,
        y.inputs_loaded,
        y.inputs_not_loaded
    from cde as c
    full outer join ours as o on o.report_year = c.report_year and o.cds = c.cds
    left join cde_priorities as p on p.list_year = c.list_year and p.cds = c.cds
    join year_inputs as y on y.report_year = coalesce(c.report_year, o.report_year)
)

select
    r.report_year,
    r.cds,
    r.lea_name,
    r.county_name,
    r.lea_type,
    r.presence,
    r.agreement,
    r.cde_status_text = r.our_status_text as is_same_status_text,
    r.cde_list_file,
    r.cde_list_year,
    r.cde_status_text as cde_assistance_status,
    r.cde_is_identified,
    r.cde_methods_met,
    r.cde_priority_codes,
    r.our_stage,
    r.our_status_text as our_assistance_status,
    r.our_is_identified,
    r.our_is_eligible,
    r.our_methods_met,
    r.our_qualifying_student_groups,
    r.our_local_priorities_not_met_two_years,
    r.our_explanation,
    {{ cde_list_judgement('LEA') }}
from joined as r
