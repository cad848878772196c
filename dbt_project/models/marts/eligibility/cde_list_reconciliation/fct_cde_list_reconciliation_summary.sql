-- Per program (da, essa) and report year of CDE's lists: how our determinations compare with CDE's. Every row of
-- the reconciliation marts is counted once: rows_compared = agreements + misses_on_complete_inputs +
-- misses_explained_by_partial_inputs.
with rows_ as (
    select 'da' as program, report_year, cde_list_file, presence, agreement, is_miss_on_complete_inputs,
           is_explained_by_partial_inputs
    from {{ ref('fct_cde_da_list_reconciliation') }}
    union all
    select 'essa', report_year, cde_list_file, presence, agreement, is_miss_on_complete_inputs,
           is_explained_by_partial_inputs
    from {{ ref('fct_cde_essa_list_reconciliation') }}
),

years as (
    select 'da' as program, y.* from ({{ cde_list_year_inputs('da') }}) as y
    union all
    select 'essa' as program, y.* from ({{ cde_list_year_inputs('essa') }}) as y
)

select
    y.program,
    y.report_year,
    max(r.cde_list_file) as cde_list_file,
    y.our_stage,
    y.year_inputs_partial as inputs_partial,
    y.inputs_loaded,
    y.inputs_not_loaded,
    count(r.agreement) as rows_compared,
    count(*) filter (where r.presence = 'both') as rows_on_both_sides,
    count(*) filter (where r.presence = 'CDE list only') as rows_cde_list_only,
    count(*) filter (where r.presence = 'ours only') as rows_ours_only,
    count(*) filter (where r.agreement in ('both identify', 'both not identified')) as agreements,
    count(*) filter (where r.agreement = 'both identify') as both_identify,
    count(*) filter (where r.agreement = 'both not identified') as both_not_identified,
    count(*) filter (where r.agreement = 'only we identify') as only_we_identify,
    count(*) filter (where r.agreement = 'only CDE identifies') as only_cde_identifies,
    count(*) filter (where r.is_miss_on_complete_inputs) as misses_on_complete_inputs,
    count(*) filter (where r.is_explained_by_partial_inputs) as misses_explained_by_partial_inputs
from years as y
left join rows_ as r on r.program = y.program and r.report_year = y.report_year
group by y.program, y.report_year, y.our_stage, y.year_inputs_partial, y.inputs_loaded, y.inputs_not_loaded
