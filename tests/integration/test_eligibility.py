"""Eligibility determinations (issue 6): hand-worked LEAs and schools for every rule and year variant, on both
sides of each condition, built as small fixture releases; CDE's published lists where our inputs exist; the
CDE-layout views against the published files' columns and codes.

Colours: 1 Red, 2 Orange, 3 Yellow, 4 Green, 5 Blue; status levels 1 = worst (Very Low, or Very High for chronic
absenteeism and suspension). Each case says the rule it exercises (dashboard_methodology.md §3 and §4)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from tests.support.hand_worked import lea, school
from tests.support.inputs import CSV_COPIES


@pytest.fixture(scope="module")
def warehouse(hand_worked_warehouse) -> Path:
    return hand_worked_warehouse


def _rows(path: Path, sql: str) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def da(warehouse):
    return _rows(warehouse, "select report_year || ':' || cds as k, * from marts.fct_da_eligibility "
                            "where stage = 'public'")


@pytest.fixture(scope="module")
def essa(warehouse):
    return _rows(warehouse, "select report_year || ':' || cds as k, * from marts.fct_essa_school_determinations "
                            "where stage = 'public'")


DA_EXPECTED = [
    # (year, cds, eligible, methods, qualifying groups, rule exercised)
    (2023, lea(1), True, "1", "SWD", "Red ELA + Orange math (P4) and Red chronic (P5)"),
    (2023, lea(2), False, "", "", "Red + Yellow is not P4; one area is not enough"),
    (2023, lea(3), False, "", "", "two groups with one area each"),
    (2023, lea(4), True, "1", "AA", "2023 CCI Very Low Status (P8) + Red suspension (P6)"),
    (2023, lea(5), True, "2", "", "two local indicators Not Met 2+ years"),
    (2023, lea(6), True, "3", "", "one state area + a local indicator in another area"),
    (2023, lea(7), False, "", "", "state area and local indicator in the same area"),
    (2023, lea(8), False, "", "", "local indicator Not Met for one year only"),
    (2023, lea(9), True, "2", "", "county office: priorities 9 and 10"),
    (2023, lea(10), True, "1", "FOS", "foster youth n=20 at an LEA gets colours (n-size 15)"),
    (2023, school(11), True, "1", "HI", "charter meeting the criteria in 2022 and 2023"),
    (2023, school(12), False, "1", "HI", "charter meeting the criteria in 2023 only"),
    (2022, lea(13), True, "1", "HI", "2022: Very Low ELA and math (P4) + Very High suspension (P6)"),
    (2022, lea(14), False, "", "", "2022: Low math is not P4; local indicators not used"),
    (2024, lea(15), True, "1", "LTEL", "2024: LTEL ELA/math Red (P4) + chronic Red (P5)"),
    (2025, lea(16), False, "", "", "2025: ELA and math do not count for LTEL"),
    (2025, lea(17), True, "1", "LTEL", "2025: LTEL Orange on ELPI (P4) + Red suspension (P6)"),
    (2025, lea(18), False, "", "", "2025: Orange ELPI counts for LTEL only, not EL"),
    (2017, lea(21), True, "1", "EL", "2017: ELPI Red (P4, EL) + graduation Red (P5)"),
    (2017, lea(22), False, "", "", "2017: CCI Status only, so CCI is not P8"),
    (2018, lea(23), True, "3", "", "2018: P5 + local P3 Not Met in 2017 and 2018"),
    (2018, lea(24), False, "", "", "2018: local P3 Not Met in 2018 only"),
    (2019, lea(19), True, "1", "EL", "2019: ELPI Very Low Status (P4) + Red graduation (P5)"),
    (2019, lea(20), True, "1", "SWD", "2019: Red CCI (P8) + Red chronic (P5)"),
]


@pytest.mark.parametrize("year,cds,eligible,methods,groups,rule", DA_EXPECTED,
                         ids=[f"{c[0]}-{c[1]}" for c in DA_EXPECTED])
def test_da_hand_worked(da, year, cds, eligible, methods, groups, rule):
    row = da[f"{year}:{cds}"]
    got = (row["is_eligible"], row["methods_met"] if row["meets_criteria"] else "",
           row["qualifying_student_groups"] or "")
    assert got == (eligible, methods, groups), f"{rule}: {row['explanation']}"


def test_da_charter_explanations_and_school_n_size(da):
    assert "not in 2022" in da[f"2023:{school(12)}"]["explanation"]
    assert da[f"2023:{school(12)}"]["meets_criteria"] and da[f"2023:{school(12)}"]["previous_meets_criteria"] is False
    # the same foster-youth results at a charter school (n-size 30) have no colour: nothing met
    charter = da[f"2023:{school(10)}"]
    assert not charter["meets_criteria"]
    assert "any state priority area" in charter["explanation"]


def test_da_status_labels_and_transitions(da):
    assert da[f"2023:{lea(1)}"]["assistance_status"] == "Differentiated Assistance, Year 1"
    assert da[f"2022:{lea(13)}"]["assistance_status"] == "Differentiated Assistance"
    year2 = da[f"2024:{lea(1)}"]
    assert (year2["is_eligible"], year2["assistance_status"], year2["transition"]) == (
        False, "Differentiated Assistance, Year 2", "exiting")
    assert da[f"2024:{lea(15)}"]["assistance_status"] == "Differentiated Assistance, Year 1"
    # charters are not evaluated in 2022 (A6): no 2022 row; their 2022 results still count for 2023
    assert f"2022:{school(11)}" not in da and f"2022:{school(12)}" not in da
    assert da[f"2023:{school(11)}"]["previous_meets_criteria"] is True
    assert (da[f"2023:{school(11)}"]["is_eligible"], da[f"2023:{school(11)}"]["transition"]) == (True, "new")
    # county offices are not evaluated in 2017 (A7): no 2017 row; eligible in 2018
    assert f"2017:{lea(25)}" not in da and f"2017:{lea(21)}" in da
    assert (da[f"2018:{lea(25)}"]["is_eligible"], da[f"2018:{lea(25)}"]["lea_type"]) == (True, "coe")
    assert da[f"2019:{lea(19)}"]["transition"] == "identified, previous year not loaded"   # no 2018 release
    # the explanation names the group, the priority areas and the indicators
    assert da[f"2023:{lea(1)}"]["explanation"] == (
        "Eligible (Method 1): SWD met P4 (ELA Red + Math Orange), P5 (Chronic Absenteeism Red)")


def test_da_priority_rows_carry_the_evidence(warehouse):
    rows = _rows(warehouse, f"""
        select priority_area, is_met, is_met_by_state_indicator, is_met_by_local_indicator, criteria_met,
               state_evidence, rules_applied
        from marts.fct_da_student_group_priorities
        where report_year = 2023 and stage = 'public' and cds = '{lea(6)}' and student_group = 'SWD'""")
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7, 8]          # P9/P10 only for county offices
    assert rows[5]["criteria_met"] == "P5-CHRONIC" and rows[5]["state_evidence"] == "Chronic Absenteeism Red"
    assert rows[2]["is_met_by_local_indicator"] and not rows[2]["is_met_by_state_indicator"]
    assert not rows[4]["is_met"] and rows[4]["state_evidence"] == "not met: no result for this group"
    assert "P5-CHRONIC [2023-]" in rows[5]["rules_applied"]


def test_da_published_codes(warehouse):
    codes = _rows(warehouse, "select CDS, SWDpriorities, AApriorities, TotalStudentGroups, MetMethod1, MetMethod2, "
                             "MetMethod3, AssistanceStatus2023 from marts.cde_assistancestatus23")
    assert (codes[lea(1)]["SWDpriorities"], codes[lea(1)]["TotalStudentGroups"], codes[lea(1)]["MetMethod1"]) == (
        "B", 1, "Y")
    assert codes[lea(4)]["AApriorities"] == "G"
    assert (codes[lea(6)]["MetMethod3"], codes[lea(6)]["SWDpriorities"]) == ("Y", "*")
    assert (codes[lea(5)]["MetMethod2"], codes[lea(5)]["AssistanceStatus2023"]) == (
        "Y", "Differentiated Assistance, Year 1")
    assert school(11) not in codes                          # CDE's DA file lists districts and COEs only
    assert _rows(warehouse, "select CDS, HIpriorities from marts.cde_assistancestatus22")[lea(13)][
        "HIpriorities"] == "D"


def test_da_near_misses(warehouse):
    rows = _rows(warehouse, """
        select cds || ':' || report_year || ':' || indicator || ':' || direction, change, outcome_if_changed
        from marts.fct_eligibility_near_misses where program = 'da' and stage = 'public'""")
    # lea(2): math Yellow -> Orange would give SWD P4 + P5
    assert rows[f"{lea(2)}:2023:Math:worse"]["change"] == "Yellow to Orange"
    # lea(1): SWD meets exactly two areas; chronic Red -> Orange would end its eligibility
    assert rows[f"{lea(1)}:2023:Chronic Absenteeism:better"]["outcome_if_changed"].startswith("General Assistance")
    # lea(3): two groups with one area each; no single change flips it (each group needs a second area)
    assert not [k for k in rows if k.startswith(lea(3))]


ESSA_EXPECTED = [
    # (year, cds, status, criterion substring, rule exercised)
    (2023, school(1, 800), "CSI Low Performing", "ALL-RED", "all Red, Title I"),
    (2023, school(2, 800), "General Assistance", "not the school is not Title I", "all Red but not Title I"),
    (2023, school(3, 800), "CSI Low Performing", "ALL-RED-BUT-ONE", "all Red but one"),
    (2023, school(4, 800), "General Assistance", "", "Red, Orange, Orange, Yellow: no criterion"),
    (2023, school(5, 800), "CSI Low Performing", "MAJORITY-RED", "three Red of five"),
    (2023, school(6, 800), "General Assistance", "", "two Red of five"),
    (2023, school(7, 800), "CSI Low Performing", "ALL-RED", "A1: one rated indicator, Red, is enough for ALL"),
    (2023, school(23, 800), "General Assistance", "", "A1: a group with one rated indicator is not ATSI"),
    (2023, school(24, 800), "CSI Low Graduation Rate", "65.0%", "A2: both CSI criteria: CSI Low Graduation Rate"),
    (2023, school(25, 800), "CSI Low Performing", "ALL-RED", "A3: ATSI in 2022, CSI in 2023"),
    (2024, school(26, 800), "ATSI", "HI", "A4: ATSI stays while any group (HI) meets a criterion"),
    (2024, school(27, 800), "General Assistance", "exits ATSI", "A4: no group meets one: exits, not TSI"),
    (2022, school(28, 800), "CSI Low Graduation Rate", "2020, 2021 not in the inputs", "A5: three-year, two missing"),
    (2022, school(32, 800), "General Assistance", "", "A5: 2020 and 2021 from graduation_cohorts.txt: 73.3"),
    (2019, school(29, 800), "CSI Low Performing", "MAJORITY-RED", "A14: 2019 ELPI Very Low counts as Red (3 of 5)"),
    (2019, school(31, 800), "General Assistance", "", "A14: 2019 ELPI Low is not Red (2 of 5)"),
    (2023, school(8, 800), "CSI Low Graduation Rate", "65.0%", "pooled 2022-2023 rate 65.0 < 68 (2021 missing)"),
    (2023, school(9, 800), "General Assistance", "", "mean of rates 67.5 but pooled 76.9"),
    (2023, school(10, 800), "General Assistance", "", "prior cohort of 29"),
    (2023, school(11, 800), "General Assistance", "", "68.0 is not below 68"),
    (2023, school(12, 800), "ATSI", "SWD", "SWD meets the criteria in 2022 and 2023"),
    (2023, school(13, 800), "General Assistance", "", "SWD meets the criteria in 2023 only"),
    (2022, school(14, 800), "ATSI", "EL", "2022: all lowest Status but one, one Dashboard"),
    (2022, school(15, 800), "General Assistance", "", "2022: two indicators above the lowest level"),
    (2024, school(1, 800), "CSI Low Performing", "since 2023", "annual year: still all Red, stays"),
    (2024, school(3, 800), "General Assistance", "exits CSI Low Performing", "annual year: exits"),
    (2024, school(8, 800), "General Assistance", "exits CSI Low Graduation Rate", "three-year rate 73.3 >= 68"),
    (2024, school(16, 800), "TSI", "HI", "HI meets the criteria in 2023 and 2024"),
    (2024, school(17, 800), "General Assistance", "", "2024 only: not TSI"),
    (2025, school(1, 800), "CSI Low Performing", "since 2023", "2025 annual: still all Red"),
    (2025, school(18, 800), "TSI", "WH", "WH Red + Orange in 2024 and 2025"),
    (2018, school(19, 800), "CSI Low Performing", "ALL-RED", "2018: all Red (with graduation), Title I"),
    (2018, school(20, 800), "ATSI", "SWD", "2018: SWD Red + Orange in 2017 and 2018"),
    (2018, school(21, 800), "General Assistance", "", "2018: SWD in 2018 only"),
    (2018, school(22, 800), "CSI Low Graduation Rate", "66.3%", "2018: pooled 66.3 < 67"),
]


@pytest.mark.parametrize("year,cds,status,text,rule", ESSA_EXPECTED, ids=[f"{c[0]}-{c[1]}" for c in ESSA_EXPECTED])
def test_essa_hand_worked(essa, year, cds, status, text, rule):
    row = essa[f"{year}:{cds}"]
    assert row["assistance_status"] == status, f"{rule}: {row['explanation']}"
    if text.startswith("not "):
        assert text[4:] in row["explanation"], rule
    else:
        assert text in row["explanation"] + (row["csi_low_performing_criteria"] or ""), rule


def test_essa_exits_cycle_and_years(essa):
    assert essa[f"2024:{school(3, 800)}"]["exit_status"] == "CSIEXIT"
    assert essa[f"2024:{school(8, 800)}"]["exit_status"] == "CSIEXIT"
    assert essa[f"2024:{school(8, 800)}"]["graduation_exit_rate"] == pytest.approx(73.3)
    entry = essa[f"2023:{school(8, 800)}"]
    assert (entry["graduation_entry_rate"], entry["graduation_cohort_years_used"],
            entry["graduation_cohort_years_missing"]) == (pytest.approx(65.0), "2022,2023", "2021")
    assert "2021 not in the inputs" in entry["explanation"]
    pooled = essa[f"2022:{school(32, 800)}"]
    assert (pooled["graduation_entry_rate"], pooled["graduation_cohort_years_used"],
            pooled["graduation_cohort_years_missing"]) == (pytest.approx(73.3), "2020,2021,2022", None)
    assert essa[f"2022:{school(28, 800)}"]["graduation_entry_rate"] == pytest.approx(60.0)
    assert essa[f"2023:{school(25, 800)}"]["exit_status"] == "ATSIEXIT"     # A3 (NOEXIT before)
    assert essa[f"2023:{school(25, 800)}"]["previous_assistance_status"] == "ATSI"
    kept_atsi = essa[f"2024:{school(26, 800)}"]
    assert (kept_atsi["exit_status"], kept_atsi["student_groups_identified"]) == ("NOEXIT", "HI")   # A4
    assert essa[f"2024:{school(27, 800)}"]["exit_status"] == "ATSIEXIT"
    assert essa[f"2024:{school(27, 800)}"]["assistance_status"] == "General Assistance"   # not TSI
    kept = essa[f"2024:{school(1, 800)}"]
    assert (kept["determination_kind"], kept["cycle_entry_year"], kept["exit_status"], kept["transition"]) == (
        "annual", 2023, "NOEXIT", "continuing")
    assert essa[f"2023:{school(12, 800)}"]["dashboard_years_used"] == "2022,2023"
    assert essa[f"2022:{school(14, 800)}"]["dashboard_years_used"] == "2022"
    assert essa[f"2024:{school(16, 800)}"]["student_groups_identified"] == "HI"


def test_essa_near_misses(warehouse):
    rows = _rows(warehouse, """
        select cds || ':' || report_year || ':' || student_group || ':' || direction, indicator, change,
               outcome_if_changed
        from marts.fct_eligibility_near_misses where program = 'essa' and stage = 'public'""")
    edge = rows[f"{school(4, 800)}:2023:ALL:worse"]           # chronic Yellow -> Orange: all Red and Orange
    assert (edge["indicator"], edge["change"], edge["outcome_if_changed"]) == (
        "Chronic Absenteeism", "Yellow to Orange", "CSI Low Performing")
    # school 5 (three Red of five): any Red one level better leaves two of five, no criterion
    better = rows[f"{school(5, 800)}:2023:ALL:better"]
    assert (better["indicator"], better["outcome_if_changed"]) == (
        "Chronic Absenteeism or ELA or Math", "not CSI Low Performing")
    # school 3 (Red, Red, Orange): one level better still meets all-Red-and-Orange or all-Red-but-one
    assert f"{school(3, 800)}:2023:ALL:better" not in rows


def test_essa_published_layout_codes(warehouse):
    rows = _rows(warehouse, "select cds, AssistanceStatus2023, AssistanceStatus2024, Exit, HI, TotStudGrpsTSI "
                            "from marts.cde_essaassistance24")
    assert (rows[school(16, 800)]["AssistanceStatus2024"], rows[school(16, 800)]["HI"],
            rows[school(16, 800)]["TotStudGrpsTSI"]) == ("TSI", 1, 1)
    row = rows[school(3, 800)]
    assert (row["AssistanceStatus2023"], row["Exit"]) == ("CSI Low Perform", "CSIEXIT")


# ----------------------------------------------------------------------------------------------- CDE's lists

def _published(name: str) -> list[dict]:
    with (CSV_COPIES / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_real_2018_method_2_matches_cde(bundled_warehouse):
    """Where our inputs exist (the 2017 and 2018 local-indicator files): Method 2 in 2018 gives CDE's count of 11
    (dashboard_methodology.md §3.3), and each of those LEAs is Differentiated Assistance in CDE's 2018 column."""
    rows = _rows(bundled_warehouse, "select cds, is_method_2_met, is_eligible from marts.fct_da_eligibility "
                                    "where report_year = 2018 and stage = 'public'")
    method_2 = {cds for cds, r in rows.items() if r["is_method_2_met"]}
    assert len(method_2) == 11
    cde_2018 = {r["CDS"]: r["AssistanceStatus2018"] for r in _published("da_19.csv")}
    assert {cds: cde_2018.get(cds) for cds in method_2} == {cds: "Differentiated Assistance" for cds in method_2}


def test_real_2017_partial_determinations_are_a_subset_of_cde(bundled_warehouse):
    """2017: only graduation, ELPI and CCI status are bundled, so our determinations can only miss LEAs, never add
    one: every LEA we identify must be DA in CDE's 2017 column, and every group we find meeting an area counts."""
    rows = _rows(bundled_warehouse, "select cds, is_eligible from marts.fct_da_eligibility "
                                    "where report_year = 2017 and stage = 'public'")
    cde_2017 = {r["CDS"]: r["AssistanceStatus2017"] for r in _published("da_19.csv")}
    ours = {cds for cds, r in rows.items() if r["is_eligible"]}
    assert all(cde_2017.get(cds) == "Differentiated Assistance" for cds in ours)
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    met = dict(con.execute("select priority_area, count(*) from marts.fct_da_student_group_priorities "
                           "where report_year = 2017 and is_met group by all").fetchall())
    con.close()
    assert met.get(4, 0) > 0 and met.get(5, 0) > 0        # real groups met P4 (ELPI Red) and P5 (grad Red)


LAYOUT_VIEWS = {("da", 2019): "cde_assistancestatus19", ("da", 2022): "cde_assistancestatus22",
                ("da", 2023): "cde_assistancestatus23", ("da", 2024): "cde_assistancestatus24",
                ("essa", 2022): "cde_essaassistance22", ("essa", 2023): "cde_essaassistance23",
                ("essa", 2024): "cde_essaassistance24"}
# What the Dashboard files cannot tell, so the views leave CDE's blank marker (documented in the view yml).
NOT_FROM_DASHBOARD_FILES = {"Cityname", "Gsoffered", "Charter", "MetMethod4"} | {
    f"EC52072_{y}" for y in (2022, 2023, 2024)}


@pytest.mark.parametrize("list_name,year", sorted(LAYOUT_VIEWS))
def test_layout_views_read_back_with_cde_columns_and_codes(warehouse, list_name, year):
    """Columns exactly as CDE's data sheet (name and order); every code our view writes is one CDE's file uses."""
    layouts = [r for r in _published("layouts.csv") if r["list"] == list_name and int(r["layout_year"]) == year]
    expected = [r["column_name"] for r in sorted(layouts, key=lambda r: int(r["position"]))]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(f"select * from marts.{LAYOUT_VIEWS[(list_name, year)]}")
        columns = [d[0] for d in cursor.description]
        values = cursor.fetchall()
    finally:
        con.close()
    assert columns == expected
    cde_codes: dict[str, set[str]] = {}
    for r in _published("codes.csv"):
        if r["list"] == list_name and int(r["layout_year"]) == year:
            cde_codes.setdefault(r["column_name"], set()).add(r["value"])
    outside = {}
    for position, column in enumerate(columns):
        if column not in cde_codes or column in NOT_FROM_DASHBOARD_FILES:
            continue
        ours = {"" if row[position] is None else str(row[position]) for row in values}
        if column.startswith("TitleI") or (column.startswith("AssistanceStatus") and not column.endswith(str(year))):
            ours.discard("*")     # our marker for a year or reference not loaded (the fixture has 2019-2025)
        if column.startswith("TotStudGrps") or column == "TotalStudentGroups":
            ours = {v for v in ours if v not in cde_codes[column] and not v.isdigit()}
        else:
            ours -= cde_codes[column]
        if ours:
            outside[column] = sorted(ours)
    assert outside == {}
    assert values, "the fixture releases give every layout year rows"


def test_rebuilding_one_release_leaves_the_determinations_as_they_were(hand_worked_warehouse, tmp_path):
    """The per-release eligibility models are incremental (a release and every later report year); rebuilding
    2023-public alone in a copy of the warehouse must give back exactly the same rows everywhere."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(hand_worked_warehouse, warehouse)
    shutil.copytree(hand_worked_warehouse.parent / "raw", tmp_path / "raw")
    tables = ["marts.fct_da_student_group_priorities", "marts.fct_da_eligibility",
              "marts.fct_essa_school_determinations", "marts.fct_eligibility_near_misses",
              "intermediate.int_essa__group_criteria", "intermediate.int_da__group_criteria"]

    def snapshot():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return {t: con.execute(f"select count(*), sum(hash(x::varchar)) from {t} as x").fetchall()
                    for t in tables}
        finally:
            con.close()

    before = snapshot()
    assert main(["build", "--raw-dir", str(warehouse.parent / "raw"), "--warehouse", str(warehouse),
                 "--release", "2023-public"]) == 0
    assert snapshot() == before


