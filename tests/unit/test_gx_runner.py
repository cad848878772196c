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
