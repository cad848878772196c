"""The Great Expectations suites (issue 7): every suite passes on the real bundled build, and each kind of
expectation really fails on bad rows, naming the expectation, the release and sample rows."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.quality import gx_runner
from orchestration.quality.gx_runner import run_suite, suites

RAW = {s["table"]: s for s in suites("raw")}
MARTS = {s["table"]: s for s in suites("marts")}
RELEASES = ["2017-public", "2018-public"]


@pytest.fixture()
def copy(bundled_warehouse, tmp_path):
    """A writable copy of the bundled warehouse to break on purpose."""
    import shutil

    path = tmp_path / "copy.duckdb"
    shutil.copyfile(bundled_warehouse, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


@pytest.mark.parametrize("table", sorted(RAW) + sorted(MARTS))
def test_every_suite_passes_on_the_real_build(bundled_warehouse, table):
    suite = RAW.get(table) or MARTS[table]
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    try:
        result = run_suite(con, suite, RELEASES)
    finally:
        con.close()
    assert result.outcomes, "a suite that runs nothing cannot fail"
    assert result.success, [f.describe() for f in result.failures]


def _failures(con, table: str, releases=RELEASES) -> dict[tuple[str, str | None], gx_runner.ExpectationOutcome]:
    suite = RAW.get(table) or MARTS[table]
    result = run_suite(con, suite, releases)
    return {(f.expectation, f.column): f for f in result.failures}


def test_a_duplicated_key_fails_with_the_rows(copy):
    copy.execute("insert into raw.grad select * from raw.grad where cds = '33670330000000' and studentgroup = 'ALL'")
    failed = _failures(copy, "raw.grad")
    assert set(failed) == {("expect_compound_columns_to_be_unique", None)}
    outcome = failed[("expect_compound_columns_to_be_unique", None)]
    assert outcome.release == "2017-public" and outcome.unexpected_count == 2
    assert {row["cds"] for row in outcome.sample} == {"33670330000000"}


def test_codes_ranges_numerators_box_and_suppression_fail(copy):
    con = copy
    key = "cds = '33670330000000' and studentgroup = 'SED'"
    con.execute("update raw.grad set studentgroup = 'XX' where cds = '33670330000000' and studentgroup = 'WH'")
    con.execute(f"update raw.grad set color = 7, currnumer = currdenom + 1 where {key}")
    con.execute("update raw.grad set currstatus = 104.2 where cds = '33670330000000' and studentgroup = 'AS'")
    con.execute("update raw.grad set box = box + 10 where color > 0 and cds = '33670330000000' "
                "and studentgroup = 'ALL'")
    con.execute("update raw.grad set currstatus = 50.0 where currdenom between 1 and 10 and cds like '3367%' "
                "and currstatus is null")
    failed = _failures(con, "raw.grad")
    assert failed[("expect_column_values_to_be_in_set", "studentgroup")].sample[0]["studentgroup"] == "XX"
    assert failed[("expect_column_values_to_be_in_set", "color")].unexpected_count == 1
    assert failed[("expect_column_values_to_be_between", "currstatus")].sample[0]["currstatus"] == 104.2
    assert ("expect_column_pair_values_a_to_be_greater_than_b", None) in failed          # numerator > denominator
    assert failed[("expect_column_pair_values_to_be_equal", None)].sample[0]["studentgroup"] == "ALL"   # box
    assert failed[("expect_column_values_to_be_null", "currstatus")].unexpected_count >= 1  # status under 11
    # the wrong box is reported with the box the levels give
    box_row = failed[("expect_column_pair_values_to_be_equal", None)].sample[0]
    assert box_row["box"] == box_row["box_expected"] + 10


def test_an_entity_without_its_all_row_fails(copy):
    copy.execute("delete from raw.cci where cds = '33670330000000' and studentgroup = 'ALL'")
    failed = _failures(copy, "raw.cci")
    outcome = failed[("expect_column_values_to_be_in_set", "has_required_group")]
    assert outcome.frame == "entities" and outcome.sample[0]["cds"] == "33670330000000"


def test_a_release_far_smaller_than_the_previous_one_fails(copy):
    copy.execute("insert into raw.elpi select * replace (2018 as report_year) from raw.elpi where report_year = 2017")
    copy.execute("delete from raw.elpi where report_year = 2018 and rtype = 'S'")   # 2018: ~1,800 rows vs 9,518
    failed = _failures(copy, "raw.elpi")
    outcome = failed[("expect_column_values_to_be_between", "ratio_to_previous")]
    assert outcome.frame == "release_size" and outcome.sample[0]["release"] == "2018-public"


def test_preview_and_public_covering_different_entities_fails(copy):
    copy.execute("insert into raw.grad select * replace ('preview' as stage) from raw.grad "
                 "where cds <> '33670330000000'")
    failed = _failures(copy, "raw.grad", ["2017-preview", "2017-public"])
    outcome = failed[("expect_column_values_to_be_in_set", "in_preview")]
    assert outcome.frame == "stage_coverage" and outcome.release == "2017-preview/public"
    assert outcome.sample[0]["cds"] == "33670330000000"


def test_a_mart_value_out_of_range_fails(copy):
    """A range GX owns: a count of qualifying groups above 20 fails, alone, with the row. (A duplicated key, a null,
    a wrong-length cds or an unknown code in a mart is dbt's: unique_combination_of_columns, not_null,
    value_length_equals, accepted_values and relationships tests, e.g. a status that is not in
    seeds/eligibility/da_assistance_statuses.csv.)"""
    copy.execute("update marts.fct_da_eligibility set qualifying_student_group_count = 21 "
                 "where cds = (select min(cds) from marts.fct_da_eligibility)")
    failed = _failures(copy, "marts.fct_da_eligibility")
    assert set(failed) == {("expect_column_values_to_be_between", "qualifying_student_group_count")}
    assert failed[("expect_column_values_to_be_between", "qualifying_student_group_count")].sample[0][
        "qualifying_student_group_count"] == 21




