"""CDE's published determinations as an optional reference input: the loader (no dbt, seconds).

The tests read CDE's real workbooks from tests/fixtures/published_determinations/ (assistancestatus19-rev.xlsx and
assistancestatus24.xlsx as published; essaassistance22-alameda.xlsx, the Alameda County rows of essaassistance22.xlsx
cut by cut.py) and check them cell for cell against the CSV copies in tests/fixtures/published_lists/; broken copies
show the errors and warnings a user sees. The reconciliation with our determinations:
tests/integration/test_list_reconciliation.py.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.ingest.cde_lists import CDE_LIST_TABLES, load_cde_lists
from orchestration.ingest.loader import RawFileError
from orchestration.ingest.reference import load_reference_inputs
from tests.support.builds import quiet
from tests.support.inputs import CDE_DA_2018, DA_19, DA_24, ESSA_22_CUT, WORKBOOKS, land_workbooks, list_copy


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The three fixture workbooks loaded into an in-memory warehouse (once for the loader tests)."""
    raw = land_workbooks(tmp_path_factory.mktemp("lists"), DA_19, DA_24, ESSA_22_CUT)
    warnings: list[str] = []
    con, loads = _load(raw, warnings=warnings)
    yield con, loads, warnings
    con.close()


def test_da_workbook_loads_one_row_per_status_year_cell_for_cell(loaded):
    """assistancestatus19-rev.xlsx: AssistanceStatus2017, 2018 and 2019 are three rows per LEA, each equal to CDE's
    cell ('*' is NULL); the methods and priority codes are on the 2019 rows only."""
    con, loads, warnings = loaded
    assert warnings == []
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        "select report_year, cds, assistance_status, met_method_1, met_method_2, met_method_3, total_student_groups, "
        "lea_name from raw.cde_da_list where list_year = 2019").fetchall()}
    sheet = list_copy("da_19.csv")
    assert len(rows) == 3 * len(sheet) == 3 * 997
    for line in sheet:
        for year in (2017, 2018, 2019):
            assert rows[(year, line["CDS"])][0] == _blank(line[f"AssistanceStatus{year}"]), (year, line["CDS"])
        own = rows[(2019, line["CDS"])]
        assert own[1:5] == (line["MetMethod1"], line["MetMethod2"], line["MetMethod3"], int(line["TotalStudentGroups"]))
        assert own[5] == line["LEAname"]
        assert rows[(2018, line["CDS"])][1:5] == (None, None, None, None)   # the methods are of the list's year
    counts = dict(con.execute("select assistance_status, count(*) from raw.cde_da_list where list_year = 2019 "
                              "and report_year = 2018 group by all").fetchall())
    assert counts == {"Differentiated Assistance": CDE_DA_2018, "General Assistance": 607, None: 4}
    codes = {(r[0], r[1]): r[2] for r in con.execute(
        "select cds, student_group, priority_code from raw.cde_da_list_priorities where list_year = 2019").fetchall()}
    expected = {(line["CDS"], col[: -len("priorities")]): line[col] for line in sheet for col in line
                if col.endswith("priorities") and line[col] != "*"}
    assert codes == expected and len(codes) == 676
    assert con.execute("select distinct source_file, source_sha256, loaded_at, sheet_name from raw.cde_da_list "
                       "where list_year = 2019").fetchall() == [
        (DA_19, hashlib.sha256((WORKBOOKS / DA_19).read_bytes()).hexdigest(), datetime(2026, 1, 1),
         "District and COE 2019")]
    assert loads["cde_da_list"].file_name == f"{DA_19}, {DA_24}"


def test_a_later_year_da_workbook_loads_year_1_year_2_and_method_4(loaded):
    """assistancestatus24.xlsx, built from the same layout rules: six status years, Year 1 / Year 2, MetMethod4,
    LTELpriorities."""
    con, _loads, _warnings = loaded
    assert con.execute("select report_year, count(*) from raw.cde_da_list where list_year = 2024 group by all "
                       "order by 1").fetchall() == [(y, 994) for y in (2017, 2018, 2019, 2022, 2023, 2024)]
    assert dict(con.execute("select assistance_status, count(*) from raw.cde_da_list where list_year = 2024 "
                            "and report_year = 2024 group by all").fetchall()) == {
        "Differentiated Assistance, Year 1": 436, "Differentiated Assistance, Year 2": 153, "General Assistance": 405}
    assert con.execute("select count(*) filter (where met_method_4 = 'N'), count(*) filter (where met_method_1 = 'Y'), "
                       "count(*) filter (where ec52072 is not null) from raw.cde_da_list "
                       "where list_year = 2024 and report_year = 2024").fetchall() == [(994, 434, 994)]
    sheet = {line["CDS"]: line for line in list_copy("da_24.csv")}
    ltel = dict(con.execute("select cds, priority_code from raw.cde_da_list_priorities where list_year = 2024 "
                            "and student_group = 'LTEL'").fetchall())
    assert ltel == {cds: line["LTELpriorities"] for cds, line in sheet.items() if line["LTELpriorities"] != "*"}
    assert len(ltel) > 0
    for cds, status in con.execute("select cds, assistance_status from raw.cde_da_list where list_year = 2024 "
                                   "and report_year = 2023").fetchall():
        assert status == _blank(sheet[cds]["AssistanceStatus2023"])


def test_essa_workbook_header_below_title_lines_and_footer_skipped(loaded):
    """The ESSA cut: header on row 3, the footer lines skipped; status per year, exit and groups on the 2022 rows,
    TitleI1718 / 1819 / 2122 on the 2018 / 2019 / 2022 rows, all equal to CDE's cells."""
    con, _loads, _warnings = loaded
    sheet = {line["cds"]: line for line in list_copy("essa_22.csv") if line["cds"].startswith("01")}
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        "select report_year, cds, assistance_status, exit_status, title_i, total_student_groups, charter "
        "from raw.cde_essa_list").fetchall()}
    assert len(rows) == 5 * len(sheet) == 5 * 363
    title_i = {2018: "TitleI1718", 2019: "TitleI1819", 2022: "TitleI2122"}
    for cds, line in sheet.items():
        for year in (2018, 2019, 2020, 2021, 2022):
            status, exit_status, flag, groups, charter = rows[(year, cds)]
            assert status == _blank(line[f"AssistanceStatus{year}"])
            assert flag == (_blank(line[title_i[year]]) if year in title_i else None)
            assert (exit_status, groups, charter) == ((line["Exit"], int(line["TotStudGrps"]), _blank(line["Charter"]))
                                                      if year == 2022 else (None, None, None))
    flagged = con.execute("select cds, count(*) from raw.cde_essa_list_groups group by all").fetchall()
    assert dict(flagged) == {cds: int(line["TotStudGrps"]) for cds, line in sheet.items() if int(line["TotStudGrps"])}


def test_a_missing_needed_column_names_file_sheet_row_and_column_and_loses_nothing(loaded, tmp_path):
    con, _loads, _warnings = loaded
    before = _state(con)

    def drop_status(sheet):
        sheet.delete_cols(_header_position(sheet, "AssistanceStatus2019"))

    raw = land_workbooks(tmp_path, DA_19, ESSA_22_CUT)
    _edited(DA_19, raw / "reference" / DA_19, drop_status)
    with pytest.raises(RawFileError) as caught:
        _load(raw, con)
    message = str(caught.value)
    assert message.startswith(str(raw / "reference" / DA_19) + ": sheet 'District and COE 2019', row 6: ")
    assert ("missing needed column(s) 'AssistanceStatus2019' (closest header name found: 'AssistanceStatus2018')"
            in message)
    assert _state(con) == before      # every table as it was, the ESSA list too


def test_a_bad_cell_names_its_row_and_column(loaded, tmp_path):
    con, _loads, _warnings = loaded
    before = _state(con)

    def bad_count(sheet):
        sheet.cell(row=9, column=_header_position(sheet, "TotalStudentGroups"), value="two")

    raw = land_workbooks(tmp_path)
    _edited(DA_19, raw / "reference" / DA_19, bad_count)
    with pytest.raises(RawFileError, match=r"assistancestatus19-rev\.xlsx: sheet 'District and COE 2019', row 9, "
                                           r"column U \(TotalStudentGroups\): expected a whole number, found 'two'"):
        _load(raw, con)
    assert _state(con) == before


def test_an_unknown_column_is_a_warning_and_is_kept(tmp_path):
    def add_column(sheet):
        column = sheet.max_column + 1
        sheet.cell(row=6, column=column, value="Comments")
        sheet.cell(row=7, column=column, value="reviewed")

    raw = land_workbooks(tmp_path, DA_24)
    _edited(DA_19, raw / "reference" / DA_19, add_column)
    warnings: list[str] = []
    con, loads = _load(raw, warnings=warnings)
    expected = (f"{DA_19}: sheet 'District and COE 2019', row 6, column AB ('Comments'): not a column of CDE's "
                "Differentiated Assistance list layout; kept as text in raw.cde_da_list.extra_columns (rows of 2019)")
    assert warnings == [f"[reference] {expected}"]
    assert loads["cde_da_list"].warnings == (expected,) and loads["cde_da_list_priorities"].warnings == ()
    assert con.execute("select report_year, cds, extra_columns from raw.cde_da_list where extra_columns is not null"
                       ).fetchall() == [(2019, "01100170000000", '{"Comments": "reviewed"}')]
    assert loads["cde_da_list"].rows == 3 * 997 + 6 * 994          # and the 2024 list beside it


def test_reference_inputs_load_the_lists_and_warn_about_files_they_do_not_read(tmp_path):
    """Through load_reference_inputs (what the ingest asset calls): the lists are reference loads with their file
    and sha256; an .xls copy or an Excel lock file is named in a warning, not loaded; a second workbook of the same
    list and year is an error."""
    raw = land_workbooks(tmp_path, DA_19)
    (raw / "reference" / "assistancestatus22.xls").write_bytes(b"old format")
    (raw / "reference" / "~$assistancestatus19-rev.xlsx").write_bytes(b"lock")
    warnings: list[str] = []
    con = duckdb.connect()
    loads = {ld.name: ld for ld in load_reference_inputs(con, raw, log=quiet, warn=warnings.append)}
    assert (loads["cde_da_list"].file_name, loads["cde_da_list"].rows) == (DA_19, 3 * 997)
    assert loads["cde_essa_list"].file_name is None and loads["cde_essa_list"].rows == 0
    assert [w.split(": ", 1)[0] for w in warnings] == [
        f"[reference] {raw / 'reference' / 'assistancestatus22.xls'}",
        f"[reference] {raw / 'reference' / '~$assistancestatus19-rev.xlsx'}"]
    assert all("not loaded" in w for w in warnings)
    shutil.copyfile(WORKBOOKS / DA_19, raw / "reference" / "assistancestatus19.xlsx")
    with pytest.raises(RawFileError, match="a second workbook for CDE's Differentiated Assistance list of 2019"):
        load_reference_inputs(con, raw, log=quiet)
    assert con.execute("select count(*) from raw.cde_da_list").fetchall() == [(3 * 997,)]


def test_a_workbook_without_the_data_sheet_or_of_another_year_fails(tmp_path):
    raw = land_workbooks(tmp_path)
    shutil.copyfile(WORKBOOKS / DA_24, raw / "reference" / "assistancestatus23.xlsx")   # 2024's list renamed
    with pytest.raises(RawFileError, match=r"assistancestatus23\.xlsx: sheet 'District and COE 2024': the data "
                                           r"sheet is of 2024 but the file name says 2023"):
        _load(raw)
    (raw / "reference" / "assistancestatus23.xlsx").unlink()
    shutil.copyfile(WORKBOOKS / ESSA_22_CUT, raw / "reference" / "assistancestatus22.xlsx")
    with pytest.raises(RawFileError, match=r"expected one data sheet named 'District and COE <yyyy>', found none "
                                           r"among the sheets '2022-23 ESSA State Schools'"):
        _load(raw)


def _load(raw_dir: Path, con: duckdb.DuckDBPyConnection | None = None, warnings: list[str] | None = None):
    con = con or duckdb.connect()
    loads = load_cde_lists(con, raw_dir, datetime(2026, 1, 1), log=quiet,
                           warn=(warnings.append if warnings is not None else quiet))
    return con, {ld.name: ld for ld in loads}


def _blank(text: str) -> str | None:
    return None if text in ("", "*") else text


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"select * exclude (loaded_at) from raw.{t} order by all").fetchall()
            for t in CDE_LIST_TABLES}


def _edited(source: str, target: Path, edit) -> Path:
    """A copy of a fixture workbook with `edit(data sheet)` applied (openpyxl, not read-only)."""
    workbook = openpyxl.load_workbook(WORKBOOKS / source)
    sheet = next(workbook[n] for n in workbook.sheetnames if "District and COE" in n or "ESSA State" in n)
    edit(sheet)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def _header_position(sheet, name: str, row: int = 6) -> int:
    return next(c.column for c in sheet[row] if c.value == name)
