"""The reconciliation of our determinations with CDE's published lists (the loader of the lists:
tests/unit/test_list_reconciliation.py).

The build runs once (`cadash build`) on the real CDE files in raw/ (2017 and 2018) with assistancestatus19-rev.xlsx
and the ESSA cut under reference/, and checks the reconciliation on real values: the 2018 LEAs we identify through
Method 2 (local indicators Not Met two or more years, which the real LocalIndPerf2017 and LocalIndPerf2018 files
settle) agree with CDE's 2018 column; every other LEA CDE identified in 2018 is 'only CDE identifies' with partial
inputs (2018's ELA, math, chronic absenteeism, suspension, graduation and CCI files are not in raw/), so no miss is
counted.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.inputs import CDE_DA_2018, DA_19, list_copy

# the LEAs our Method 2 finds from the real 2017 and 2018 local indicators
METHOD_2_2018 = 11
INPUTS_2018 = ("2018 inputs: English Learner Progress 2018, Local indicators 2018, Local indicators 2017 only; "
               "Chronic Absenteeism 2018, College/Career 2018, ELA 2018, Graduation Rate 2018, Math 2018, "
               "Suspension Rate 2018 not loaded")


@pytest.fixture(scope="module")
def reconciled(bundled_warehouse) -> Path:
    """The session's build of the real files in raw/ (2017 and 2018) with CDE's assistancestatus19-rev.xlsx and the
    ESSA cut under reference/ (tests/conftest.py): its folder, with w.duckdb and build.log."""
    return bundled_warehouse.parent


@pytest.fixture(scope="module")
def con(reconciled):
    connection = duckdb.connect(str(reconciled / "w.duckdb"), read_only=True)
    yield connection
    connection.close()


def _dicts(con, sql: str, params=()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_2018_method_2_leas_agree_with_cde(con):
    method_2 = {r[0] for r in con.execute("select cds from marts.fct_da_eligibility where report_year = 2018 "
                                          "and stage = 'public' and is_method_2_met").fetchall()}
    assert len(method_2) == METHOD_2_2018
    rows = {r["cds"]: r for r in _dicts(con, "select * from marts.fct_cde_da_list_reconciliation "
                                             "where report_year = 2018")}
    both = {cds for cds, r in rows.items() if r["agreement"] == "both identify"}
    assert both == method_2
    for cds in method_2:
        r = rows[cds]
        assert (r["presence"], r["cde_assistance_status"], r["our_assistance_status"], r["our_methods_met"],
                r["cde_list_file"], r["inputs_partial"], r["is_disagreement"]) == (
            "both", "Differentiated Assistance", "Differentiated Assistance", "2", DA_19, True, False)
        assert r["our_local_priorities_not_met_two_years"].count(",") >= 1      # two or more local indicators
        assert r["explanation"].startswith("Both identify: CDE Differentiated Assistance; ours: Eligible (Method 2)")


def test_2018_other_cde_leas_are_only_cde_with_partial_inputs_not_misses(con):
    rows = _dicts(con, "select * from marts.fct_cde_da_list_reconciliation where report_year = 2018")
    cde = [r for r in rows if r["cde_is_identified"]]
    assert len(cde) == CDE_DA_2018
    others = [r for r in cde if r["agreement"] != "both identify"]
    assert len(others) == CDE_DA_2018 - METHOD_2_2018 == 375
    for r in others:
        assert (r["agreement"], r["inputs_partial"], r["is_explained_by_partial_inputs"],
                r["is_miss_on_complete_inputs"], r["inputs_explanation"]) == (
            "only CDE identifies", True, True, False, INPUTS_2018), r["cds"]
        assert r["explanation"].startswith("Only CDE identifies (Differentiated Assistance), explained by partial "
                                           "inputs, not a miss")
        assert r["explanation"].endswith(f"[{INPUTS_2018}]")
    assert sum(r["agreement"] == "only we identify" for r in rows) == 0
    assert {r["presence"] for r in rows} == {"both"} and len(rows) == 997


def test_summary_per_year(con):
    summary = {(r["program"], r["report_year"]): r for r in _dicts(
        con, "select * from marts.fct_cde_list_reconciliation_summary")}
    assert set(summary) == {("da", 2017), ("da", 2018), ("da", 2019),
                            ("essa", 2018), ("essa", 2019), ("essa", 2022)}
    s = summary[("da", 2018)]
    assert (s["cde_list_file"], s["our_stage"], s["inputs_partial"], s["rows_compared"], s["rows_on_both_sides"],
            s["rows_cde_list_only"], s["rows_ours_only"], s["agreements"], s["both_identify"],
            s["both_not_identified"], s["only_we_identify"], s["only_cde_identifies"], s["misses_on_complete_inputs"],
            s["misses_explained_by_partial_inputs"]) == (
        DA_19, "public", True, 997, 997, 0, 0, 622, 11, 611, 0, 375, 0, 375)
    assert s["inputs_not_loaded"] == ("Chronic Absenteeism 2018, College/Career 2018, ELA 2018, Graduation Rate 2018, "
                                      "Math 2018, Suspension Rate 2018")
    s = summary[("da", 2017)]   # 2017: graduation, ELPI, CCI and local indicators only: CDE's 228 are all explained
    assert (s["both_identify"] + s["only_cde_identifies"], s["only_we_identify"], s["misses_on_complete_inputs"],
            s["inputs_not_loaded"]) == (228, 0, 0, "ELA 2017, Math 2017, Suspension Rate 2017")
    s = summary[("da", 2019)]   # no 2019 release: every CDE row is CDE's only, nothing counted as a miss
    assert (s["our_stage"], s["inputs_loaded"], s["rows_compared"], s["rows_cde_list_only"], s["only_cde_identifies"],
            s["misses_on_complete_inputs"], s["misses_explained_by_partial_inputs"]) == (
        None, None, 997, 997, 333, 0, 333)
    for s in summary.values():
        assert s["rows_compared"] == (s["agreements"] + s["misses_on_complete_inputs"]
                                      + s["misses_explained_by_partial_inputs"])


def test_inputs_say_what_each_year_reads(con):
    inputs = {(r[0], r[1], r[2]): r[3:] for r in con.execute(
        "select program, report_year, label, is_loaded, source_files from marts.fct_cde_list_inputs").fetchall()}
    assert inputs[("da", 2018, "Local indicators 2017")] == (True, "LocalIndPerf2017.txt")   # Not Met 2018 + 2017
    assert inputs[("da", 2018, "Local indicators 2018")] == (True, "LocalIndPerf2018.txt")
    assert inputs[("da", 2017, "ELA 2017")] == (False, None)            # the grade-11 file has no levels
    assert ("da", 2017, "Chronic Absenteeism 2017") not in inputs        # no chronic absenteeism indicator in 2017
    assert inputs[("essa", 2018, "Graduation Rate 2017")] == (True, "graddownload2017f.txt")   # ATSI: two years
    assert inputs[("essa", 2018, "Title I status 2018")] == (True, "title_i_status.txt")


def test_essa_2018_on_the_alameda_cut(con):
    """ESSA: all our 2018 determinations are General Assistance (no 2018 ELA, math, ... files), so each Alameda
    school CDE identified in 2018 (the 2018 column of essaassistance22.xlsx) is 'only CDE identifies', explained."""
    rows = _dicts(con, "select * from marts.fct_cde_essa_list_reconciliation where report_year = 2018 "
                       "and cds like '01%'")
    cde = [r for r in rows if r["cde_is_identified"]]
    sheet = [line for line in list_copy("essa_22.csv")
             if line["cds"].startswith("01") and line["AssistanceStatus2018"] != "No Status"]
    assert len(cde) == len(sheet) == 68
    assert all(r["agreement"] == "only CDE identifies" and r["is_explained_by_partial_inputs"] for r in cde)
    assert {r["cde_status"] for r in cde} == {line["AssistanceStatus2018"] for line in sheet}
    assert {r["cde_assistance_status"] for r in cde} <= {"CSI Low Performing", "CSI Low Graduation Rate", "ATSI"}
    assert not any(r["is_miss_on_complete_inputs"] for r in rows)
    assert all(r["cde_exit_status"] is None for r in rows)    # the exit codes are of the list's year (2022)


def test_the_build_logs_the_lists_and_their_suites(reconciled):
    log = (reconciled / "build.log").read_text()
    assert "cadash build: 2 release(s)" in log
    assert "CDE's lists (marts.fct_cde_list_reconciliation_summary; per LEA and school: " in log
    assert ("  da 2018: 997 compared, 622 agree (11 both identify), 0 misses on complete inputs, 375 explained by "
            "partial inputs\n") in log
