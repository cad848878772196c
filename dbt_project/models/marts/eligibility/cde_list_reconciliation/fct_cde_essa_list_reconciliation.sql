-- Our ESSA school determinations (fct_essa_school_determinations) beside CDE's published lists
-- (stg_reference__cde_essa_list), one row per report year with ESSA determinations (essa_year_rules) of CDE's lists
-- and school on either side. CDE's code is read as our status, and classified identified or not, through
-- seeds/eligibility/essa_status_codes.csv (the one owner of the ESSA codes). As for DA: the earliest list that has the year, our public
-- release (the preview while the public one is not loaded), disagreements on partial inputs explained, not misses.
with year_inputs as (
    {{ cde_list_year_inputs('essa') }}
),

cde as (
    select l.*, s.is_identified
    from {{ ref('stg_reference__cde_essa_list') }} as l
    join year_inputs as y on y.report_year = l.report_year
    left join {{ ref('essa_status_codes') }} as s on s.cde_code = l.cde_status
    where l.is_reconciliation_source
),

cde_groups as (   -- the student groups CDE's list flags (the list's own year)
    select list_year, cds,
           string_agg(coalesce(student_group, cde_student_group), ',' order by sort_order) as student_groups
    from {{ ref('stg_reference__cde_essa_list_groups') }}
    group by list_year, cds
),

ours as (
    select d.*
    from {{ ref('fct_essa_school_determinations') }} as d
    join year_inputs as y on y.report_year = d.report_year and y.our_stage = d.stage
),

joined as (
    select
        coalesce(c.report_year, o.report_year) as report_year,
        coalesce(c.cds, o.cds) as cds,
        coalesce(o.school_name, c.school_name) as school_name,
        coalesce(o.district_name, c.district_name) as district_name,
        coalesce(o.county_name, c.county_name) as county_name,
        case when o.cds is null then 'CDE list only' when c.cds is null then 'ours only' else 'both' end as presence,
        c.source_file as cde_list_file,
        c.list_year as cde_list_year,
        c.cde_status,
        c.assistance_status as cde_status_text,
        coalesce(c.is_identified, false) as cde_is_identified,
        case when c.is_list_year then c.exit_status end as cde_exit_status,
        case when c.is_list_year then g.student_groups end as cde_student_groups,
        c.is_title_i as cde_is_title_i,
        o.stage as our_stage,
        o.assistance_status as our_status_text,
        coalesce(o.is_identified, false) as our_is_identified,
        o.exit_status as our_exit_status,
        nullif(o.student_groups_identified, '') as our_student_groups,
        nullif(o.csi_low_performing_criteria, '') as our_csi_low_performing_criteria,
        o.is_title_i as our_is_title_i,
        o.explanation as our_explanation,
        {{ cde_list_agreement('c.is_identified', 'o.is_identified') }} as agreement,
        y.year_inputs_partial,
        y.inputs_loaded,
        y.inputs_not_loaded
    from cde as c
    full outer join ours as o on o.report_year = c.report_year and o.cds = c.cds
    left join cde_groups as g on g.list_year = c.list_year and g.cds = c.cds
    join year_inputs as y on y.report_year = coalesce(c.report_year, o.report_year)
)

select
    r.report_year,
    r.cds,
    r.school_name,
    r.district_name,
    r.county_name,
    r.presence,
    r.agreement,
    r.cde_status_text = r.our_status_text as is_same_status,
    r.cde_list_file,
    r.cde_list_year,
    r.cde_status,
    r.cde_status_text as cde_assistance_status,
    r.cde_is_identified,
    r.cde_exit_status,
    r.cde_student_groups,
    r.cde_is_title_i,
    r.our_stage,
    r.our_status_text as our_assistance_status,
    r.our_is_identified,
    r.our_exit_status,
    r.our_student_groups,
    r.our_csi_low_performing_criteria,
    r.our_is_title_i,
    r.our_explanation,
    {{ cde_list_judgement('school') }}
from joined as r
