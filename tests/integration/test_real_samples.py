"""Real CDE rows of 2019-2024 through the whole pipeline.

tests/fixtures/real_samples/ is a landing zone of real research-file samples (tests/fixtures/real_samples/README.md):
the header and the first whole entities of each real file of 2019, 2022, 2023 and 2024, unchanged, and the 2020 and
2021 DASS-only graduation files as reference inputs. `cadash build --raw-dir tests/fixtures/real_samples` must
publish every release with every row; the values CDE published must reach marts.fct_indicator_results unchanged;
where our recomputed levels differ from CDE's the build warns and publishes. (The loader's tolerance on the same
files: tests/unit/test_real_samples.py.)
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.support.builds import REPO, build_logged, built_once
from tests.support.inputs import SAMPLES, research_rows

YEARS = (2019, 2022, 2023, 2024)
SAMPLE_FILES = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.glob("*/public/*.txt"))
# files whose rows are indicator results (the rest of a release: census and local indicators; none sampled)
INDICATOR_OF = {"ela": "ela", "math": "math", "chronic": "chronic", "susp": "susp", "grad": "grad", "elpi": "elpi",
                "cci": "cci", "science": "science"}


def _stem(name: str) -> str:
    return name.split("download")[0]


def _value(text: str | None, kind=float):
    text = (text or "").strip()
    return kind(text) if text else None


@pytest.fixture(scope="session")
def samples_build(tmp_path_factory) -> Path:
    """`cadash build` of the real samples, once per session; its output is kept in build.log beside it."""

    return built_once(tmp_path_factory, "real_samples",
                      lambda folder: build_logged(folder, SAMPLES, "the real samples"))


@pytest.fixture(scope="module")
def con(samples_build):
    connection = duckdb.connect(str(samples_build / "w.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_every_release_is_published(samples_build, con):
    published = sorted(p.name for p in (samples_build / "published").iterdir() if p.is_symlink())
    assert published == ["2019-public", "2022-public", "2023-public", "2024-public", "latest"]
    assert con.execute("select release_key from marts.dim_release order by 1").fetchall() == [
        (f"{y}-public",) for y in YEARS]


@pytest.mark.parametrize("rel", SAMPLE_FILES)
def test_every_row_of_every_file_is_in_its_raw_table(con, rel):
    year, _stage, name = rel.split("/")
    expected = len(research_rows(SAMPLES / rel))
    got = con.execute(f"select count(*) from raw.{_stem(name)} where report_year = ? and source_file = ?",
                      [int(year), name]).fetchall()[0][0]
    assert got == expected > 0


@pytest.mark.parametrize("rel", [r for r in SAMPLE_FILES if _stem(r.split("/")[-1]) in INDICATOR_OF])
def test_published_values_round_trip_into_the_fact(con, rel):
    """Every row of an indicator file is one fact row whose status, change, levels, colour and box are the file's
    (null where the year's file has no such column: 2022 change, science 2024 levels, CCI 2022 status)."""
    year, _stage, name = rel.split("/")
    indicator = INDICATOR_OF[_stem(name)]
    rows = research_rows(SAMPLES / rel)
    fact = {(r[0], r[1]): r[2:] for r in con.execute(
        "select cds, student_group, curr_denominator, curr_status, change, status_level, change_level, color, box "
        "from marts.fct_indicator_results where report_year = ? and indicator = ?", [int(year), indicator]
    ).fetchall()}
    assert len(fact) == len(rows)
    lower = {k.lower(): k for k in rows[0]}
    for row in rows:
        def get(col, row=row):   # any case of the name (changeLevel in 2024's suspension file)
            return row.get(lower.get(col, ""), None)
        key = (row["cds"], (row.get("studentgroup") or "EL").strip())
        expected = (_value(get("currdenom"), int), _value(get("currstatus")), _value(get("change")),
                    _value(get("statuslevel"), int), _value(get("changelevel"), int), _value(get("color"), int),
                    _value(get("box"), int))
        assert tuple(fact[key]) == expected, (rel, key)


def test_single_space_blanks_read_as_empty(con):
    """The 2022 files write an empty flag as one space: it is NULL in the raw table, false in staging."""
    raw = con.execute("select count(*), count(charter_flag), count(*) filter (where charter_flag = 'Y') "
                      "from raw.chronic where report_year = 2022").fetchall()[0]
    file_rows = research_rows(SAMPLES / "2022/public/chronicdownload2022.txt")
    assert raw == (len(file_rows), sum(r["charter_flag"] == "Y" for r in file_rows),
                   sum(r["charter_flag"] == "Y" for r in file_rows))
    assert sum(r["charter_flag"] == " " for r in file_rows) > 0
    assert con.execute("select count(*) from staging.stg_dashboard__chronic where report_year = 2022 "
                       "and is_charter is null").fetchall() == [(0,)]


def test_files_the_old_registry_did_not_know(con):
    """CCI 2022 (counts only) and science 2024 (status and change, no levels) are indicator results with null
    levels; the DASS-only graduation files of 2020 and 2021 are reference inputs."""
    cci = con.execute("select count(*), count(curr_status), count(status_level), count(curr_denominator), "
                      "any_value(color_ineligible_reason) from marts.fct_indicator_results "
                      "where indicator = 'cci' and report_year = 2022").fetchall()[0]
    assert cci == (78, 0, 0, 78, "counts only in 2022 (no levels)")
    science = con.execute(
        "select count(*), count(change), count(status_level), count(status_level_computed), "
        "count(*) filter (where student_group = 'CAST'), any_value(color_ineligible_reason) "
        "from marts.fct_indicator_results where indicator = 'science' and report_year = 2024").fetchall()[0]
    with_change = sum(1 for r in research_rows(SAMPLES / "2024/public/sciencedownload2024.txt") if r["change"].strip())
    assert science[:5] == (107, with_change, 0, 0, 7) and with_change == 45
    assert science[5] == "status and change only in 2024 (no levels published)"
    dass = con.execute("select report_year, count(*), count(distinct cds), bool_and(is_dass) "
                       "from staging.stg_dashboard__grad_dassonly group by 1 order by 1").fetchall()
    assert dass == [(2020, 158, 15, True), (2021, 154, 13, True)]


SAMPLE_INDICATOR_YEARS = [(2019, i) for i in ("ela", "math", "chronic", "susp", "grad", "elpi", "cci")] + [
    (2022, i) for i in ("ela", "math", "chronic", "susp", "grad", "elpi")] + [
    (2023, i) for i in ("chronic", "susp", "grad", "elpi", "cci")] + [
    (2024, i) for i in ("chronic", "susp", "grad", "elpi", "cci")]


def _exceptions() -> set[tuple[str, str, str]]:
    with (REPO / "tests" / "fixtures" / "reconciliation_exceptions.csv").open(newline="") as handle:
        return {(r["source_file"], r["cds"], r["student_group"]) for r in csv.DictReader(handle)}


@pytest.mark.parametrize("year,indicator", SAMPLE_INDICATOR_YEARS, ids=[f"{y}-{i}" for y, i in SAMPLE_INDICATOR_YEARS])
def test_recomputed_levels_agree_with_cde_on_real_rows(con, year, indicator):
    """Issue 18: on the real rows, the status level, change level, colour and box recomputed from the rule seeds
    equal CDE's on at least 99.5 % of the coloured rows of every indicator-year (every row in the Status-only
    years), and every row that differs is listed, with its explanation, in the exceptions fixture."""
    rows = con.execute(
        "select source_file, cds, student_group, color, "
        "status_level is not distinct from status_level_computed and change_level is not distinct from "
        "change_level_computed and color is not distinct from color_computed and box is not distinct from "
        "box_computed from marts.fct_indicator_results where report_year = ? and indicator = ?",
        [year, indicator]).fetchall()
    coloured = [r for r in rows if (r[3] or 0) > 0]
    judged = coloured if any(r[3] is not None for r in rows) else rows     # Status-only years: every row
    assert len(judged) >= 20, f"too few {indicator} {year} rows to judge: {len(judged)}"
    agree = sum(r[4] for r in judged)
    assert agree / len(judged) >= 0.995, f"{indicator} {year}: {agree} of {len(judged)} agree"
    unexplained = [r[:3] for r in rows if not r[4] and r[:3] not in _exceptions()]
    assert unexplained == []


def test_graduation_small_denominator_publishes_the_unfolded_change_level(con):
    """Rules audit A15, on a real row: Alameda COE, All Students, 2024 (n < 150): change -14.4 is published as
    change level 1 (Declined Significantly), while colour and box use the folded level 2 (box 220 = Very Low with
    Declined). Before the correction the recomputed change level was 2."""
    row = con.execute(
        "select change, is_safety_net, change_level, change_level_computed, color, color_computed, box, box_computed "
        "from marts.fct_indicator_results where report_year = 2024 and indicator = 'grad' "
        "and cds = '01100170000000' and student_group = 'ALL'").fetchall()
    assert row == [(-14.4, True, 1, 1, 1, 1, 220, 220)]


def test_real_samples_publish_without_level_warnings(samples_build, con):
    """With the corrected rules no recomputed level differs from CDE's on the real samples, so the build has no
    level_disagreements warning and the report has no reconciliation warning (the WARN path itself is tested in
    tests/integration/test_levels.py::test_a_release_below_its_reconciliation_threshold)."""
    log = (samples_build / "build.log").read_text()
    assert "level_disagreements (WARN)" not in log
    assert con.execute("select count(*) from marts.fct_level_disagreements").fetchall() == [(0,)]
    page = (samples_build / "published" / "reports" / "2024-public" / "index.html").read_text()
    assert 'id="reconciliation-warning"' not in page


def test_dass_schools_csi_graduation_2022_with_the_dass_only_cohorts(con):
    """Rules audit A5 and A16 on real rows: the 2022 three-year rate of a DASS school pools its 2020 and 2021
    cohorts from CDE's DASS-only files with the 2022 Dashboard's; the four DASS schools of the sample that CDE's
    2022-23 list names CSI Grad (tests/fixtures/published_lists/essa_22.csv) are CSI Low Graduation Rate here."""
    rows = con.execute(
        "select cds, assistance_status, graduation_cohort_years_used, graduation_cohort_years_missing, explanation "
        "from marts.fct_essa_school_determinations where report_year = 2022 "
        "and assistance_status = 'CSI Low Graduation Rate' order by cds").fetchall()
    with (REPO / "tests" / "fixtures" / "published_lists" / "essa_22.csv").open(newline="") as handle:
        cde = {r["cds"]: r["AssistanceStatus2022"] for r in csv.DictReader(handle)}
    assert [(r[0], cde[r[0]]) for r in rows] == [
        ("01100170130401", "CSI Grad"), ("01100170130419", "CSI Grad"), ("01100170130625", "CSI Grad"),
        ("01100170136226", "CSI Grad")]
    opportunity = next(r for r in rows if r[0] == "01100170136226")
    assert opportunity[2:4] == ("2020,2021,2022", None)
    assert "DASS school" in opportunity[4]
