"""The suites' definitions (issue 7): a suite file that cannot be read is a clear error naming its line and
column; tables with one layout share one definition."""

from __future__ import annotations

import pytest

from orchestration.quality.gx_runner import SuiteError, load_suites, suites

RAW = {s["table"]: s for s in suites("raw")}


def test_a_suite_that_cannot_run_is_a_clear_error(tmp_path):
    bad = tmp_path / "raw" / "x.json"
    bad.parent.mkdir()
    bad.write_text('{"name": "x", "table": "raw.x",\n "frames": {"rows": []},}')
    with pytest.raises(SuiteError, match=r"x.json, line 2, column"):
        load_suites(bad)
    bad.write_text('{"name": "x", "table": "raw.x", "frames": {"everything": []}}')
    with pytest.raises(SuiteError, match="unknown frame"):
        load_suites(bad)
    bad.write_text('{"tables": ["raw.x", "raw.y"], "table": "raw.x", "frames": {"rows": []}}')
    with pytest.raises(SuiteError, match="takes its name, table and asset from each table"):
        load_suites(bad)


def test_tables_with_one_layout_share_one_definition():
    """raw/ela_math.json defines the ELA and the math suites: the same expectations, each its own table."""
    ela, math = RAW["raw.ela"], RAW["raw.math"]
    assert (ela["name"], ela["asset"], math["name"], math["asset"]) == ("raw.ela", ["raw", "ela"], "raw.math",
                                                                        ["raw", "math"])
    assert ela["path"] == math["path"] and ela["path"].endswith("ela_math.json")
    assert ela["frames"] == math["frames"] and ela["frames"] is not math["frames"]
    assert len(ela["frames"]["rows"]) > 5
    assert RAW["raw.grad"]["path"].endswith("grad_chronic.json") and RAW["raw.chronic"]["table"] == "raw.chronic"


def test_one_context_validates_each_frame_afresh():
    """The context's one datasource takes every frame in turn: a bad release after a clean one fails with its own
    count, and a clean release after the bad one passes (no metric of an earlier frame is reused)."""
    import duckdb

    from orchestration.quality.gx_runner import gx_context, run_suite

    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.t as select * from (values (2023, 'preview', 1), (2023, 'public', null), "
                "(2023, 'public', null), (2024, 'preview', 3)) as v(report_year, stage, n)")
    suite = {"name": "raw.t", "table": "raw.t", "path": "t.json", "sample_columns": ["report_year"],
             "frames": {"rows": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "n"}}]}}
    context = gx_context()
    outcomes = [run_suite(con, suite, [release], context).outcomes[0]
                for release in ("2023-preview", "2023-public", "2024-preview")]
    assert [(o.release, o.success, o.unexpected_count) for o in outcomes] == [
        ("2023-preview", True, None), ("2023-public", False, 2), ("2024-preview", True, None)]
