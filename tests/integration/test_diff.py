"""Preview -> public diff (issue 8), hand-worked: 2023 preview and public files that differ in a few results, and the
LEAs whose Differentiated Assistance determination flips because of them."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.cli import main
from tests.support.eligibility_fixtures import preview_public_season, season_lea

lea = season_lea


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    f = preview_public_season(2023)     # the scenario is described where it is written
    raw = f.write(tmp_path_factory.mktemp("diff") / "raw")
    path = raw.parent / "w.duckdb"
    assert main(["build", "--raw-dir", str(raw), "--warehouse", str(path), "--publish-dir",
                 str(raw.parent / "published")]) == 0
    return path


def _query(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_flips_with_their_reason(warehouse):
    flips = {cds: rest for cds, *rest in _query(
        warehouse, "select cds, program, preview_status, public_status, flip, colour_changes, reason "
                   "from marts.fct_preview_public_determination_flips order by cds")}
    assert set(flips) == {lea(1), lea(2)}                       # LEA 3 changed results but not its determination
    program, preview, public, flip, colours, reason = flips[lea(1)]
    assert (program, flip) == ("da", "no longer identified in public")
    assert preview.startswith("Differentiated Assistance") and public == "General Assistance"
    assert colours == "chronic SWD: Red -> Orange"
    assert reason.startswith("preview: Eligible (Method 1): SWD met P4") and "| public: " in reason
    program, preview, public, flip, colours, reason = flips[lea(2)]
    assert (program, flip, public) == ("da", "newly identified in public", "Differentiated Assistance, Year 1")
    assert colours == "susp SWD: Orange -> Red"
    assert "P5 (Chronic Absenteeism Red), P6 (Suspension Rate Red)" in reason.split("| public: ")[1]


def test_the_result_changes_by_kind(warehouse):
    rows = _query(warehouse, "select cds, indicator, student_group, change_kind, preview_denominator, "
                             "public_denominator from marts.fct_preview_public_result_changes order by all")
    assert rows == [
        (lea(1), "chronic", "SWD", "colour changed", 200, 200),
        (lea(2), "susp", "SWD", "colour changed", 200, 200),
        (lea(3), "ela", "SWD", "revised", 200, 210),
        (lea(3), "ela", "WH", "removed in public", 200, None),
    ]


def test_the_diff_is_published_with_the_public_release(warehouse):
    published = warehouse.parent / "published" / "2023-public"
    assert duckdb.sql(f"select count(*) from '{published}/fct_preview_public_determination_flips.parquet'"
                      ).fetchall() == [(2,)]
