{#- The published-list views: our determinations in CDE's own record layouts (seeds/eligibility/cde_list_layouts.csv,
    one row per column of each CDE file), so that a user can diff them with CDE's DA and ESSA files column for
    column. The release is the public one of the year, or the preview while the public one is not loaded.
    Columns the Dashboard files cannot fill (city, grade span, EC 52072, Method 4, charter funding type) are '*',
    CDE's own blank marker. -#}

{% macro cde_layout_fields(list_name, layout_year) -%}
    {%- set fields = [] -%}
    {%- if execute -%}
        {%- set result = run_query("select column_name, field from " ~ ref('cde_list_layouts') ~
                                   " where list = '" ~ list_name ~ "' and layout_year = " ~ layout_year ~
                                   " order by position") -%}
        {%- for row in result.rows -%}{%- do fields.append((row[0], row[1])) -%}{%- endfor -%}
        {%- if fields | length == 0 -%}
            {{ exceptions.raise_compiler_error("cde_list_layouts has no " ~ list_name ~ " layout for " ~ layout_year) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(fields) }}
{%- endmacro %}

{% macro chosen_stage(model, layout_year) -%}
    (select case when bool_or(stage = 'public') then 'public' else 'preview' end
     from {{ model }} where report_year = {{ layout_year }})
{%- endmacro %}

{#- The rows of a mart for the layout year, from the chosen stage. -#}
{% macro layout_release(model, layout_year) -%}
    select * from {{ model }}
    where report_year = {{ layout_year }} and stage = {{ chosen_stage(model, layout_year) }}
{%- endmacro %}

{#- The arguments of the fields of one kind, e.g. the years of 'assistance_status:2019'. -#}
{% macro field_arguments(fields, kind) -%}
    {%- set out = [] -%}
    {%- for name, field in fields if field.startswith(kind ~ ':') -%}{%- do out.append(field.split(':')[1]) -%}{%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro cde_da_list(layout_year) -%}
{%- set fields = cde_layout_fields('da', layout_year) -%}
{%- set status_years = field_arguments(fields, 'assistance_status') -%}
-- {{ layout_year }} LCFF District/COE eligibility file layout (CDE assistancestatus{{ (layout_year | string)[2:] }}.xlsx)
with lea as (
    select * from ({{ layout_release(ref('fct_da_eligibility'), layout_year) }}) as released
    where lea_type in ('district', 'coe')
),

group_codes as (
    select p.cds, p.student_group, c.priority_code
    from (
        select cds, student_group,
               array_to_string({{ list_agg('priority_area', order_by='priority_area') }}
                               filter (where is_met_by_state_indicator and priority_area in (4, 5, 6, 8)), '|') as areas
        from {{ ref('fct_da_student_group_priorities') }}
        where release_key in (select release_key from lea)
        group by cds, student_group
    ) as p
    join {{ ref('da_priority_codes') }} as c on c.priority_areas = p.areas
)

select
{%- for name, field in fields %}
    {% set kind, _, arg = field.partition(':') -%}
    {%- if kind == 'cd_code' -%} substr(lea.cds, 1, 7)
    {%- elif kind == 'cds' -%} lea.cds
    {%- elif kind == 'lea_name' -%} lea.lea_name
    {%- elif kind == 'county_name' -%} lea.county_name
    {%- elif kind == 'report_year' -%} lea.report_year::varchar
    {%- elif kind == 'priorities' -%} coalesce((select g.priority_code from group_codes as g
                                                where g.cds = lea.cds and g.student_group = '{{ arg }}'), '*')
    {%- elif kind == 'total_student_groups' -%} lea.qualifying_student_group_count::integer
    {%- elif kind == 'assistance_status' and arg | int == layout_year -%} lea.assistance_status
    {%- elif kind == 'assistance_status' -%} coalesce(s{{ arg }}.assistance_status, '*')
    {%- elif kind == 'met_method' and arg in ('1', '2', '3') -%} case when lea.is_method_{{ arg }}_met then 'Y' else 'N' end
    {%- elif kind in ('met_method', 'city_name', 'grade_span', 'ec52072') -%} '*'
    {%- else -%} {{ exceptions.raise_compiler_error("cde_da_list: unknown field " ~ field) }}
    {%- endif %} as "{{ name }}"{{ "," if not loop.last }}
{%- endfor %}
from lea
{%- for year in status_years if year | int != layout_year %}
left join {{ ref('fct_da_eligibility') }} as s{{ year }}
    on s{{ year }}.report_year = {{ year }} and s{{ year }}.stage = 'public' and s{{ year }}.cds = lea.cds
{%- endfor %}
order by lea.cds
{%- endmacro %}

{% macro cde_essa_list(layout_year) -%}
{%- set fields = cde_layout_fields('essa', layout_year) -%}
{%- set status_years = field_arguments(fields, 'essa_status') -%}
-- {{ layout_year }} ESSA assistance status file layout (CDE essaassistance{{ (layout_year | string)[2:] }}.xlsx)
with school as (
    {{ layout_release(ref('fct_essa_school_determinations'), layout_year) }}
),

coded as (   -- every loaded public determination in CDE's codes; 2020 and 2021 carry 2019 (no Dashboards)
    select d.cds, y.status_year, c.cde_code
    from {{ ref('fct_essa_school_determinations') }} as d
    join {{ ref('essa_status_codes') }} as c using (assistance_status)
    join (select 2020 as status_year, 2019 as report_year union all select 2021, 2019
          union all select report_year, report_year from {{ ref('essa_year_rules') }}) as y using (report_year)
    where d.stage = 'public'
),

enrollment as (
    select cds, max(total_enrollment) as total_enrollment
    from {{ ref('stg_dashboard__censusenrollrates') }}
    where report_year = {{ layout_year }} and student_group = 'ALL'
      and stage in (select stage from school)   -- the stage the list shows, chosen once in `school`
    group by cds
),

colors as (
    select distinct cds from {{ ref('fct_indicator_results') }}
    where report_year = {{ layout_year }} and entity_type = 'school' and color between 1 and 5
      and stage in (select stage from school)
)

select
{%- for name, field in fields %}
    {% set kind, _, arg = field.partition(':') -%}
    {%- if kind == 'cds' -%} school.cds
    {%- elif kind == 'school_name' -%} school.school_name
    {%- elif kind == 'district_name' -%} school.district_name
    {%- elif kind == 'county_name' -%} school.county_name
    {%- elif kind == 'title_i' -%} coalesce((select case when t.is_title_i then 'Yes' else 'No' end
                                            from {{ ref('stg_reference__title_i_status') }} as t
                                            where t.report_year = {{ arg }} and t.cds = school.cds), '*')
    {%- elif kind == 'dass' -%} case when school.is_dass then 'Yes' else 'No' end
    {%- elif kind == 'charter' -%} '*'
    {%- elif kind == 'enrollment' -%} coalesce(enrollment.total_enrollment::varchar, '*')
    {%- elif kind == 'dass_csi_enroll_flag' -%} case when school.is_dass and school.assistance_status = 'CSI Low Graduation Rate'
                                                       and enrollment.total_enrollment < 100 then 'Yes'
                                                  else {{ "null" if layout_year == 2022 else "'No'" }} end {#- 2022: CDE left it blank -#}
    {%- elif kind == 'colors' -%} case when colors.cds is not null then 'Yes' else 'No' end
    {%- elif kind == 'essa_status' and arg | int == layout_year -%} (select c.cde_code from {{ ref('essa_status_codes') }} as c
                                                                     where c.assistance_status = school.assistance_status)
    {%- elif kind == 'essa_status' -%} coalesce(s{{ arg }}.cde_code, '*')
    {%- elif kind == 'exit' -%} school.exit_status
    {%- elif kind == 'group_flag' -%} case when {{ list_has(split_string('school.student_groups_identified', ','), "'" ~ arg ~ "'") }}
                                            then 1 else 0 end
    {%- elif kind == 'total_groups' and arg == 'ATSI' -%} case when school.assistance_status = 'ATSI'
                                                               then school.student_groups_identified_count else 0 end
    {%- elif kind == 'total_groups' -%} case when school.assistance_status = 'TSI'
                                             then school.student_groups_identified_count else 0 end
    {%- elif kind == 'report_year' -%} school.report_year::varchar
    {%- else -%} {{ exceptions.raise_compiler_error("cde_essa_list: unknown field " ~ field) }}
    {%- endif %} as "{{ name }}"{{ "," if not loop.last }}
{%- endfor %}
from school
left join enrollment using (cds)
left join colors using (cds)
{%- for year in status_years if year | int != layout_year %}
left join coded as s{{ year }} on s{{ year }}.cds = school.cds and s{{ year }}.status_year = {{ year }}
{%- endfor %}
order by school.cds
{%- endmacro %}
