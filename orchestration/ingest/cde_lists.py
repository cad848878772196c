"""CDE's published determinations: the DA and ESSA assistance lists, an optional reference input.

A county office that has CDE's workbooks drops them, exactly as CDE publishes them, into <raw dir>/reference/:

    assistancestatusYY*.xlsx   LEA Differentiated Assistance list (assistancestatus19-rev.xlsx, ...22, 23, 24):
                               data sheet 'District and COE <yyyy>'
    essaassistanceYY*.xlsx     ESSA school assistance list (essaassistance22.xlsx, 23, 24): data sheet
                               '<yyyy>-<yy> ESSA State Schools'

YY is the Dashboard report year of the list (any year: later lists load too). Each workbook is read with openpyxl
(read-only) and loaded long into four raw tables (one transaction, previous tables kept on any error):

    raw.cde_da_list              one row per list file x status year (each AssistanceStatus<yyyy> column) x LEA
    raw.cde_da_list_priorities   one row per list file x LEA x student group with a priority code (the file's year)
    raw.cde_essa_list            one row per list file x status year x school
    raw.cde_essa_list_groups     one row per list file x school x student group flagged (the file's year)

The methods, priority codes, exit, counts and flags describe the file's own year only, so they are on the rows of
that year (report_year = list_year); the other years' rows carry the status CDE repeats and the Title I flag of
that year where the workbook has one (TitleI1718 -> report year 2018).

Columns are read **by name** from the data sheet's header row, found among the first rows of the sheet (CDE puts
title lines above it): names match regardless of letter case and surrounding spaces, in any order. A column the
layout needs (the CDS code, the name, the file's own year's status; ESSA: Exit) missing stops the load naming the
file, sheet, header row and column; a column the layout does not know is a warning and is kept, as text, in the
own year's rows' extra_columns (JSON), as release files keep theirs. Cells: '*' (CDE's "blank cell") and empty
cells are NULL; CDS codes are 14 digits (7 for CDcode), whole numbers are checked; rows with at most one filled
cell (blank lines, the footer some sheets end with) are skipped.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.ingest.loader import (
    LINEAGE_COLUMNS,
    RAW_SCHEMA,
    RawFileError,
    file_sha256,
    sql_literal,
    transaction,
)
from orchestration.releases.discovery import REFERENCE_DIR

HEADER_SEARCH_ROWS = 50       # the header row is looked for among the first rows of the data sheet
BLANKS = ("", "*")            # '*' is CDE's "blank cell (e-reader accessibility)"


@dataclass(frozen=True)
class Column:
    """A header name pattern (full match, case-insensitive) and what it fills.

    scope: 'entity' (every row of the LEA/school), 'status' (one row per year: the pattern's group is the year),
    'year' (that year's row: the group is the year, or TitleI 'yyYY' -> 20YY), 'own' (the file's own year's row),
    'group' (a student-group column: DA '<group>priorities', ESSA '<group>' flags; the child table)."""
    pattern: str
    target: str
    scope: str
    kind: str = "text"        # integer and the codes (cds, cd_code) are checked here; flag (Y/N), yes_no (Yes/No)
                              # and text are kept as text, their values checked by the raw suite

    def match(self, name: str) -> re.Match | None:
        return re.fullmatch(self.pattern, name, flags=re.IGNORECASE)


@dataclass(frozen=True)
class ListKind:
    name: str                       # da / essa
    label: str
    file_pattern: re.Pattern        # group 1: the two-digit report year
    sheet_pattern: re.Pattern       # group 1: the four-digit report year
    sheet_example: str
    file_glob: str                  # the file names, for messages
    table: str                      # raw.<table>: one row per status year and entity
    child_table: str                # raw.<child_table>: one row per entity and student group
    child_value: str                # the child table's value column
    columns: tuple[Column, ...]
    needed: tuple[str, ...]         # targets a header must have ('status:own' = the file's own year's status)
    name_target: str
    table_columns: tuple[tuple[str, str], ...]   # raw.<table> columns before extra_columns and lineage

    def file_year(self, file_name: str) -> int | None:
        match = self.file_pattern.fullmatch(file_name)
        return 2000 + int(match.group(1)) if match else None


_ID = (("list_year", "INTEGER"), ("report_year", "INTEGER"))
_SHEET = (("sheet_name", "VARCHAR"), ("sheet_row", "INTEGER"))

DA = ListKind(
    name="da", label="CDE's Differentiated Assistance list",
    file_pattern=re.compile(r"assistancestatus(\d{2})[^/]*\.xlsx", re.IGNORECASE),
    sheet_pattern=re.compile(r"\s*District and COE (\d{4})\s*", re.IGNORECASE),
    sheet_example="District and COE <yyyy>", file_glob="assistancestatusYY*.xlsx",
    table="cde_da_list", child_table="cde_da_list_priorities", child_value="priority_code",
    columns=(
        Column(r"CDcode", "cd_code", "entity", "cd_code"),
        Column(r"CDS", "cds", "entity", "cds"),
        Column(r"LEAname", "lea_name", "entity"),
        Column(r"Cityname", "city_name", "entity"),
        Column(r"Countyname", "county_name", "entity"),
        Column(r"Gsoffered", "grade_span", "entity"),
        Column(r"ReportYear|ReportingYear", "reported_year", "own"),
        Column(r"TotalStudentGroups", "total_student_groups", "own", "integer"),
        Column(r"MetMethod([1-4])", "met_method_{0}", "own", "flag"),
        Column(r"EC52072_(\d{4})", "ec52072", "year", "flag"),
        Column(r"AssistanceStatus(\d{4})", "assistance_status", "status"),
        Column(r"(AA|AI|AS|EL|FI|FOS|HI|HOM|LTEL|PI|SED|SWD|TOM|WH)priorities", "priority_code", "group"),
    ),
    needed=("cds", "lea_name", "status:own"),
    name_target="lea_name",
    table_columns=(*_ID, ("cd_code", "VARCHAR"), ("cds", "VARCHAR"), ("lea_name", "VARCHAR"),
                   ("city_name", "VARCHAR"), ("county_name", "VARCHAR"), ("grade_span", "VARCHAR"),
                   ("reported_year", "VARCHAR"), ("assistance_status", "VARCHAR"),
                   ("total_student_groups", "INTEGER"), ("met_method_1", "VARCHAR"), ("met_method_2", "VARCHAR"),
                   ("met_method_3", "VARCHAR"), ("met_method_4", "VARCHAR"), ("ec52072", "VARCHAR"), *_SHEET),
)

ESSA = ListKind(
    name="essa", label="CDE's ESSA assistance list",
    file_pattern=re.compile(r"essaassistance(\d{2})[^/]*\.xlsx", re.IGNORECASE),
    sheet_pattern=re.compile(r"\s*(\d{4})\s*[-\u2013]\s*\d{2} ESSA State Schools\s*", re.IGNORECASE),
    sheet_example="<yyyy>-<yy> ESSA State Schools", file_glob="essaassistanceYY*.xlsx",
    table="cde_essa_list", child_table="cde_essa_list_groups", child_value="flag",
    columns=(
        Column(r"cds", "cds", "entity", "cds"),
        Column(r"schoolname", "school_name", "entity"),
        Column(r"districtname", "district_name", "entity"),
        Column(r"countyname", "county_name", "entity"),
        Column(r"TitleI(\d{2})(\d{2})", "title_i", "year", "yes_no"),
        Column(r"DASS", "dass", "own", "yes_no"),
        Column(r"Charter", "charter", "own"),
        Column(r"EnrollmentCount", "enrollment_count", "own", "integer"),
        Column(r"DASSCSIEnrollFlag", "dass_csi_enroll_flag", "own", "yes_no"),
        Column(r"Colors", "colors", "own", "yes_no"),
        Column(r"Exit", "exit_status", "own"),
        Column(r"TotStudGrps", "total_student_groups", "own", "integer"),
        Column(r"TotStudGrpsATSI", "total_student_groups_atsi", "own", "integer"),
        Column(r"TotStudGrpsTSI", "total_student_groups_tsi", "own", "integer"),
        Column(r"ReportingYear|ReportYear", "reported_year", "own"),
        Column(r"AssistanceStatus(\d{4})", "assistance_status", "status"),
        Column(r"(AA|AI|AS|EL|FI|FOS|HI|HOM|LTEL|PI|SED|SWD|TOM|WH)", "flag", "group", "integer"),
    ),
    needed=("cds", "school_name", "status:own", "exit_status"),
    name_target="school_name",
    table_columns=(*_ID, ("cds", "VARCHAR"), ("school_name", "VARCHAR"), ("district_name", "VARCHAR"),
                   ("county_name", "VARCHAR"), ("assistance_status", "VARCHAR"), ("exit_status", "VARCHAR"),
                   ("title_i", "VARCHAR"), ("dass", "VARCHAR"), ("charter", "VARCHAR"),
                   ("enrollment_count", "INTEGER"), ("dass_csi_enroll_flag", "VARCHAR"), ("colors", "VARCHAR"),
                   ("total_student_groups", "INTEGER"), ("total_student_groups_atsi", "INTEGER"),
                   ("total_student_groups_tsi", "INTEGER"), ("reported_year", "VARCHAR"), *_SHEET),
)

LIST_KINDS = (DA, ESSA)
CHILD_COLUMNS = (*_ID, ("cds", "VARCHAR"), ("student_group", "VARCHAR"))
EXTRA = ("extra_columns", "VARCHAR")

# raw table -> what it holds (asset descriptions, log lines)
CDE_LIST_TABLES: dict[str, str] = {
    DA.table: "CDE's published DA list (assistancestatusYY*.xlsx): one row per list file, status year and LEA",
    DA.child_table: "CDE's published DA list: the priority code of each LEA's student groups, the file's own year",
    ESSA.table: "CDE's published ESSA list (essaassistanceYY*.xlsx): one row per list file, status year and school",
    ESSA.child_table: "CDE's published ESSA list: the student groups each school's row flags, the file's own year",
}


def table_columns(table: str) -> tuple[tuple[str, str], ...]:
    for kind in LIST_KINDS:
        if table == kind.table:
            return (*kind.table_columns, EXTRA, *LINEAGE_COLUMNS)
        if table == kind.child_table:
            return (*CHILD_COLUMNS, (kind.child_value, "VARCHAR"), ("sheet_row", "INTEGER"), *LINEAGE_COLUMNS)
    raise KeyError(table)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table in CDE_LIST_TABLES:
        cols = ", ".join(f'"{n}" {t}' for n, t in table_columns(table))
        con.execute(f"create table if not exists {RAW_SCHEMA}.{table} ({cols})")


def list_kind_of(file_name: str) -> ListKind | None:
    return next((kind for kind in LIST_KINDS if kind.file_year(file_name) is not None), None)


# ----------------------------------------------------------------------------------------------- reading a workbook

@dataclass
class ParsedList:
    path: Path
    kind: ListKind
    list_year: int
    sha256: str
    sheet: str
    header_row: int
    rows: list[dict[str, object]] = field(default_factory=list)
    child_rows: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _where(path: Path, sheet: str | None = None, row: int | None = None, column: str | None = None) -> str:
    parts = [f"sheet '{sheet}'"] if sheet is not None else []
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column}")
    return ", ".join(parts)


def _error(path: Path, message: str, sheet: str | None = None, row: int | None = None,
           column: str | None = None) -> RawFileError:
    """A RawFileError naming the file, then the sheet, row and column of the workbook (the CLI shows it as is)."""
    where = _where(path, sheet, row, column)
    return RawFileError(path, f"{where}: {message}" if where else message)


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position)


def _cell_text(value: object) -> str | None:
    """A cell as text; None for an empty cell or CDE's '*'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return None if text in BLANKS else text


@dataclass(frozen=True)
class _Mapped:
    position: int                  # 1-based
    name: str                      # as in the header (stripped)
    column: Column
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{_column_letter(self.position)} ({self.name})"


def _map_header(kind: ListKind, header: list[str]) -> tuple[list[_Mapped], list[tuple[int, str]]]:
    mapped, unknown = [], []
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        column = next((c for c in kind.columns if c.match(name)), None)
        if column is None:
            unknown.append((position, name))
        else:
            mapped.append(_Mapped(position, name, column, column.match(name).groups()))
    return mapped, unknown


def _status_year(m: _Mapped) -> int:
    return int(m.args[0])


def _year_of(m: _Mapped) -> int:
    """The report year a 'year' column describes: EC52072_2024 -> 2024, TitleI1718 -> 2018."""
    return 2000 + int(m.args[1]) if len(m.args) == 2 else int(m.args[0])


def _find_header(path: Path, kind: ListKind, sheet: str, rows: list[tuple]) -> tuple[int, list[str]]:
    """The first row with at least three names of the layout (title lines above it are skipped)."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        names = [("" if v is None else str(v)).strip() for v in row]
        if sum(1 for n in names if n and any(c.match(n) for c in kind.columns)) >= 3:
            while names and not names[-1]:
                names.pop()
            return number, names
    raise _error(path, f"no header row found in the first {HEADER_SEARCH_ROWS} rows (a row naming the columns of "
                       f"{kind.label}, e.g. {', '.join(c.pattern.split('|')[0] for c in kind.columns[:3])})", sheet)


def _check_header(path: Path, kind: ListKind, sheet: str, row: int, list_year: int, header: list[str],
                  mapped: list[_Mapped], unknown: list[tuple[int, str]]) -> None:
    seen: dict[tuple, _Mapped] = {}
    problems = []
    for m in mapped:
        key = (m.column.target, tuple(a.upper() for a in m.args))
        if key in seen:
            problems.append(f"column '{m.name}' appears twice (columns {seen[key].label.split()[0]} and "
                            f"{_column_letter(m.position)})")
        seen.setdefault(key, m)
    targets = {m.column.target for m in mapped if m.column.scope != "status"}
    status_years = {_status_year(m) for m in mapped if m.column.scope == "status"}
    missing = []
    for need in kind.needed:
        if need == "status:own":
            if list_year not in status_years:
                missing.append(f"AssistanceStatus{list_year}")
        elif need not in targets:
            missing.append(next(c.pattern.split("|")[0] for c in kind.columns if c.target == need))
    if missing:
        spare = {name.lower(): name for _pos, name in unknown} | {m.name.lower(): m.name for m in mapped}
        hints = []
        for name in missing:
            close = [c for c in difflib.get_close_matches(name.lower(), list(spare), n=3, cutoff=0.6)
                     if c != name.lower()]
            hints.append(f"'{name}'" + (f" (closest header name found: '{spare[close[0]]}')" if close else ""))
        problems.append(f"missing needed column(s) {', '.join(hints)} in the header row of {kind.label} "
                        f"{list_year}")
    if problems:
        raise _error(path, "; ".join(problems), sheet, row)


def _convert(path: Path, sheet: str, row: int, m: _Mapped, value: object) -> object:
    kind = m.column.kind
    if kind == "integer":
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = _cell_text(value)
        if text is None:
            return None
        if re.fullmatch(r"[-+]?\d+", text):
            return int(text)
        raise _error(path, f"expected a whole number, found '{text}'", sheet, row, m.label)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and kind in ("cds", "cd_code"):
        value = str(value).zfill(14 if kind == "cds" else 7)   # a code stored as a number lost its leading zeros
    text = _cell_text(value)
    if text is None:
        return None
    if kind == "cds" and not re.fullmatch(r"\d{14}", text):
        raise _error(path, f"expected a 14-digit CDS code, found '{text}'", sheet, row, m.label)
    if kind == "cd_code" and not re.fullmatch(r"\d{7}", text):
        raise _error(path, f"expected a 7-digit county-district code, found '{text}'", sheet, row, m.label)
    return text


def parse_workbook(path: Path, kind: ListKind, log: Callable[[str], None] = print) -> ParsedList:
    """Read one CDE list workbook into rows of raw.<kind.table> and raw.<kind.child_table>; RawFileError names the
    file, sheet, row and column of whatever does not fit."""
    import openpyxl

    list_year = kind.file_year(path.name)
    assert list_year is not None, path
    sha = file_sha256(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:   # zipfile.BadZipFile, KeyError, InvalidFileException: not an xlsx workbook
        raise _error(path, f"could not be read as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}") from None
    try:
        sheets = [s for s in workbook.sheetnames if kind.sheet_pattern.fullmatch(s)]
        if len(sheets) != 1:
            found = ", ".join(f"'{s}'" for s in workbook.sheetnames)
            raise _error(path, f"expected one data sheet named '{kind.sheet_example}', found "
                               f"{'none' if not sheets else len(sheets)} among the sheets {found}")
        sheet = sheets[0]
        sheet_year = int(kind.sheet_pattern.fullmatch(sheet).group(1))
        if sheet_year != list_year:
            raise _error(path, f"the data sheet is of {sheet_year} but the file name says {list_year} "
                               f"({kind.file_glob}: YY is the report year)", sheet)
        rows = list(workbook[sheet].iter_rows(min_row=1, values_only=True))
    finally:
        workbook.close()
    header_row, header = _find_header(path, kind, sheet, rows)
    mapped, unknown = _map_header(kind, header)
    _check_header(path, kind, sheet, header_row, list_year, header, mapped, unknown)
    parsed = ParsedList(path, kind, list_year, sha, sheet, header_row)
    for position, name in unknown:
        parsed.warnings.append(f"{path.name}: sheet '{sheet}', row {header_row}, column {_column_letter(position)} "
                               f"('{name}'): not a column of {kind.label} layout; kept as text in "
                               f"raw.{kind.table}.extra_columns (rows of {list_year})")
    status_columns = sorted((m for m in mapped if m.column.scope == "status"), key=_status_year)
    footer: list[int] = []
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        row = tuple(row) + (None,) * max(0, len(header) - len(row))
        if sum(1 for v in row if _cell_text(v) is not None) <= 1:   # blank line or a footer line
            if any(_cell_text(v) is not None for v in row):
                footer.append(number)
            continue
        if footer:
            raise _error(path, f"a data row follows the text-only line(s) {', '.join(map(str, footer))} that should "
                               "end the sheet", sheet, number)
        if any(_cell_text(v) is not None for v in row[len(header):]):
            position = next(i for i, v in enumerate(row[len(header):], start=len(header) + 1)
                            if _cell_text(v) is not None)
            raise _error(path, "a cell beyond the header's last column (no column name)", sheet, number,
                         _column_letter(position))
        _parse_row(parsed, mapped, status_columns, unknown, row, number)
    if not parsed.rows:
        raise _error(path, f"no data rows below the header row {header_row}", sheet)
    return parsed


def _parse_row(parsed: ParsedList, mapped: list[_Mapped], status_columns: list[_Mapped],
               unknown: list[tuple[int, str]], row: tuple, number: int) -> None:
    path, kind, sheet, own = parsed.path, parsed.kind, parsed.sheet, parsed.list_year
    values = {m: _convert(path, sheet, number, m, row[m.position - 1]) for m in mapped}
    entity = {m.column.target: v for m, v in values.items() if m.column.scope == "entity"}
    key_column = next(m for m in mapped if m.column.target == "cds")
    if entity.get("cds") is None:
        raise _error(path, "the CDS code is empty", sheet, number, key_column.label)
    per_year: dict[int, dict[str, object]] = {}
    for m, v in values.items():
        if m.column.scope == "year":
            per_year.setdefault(_year_of(m), {})[m.column.target] = v
    own_values = {m.column.target.format(*m.args): v for m, v in values.items() if m.column.scope == "own"}
    extras = {name: _cell_text(row[pos - 1]) for pos, name in unknown if pos - 1 < len(row)}
    extras = {k: v for k, v in extras.items() if v is not None}
    for m in status_columns:
        year = _status_year(m)
        record = {"list_year": own, "report_year": year, **entity, "assistance_status": values[m],
                  **per_year.get(year, {}), "sheet_name": sheet, "sheet_row": number}
        if year == own:
            record.update(own_values)
            record["extra_columns"] = json.dumps(extras, ensure_ascii=False) if extras else None
        parsed.rows.append(record)
    for m, v in values.items():
        if m.column.scope == "group" and v not in (None, 0):
            parsed.child_rows.append({"list_year": own, "report_year": own, "cds": entity["cds"],
                                      "student_group": m.args[0].upper(), kind.child_value: str(v),
                                      "sheet_row": number})


# ------------------------------------------------------------------------------------------------------- loading

@dataclass(frozen=True)
class ListLoad:
    name: str                    # raw.<name>
    file_name: str | None
    sha256: str | None
    rows: int
    warnings: tuple[str, ...] = ()


def list_files(raw_dir: Path) -> tuple[list[tuple[ListKind, Path]], list[tuple[ListKind, str]]]:
    """The list workbooks under <raw dir>/reference/, and a warning (with the list it looks like) for each file named
    like a CDE list that is not read: another format (.xls, .csv) or an Excel lock file (~$...)."""
    folder = raw_dir / REFERENCE_DIR
    found: list[tuple[ListKind, Path]] = []
    warnings: list[tuple[ListKind, str]] = []
    if not folder.is_dir():
        return found, warnings
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        kind = list_kind_of(path.name)
        if kind is not None and not path.name.startswith(("~$", ".")):
            found.append((kind, path))
            continue
        like = next((k for k in LIST_KINDS if path.name.lower().lstrip("~$").startswith(k.file_glob.split("YY")[0])),
                    None)
        if like is not None:
            warnings.append((like, f"{path}: not loaded: {like.label} is read from the .xlsx workbook as CDE "
                                   f"publishes it ({like.file_glob}), not from an Excel lock file or another format"))
    return found, warnings


def _write_csv(path: Path, columns: tuple[tuple[str, str], ...], rows: list[dict[str, object]]) -> None:
    names = [n for n, _ in columns][: len(columns) - len(LINEAGE_COLUMNS)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(["" if row.get(n) is None else row.get(n) for n in names])


def _insert(con: duckdb.DuckDBPyConnection, table: str, csv_path: Path, lineage: tuple[object, ...]) -> int:
    columns = table_columns(table)
    data = columns[: len(columns) - len(LINEAGE_COLUMNS)]
    spec = ", ".join(f"{sql_literal(n)}: {sql_literal(t)}" for n, t in data)
    names = ", ".join(f'"{n}"' for n, _ in columns)
    reader = (f"read_csv({sql_literal(str(csv_path))}, header=true, delim=',', quote='\"', escape='\"', "
              f"auto_detect=false, strict_mode=true, nullstr='', columns={{{spec}}})")
    return con.execute(f"insert into {RAW_SCHEMA}.{table} ({names}) select *, ?, ?, ? from {reader}",
                       list(lineage)).fetchall()[0][0]


def load_cde_lists(con: duckdb.DuckDBPyConnection, raw_dir: Path, loaded_at: datetime,
                   log: Callable[[str], None] = print,
                   before_commit: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
                   warn: Callable[[str], None] | None = None) -> list[ListLoad]:
    """Replace the four raw.cde_* tables by the list workbooks under <raw dir>/reference/ (empty them when there are
    none), all in one transaction: any error (a workbook that does not fit, a failing suite in before_commit)
    leaves every table as it was."""
    warn = warn or log
    ensure_tables(con)
    files, file_warnings = list_files(raw_dir)
    by_year: dict[tuple[str, int], Path] = {}
    for kind, path in files:
        year = kind.file_year(path.name)
        if (kind.name, year) in by_year:
            raise RawFileError(path, f"a second workbook for {kind.label} of {year}, beside "
                                     f"{by_year[(kind.name, year)].name}: keep one of them in {path.parent}")
        by_year[(kind.name, year)] = path
    parsed = [parse_workbook(path, kind, log) for kind, path in files]   # errors raise before anything changes
    warnings = [*(w for _kind, w in file_warnings), *(w for p in parsed for w in p.warnings)]
    for line in warnings:
        warn(f"[reference] {line}")
    counts: dict[str, int] = {table: 0 for table in CDE_LIST_TABLES}
    with tempfile.TemporaryDirectory(prefix="cadash-cde-lists-") as tmp, transaction(con):
        for table in CDE_LIST_TABLES:
            con.execute(f"delete from {RAW_SCHEMA}.{table}")
        for number, p in enumerate(parsed):
            lineage = (p.path.name, p.sha256, loaded_at)
            for table, rows in ((p.kind.table, p.rows), (p.kind.child_table, p.child_rows)):
                csv_path = Path(tmp) / f"{number}_{table}.csv"
                _write_csv(csv_path, table_columns(table), rows)
                try:
                    counts[table] += _insert(con, table, csv_path, lineage)
                except duckdb.Error as exc:
                    raise _error(p.path, f"could not be loaded into raw.{table}: {str(exc).splitlines()[0]}",
                                 p.sheet) from None
            years = sorted({r["report_year"] for r in p.rows})
            log(f"reference: {p.path.name} (sheet '{p.sheet}', header row {p.header_row}): "
                f"{len(p.rows):,} rows -> raw.{p.kind.table} (status years {', '.join(map(str, years))}), "
                f"{len(p.child_rows):,} -> raw.{p.kind.child_table}")
        if before_commit is not None:
            for table in CDE_LIST_TABLES:
                before_commit(con, table)
    loads = []
    for table in CDE_LIST_TABLES:
        kind = next(k for k in LIST_KINDS if table in (k.table, k.child_table))
        mine = [p for p in parsed if p.kind is kind]
        if not mine:
            log(f"reference: no {kind.file_glob} under {raw_dir / REFERENCE_DIR}; raw.{table} is empty "
                f"(optional: {CDE_LIST_TABLES[table]})")
        own_warnings = ((*(w for p in mine for w in p.warnings),
                         *(w for k, w in file_warnings if k is kind))
                        if table == kind.table else ())   # header and file warnings on the list's main table
        loads.append(ListLoad(table, ", ".join(p.path.name for p in mine) or None,
                              ", ".join(p.sha256[:12] for p in mine) or None, counts[table], own_warnings))
    return loads
