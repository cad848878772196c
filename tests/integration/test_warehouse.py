"""The warehouse `cadash build` makes from the bundled real files: dbt build passed, and the marts hold exactly
the files' rows with the right keys, values and dimensions."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(bundled_warehouse):
    connection = duckdb.connect(str(bundled_warehouse), read_only=True)
    yield connection
    connection.close()


def test_fact_row_counts_per_indicator_and_release(con):
    rows = con.execute(
        "select report_year, stage, indicator, count(*) from marts.fct_indicator_results group by all order by all"
    ).fetchall()
    # grad 25,564, ELPI 9,518 and CCI 22,978 data lines in the 2017f files; ELPI 10,366 in 2018. The Fall 2017
    # grade-11 ELA/math files are not Academic Indicator results and stay out of the fact.
    assert rows == [
        (2017, "public", "cci", 22978), (2017, "public", "elpi", 9518), (2017, "public", "grad", 25564),
        (2018, "public", "elpi", 10366),
    ]


def test_fact_key_is_unique(con):
    dupes = con.execute(
        "select count(*) from (select 1 from marts.fct_indicator_results "
        "group by report_year, stage, indicator, cds, student_group having count(*) > 1)"
    ).fetchall()
    assert dupes == [(0,)]


def test_fact_columns_and_types(con):
    cols = dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fct_indicator_results'"
    ).fetchall())
    required = {
        "report_year": "INTEGER", "stage": "VARCHAR", "indicator": "VARCHAR", "cds": "VARCHAR",
        "entity_type": "VARCHAR", "student_group": "VARCHAR", "curr_numerator": "BIGINT",
        "curr_denominator": "BIGINT", "curr_status": "DOUBLE", "prior_status": "DOUBLE", "change": "DOUBLE",
        "status_level": "INTEGER", "change_level": "INTEGER", "color": "INTEGER", "box": "INTEGER",
        "source_file": "VARCHAR",
    }
    assert {k: cols.get(k) for k in required} == required
    assert con.execute("select min(length(cds)), max(length(cds)) from marts.fct_indicator_results").fetchall() \
        == [(14, 14)]


def test_fact_values_match_the_file(con):
    row = con.execute(
        "select entity_type, curr_numerator, curr_denominator, curr_status, prior_status, change, status_level, "
        "change_level, color, box, is_safety_net, source_file from marts.fct_indicator_results "
        "where report_year = 2017 and indicator = 'grad' and cds = '01612590100065' and student_group = 'ALL'"
    ).fetchall()
    assert row == [("school", 57, 64, 89.1, 82.7, 6.4, 3, 4, 4, 140, True, "graddownload2017f.txt")]
    elpi = con.execute(
        "select student_group, curr_denominator, curr_status, color from marts.fct_indicator_results "
        "where report_year = 2018 and indicator = 'elpi' and cds = '00000000000000'"
    ).fetchall()
    assert elpi == [("EL", 1140229, None, None)]  # 2018 ELPI: ELPAC level counts, no status, no colour column


def test_every_fact_row_has_its_entity_and_student_group(con):
    orphans = con.execute(
        "select count(*) from marts.fct_indicator_results f anti join marts.dim_entity e "
        "using (report_year, stage, cds)"
    ).fetchall()
    assert orphans == [(0,)]
    unknown = con.execute(
        "select count(*) from marts.fct_indicator_results f anti join marts.dim_student_group g using (student_group)"
    ).fetchall()
    assert unknown == [(0,)]
    groups = {r[0] for r in con.execute("select distinct student_group from marts.fct_indicator_results").fetchall()}
    assert groups == {"ALL", "AA", "AI", "AS", "FI", "HI", "PI", "WH", "MR", "EL", "SED", "SWD", "FOS", "HOM"}


def test_entity_dimension(con):
    ent = con.execute(
        "select entity_type, entity_name, county_code, district_cds, is_charter, is_dass from marts.dim_entity "
        "where report_year = 2017 and cds = '19647330117846'"
    ).fetchall()
    assert ent == [("school", "Para Los Niños Middle", "19", "19647330000000", True, None)]
    lea = con.execute(
        "select entity_type, entity_name, is_coe from marts.dim_entity where report_year = 2018 "
        "and cds = '01100170000000'"
    ).fetchall()
    assert lea == [("district", "Alameda County Office of Education", True)]
    state = con.execute("select entity_name from marts.dim_entity where cds = '00000000000000'").fetchall()
    assert state == [("California",)]  # the 2018 ELPI file has a state row; the 2017f files have none
    counts = dict(con.execute(
        "select entity_type, count(*) from marts.dim_entity where release_key = '2017-public' group by 1"
    ).fetchall())
    assert counts["district"] >= 990 and counts["school"] > 2000


def test_releases_and_local_indicators(con):
    releases = con.execute("select release_key, file_count from marts.dim_release order by 1").fetchall()
    assert releases == [("2017-public", 6), ("2018-public", 2)]
    met = con.execute(
        "select priority_area, performance, count(*) from staging.stg_dashboard__localindperf "
        "where report_year = 2017 and priority_area = 9 group by all order by all"
    ).fetchall()
    assert met == [(9, "Met", 50), (9, "Not Met", 8)]
    grade11 = con.execute(
        "select count(*) from staging.stg_dashboard__ela where is_grade_11_file").fetchall()
    assert grade11 == [(27247,)]
