"""Load one release's research files into raw.<stem> tables, atomically and idempotently.

For each file: hash it (sha256), check its text encoding (UTF-8, else Windows-1252 decoded in Python and handed to
DuckDB as UTF-8, since DuckDB has no cp1252 reader here), choose the delimiter among those the layout allows, line
the header up with the registry's layout **by name** (registry.match_header: any order, letter case and surrounding
spaces ignored, a needed column missing is an error naming the closest header name), then read it with DuckDB's CSV
reader with explicit column types taken from the header as found (no auto-detection, no quoting, strict mode, never
ignore_errors). An empty cell and a single space (the 2022 files' blank) both read as empty (NULL).

Columns the layout does not list are kept, as text, in one JSON object per row (raw.<stem>.extra_columns), and
reported: every such difference is a `FileLoad.warnings` line that names the file and the columns, which the
ingest asset logs, puts in its metadata and `cadash build` prints in its summary.

All files of a release are loaded in one transaction that first deletes the release's rows from every raw table:
reloading replaces exactly that release, and a bad file leaves the warehouse as it was. Errors name the file, the
physical line (header = line 1) and the column.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.releases.discovery import RawFile, Release, release_files
from orchestration.releases.registry import (
    COLUMN_TYPES,
    EXTRA_COLUMNS,
    STEM_INDICATOR,
    HeaderMatch,
    Layout,
    RegistryError,
    choose_delimiter,
    match_header,
    raw_table_columns,
)

RAW_SCHEMA = "raw"
_CHUNK = 1 << 20
NULL_STRINGS = ("", " ")   # CDE's blanks: empty, or a single space in the 2022 and 2020/2021 DASS-only files


class RawFileError(ValueError):
    """Bad input: names the file and, where known, the line and column."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: str | None = None):
        self.path, self.line, self.column = path, line, column
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class FileLoad:
    stem: str
    file_name: str
    sha256: str
    rows: int
    encoding: str
    delimiter: str
    warnings: tuple[str, ...] = ()     # header differences worth a user's attention (each names the file)


@dataclass
class PreparedFile:
    path: Path
    layout: Layout
    sha256: str
    encoding: str
    delimiter: str
    match: HeaderMatch
    read_path: Path          # the file DuckDB reads (a UTF-8 copy when the source is Windows-1252)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(f"{self.path.name}: {w}" for w in self.match.warnings)

    def column_label(self, raw_column: str) -> str | None:
        """'<position> (<header name>)' of a raw column in this file."""
        if raw_column in self.match.positions:
            position = self.match.positions.index(raw_column)
            return f"{position + 1} ({self.match.header[position].strip()})"
        return None


# The lineage columns every raw table ends with (release files, reference inputs, CDE's lists).
LINEAGE_COLUMNS = (("source_file", "VARCHAR"), ("source_sha256", "VARCHAR"), ("loaded_at", "TIMESTAMP"))


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hash_and_encoding(path: Path) -> tuple[str, str, int | None]:
    """sha256 of the bytes, 'utf-8' or 'cp1252', and the first line that is not UTF-8 (None if all is)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, line, bad_line = True, 1, None
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8 = False
                    bad_line = line + chunk[: exc.start].count(b"\n")
                line += chunk.count(b"\n")
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8, bad_line = False, line
    return digest.hexdigest(), "utf-8" if utf8 else "cp1252", bad_line


def transcode_cp1252(path: Path, target: Path) -> None:
    """Write a UTF-8 copy of a Windows-1252 file; bytes undefined in cp1252 are an error with their line."""
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        for number, raw_line in enumerate(src, start=1):
            try:
                dst.write(raw_line.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise RawFileError(
                    path, f"byte 0x{raw_line[exc.start]:02X} at character {exc.start + 1} is neither UTF-8 nor "
                    "Windows-1252 text", line=number,
                ) from None


def read_header(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first:
        raise RawFileError(path, "the file is empty: a research file starts with a header line", line=1)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8):]
    return first.decode(encoding, errors="replace").rstrip("\r\n")


def prepare_file(path: Path, layout: Layout, tmpdir: Path, log: Callable[[str], None]) -> PreparedFile:
    """Hash, decode and line up the header of one file; RawFileError (line 1) when the header does not fit."""
    sha, encoding, bad_line = hash_and_encoding(path)
    header = read_header(path, encoding)
    delimiter = choose_delimiter(layout, header)
    try:
        match = match_header(layout, header.split(delimiter), str(path))
    except RegistryError as exc:
        raise RawFileError(path, str(exc).split(": ", 1)[1], line=1) from None
    read_path = path
    if encoding == "cp1252":
        log(f"{path.name}: not UTF-8 from line {bad_line}; read as Windows-1252 (declared: {layout.encoding})")
        read_path = tmpdir / f"{path.name}.utf8"
        transcode_cp1252(path, read_path)
    return PreparedFile(path, layout, sha, encoding, delimiter, match, read_path)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the body did, or roll all of it back if the body raises (DuckDB commits nothing after an error
    inside a transaction, so any error is a rollback)."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def lineage(prep: PreparedFile, report_year: int, stage: str, loaded_at: datetime) -> dict[str, object]:
    """The lineage columns of a file's rows (registry.LINEAGE_COLUMNS), in their order."""
    return {"report_year": report_year, "stage": stage, "layout_variant": prep.layout.variant,
            "source_file": prep.path.name, "source_sha256": prep.sha256, "loaded_at": loaded_at}


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_table(con: duckdb.DuckDBPyConnection, stem: str) -> None:
    """Create raw.<stem> with every column the registry defines, or add the columns it gained since."""
    columns = raw_table_columns(stem)
    cols = ", ".join(f'"{name}" {ctype}' for name, ctype in columns.items())
    con.execute(f"create table if not exists {RAW_SCHEMA}.{stem} ({cols})")
    existing = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, stem],
    ).fetchall()}
    for name, ctype in columns.items():
        if name not in existing:  # the registry gained a column since this warehouse was made
            con.execute(f'alter table {RAW_SCHEMA}.{stem} add column "{name}" {ctype}')


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every release stem's raw.<stem> table (empty), so dbt sources always exist (the reference stems'
    tables: reference.ensure_reference_tables, which every ingest run calls first)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for stem in STEM_INDICATOR:
        ensure_table(con, stem)


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT = re.compile(r'converting column "([^"]+)"\. Could not convert string "(.*?)" to \'(\w+)\'')
_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_EXTRA = "__extra_"


def _translate(prep: PreparedFile, exc: duckdb.Error) -> RawFileError:
    text = str(exc)
    line_match = _LINE.search(text)
    line = int(line_match.group(1)) if line_match else None
    if (conv := _CONVERT.search(text)) is not None:
        col = conv.group(1)
        return RawFileError(prep.path, f"expected a {conv.group(3)} value, found '{conv.group(2)}'", line=line,
                            column=prep.column_label(col) or col)
    if (count := _COUNT.search(text)) is not None:
        return RawFileError(
            prep.path,
            f"expected {count.group(1)} fields separated by {prep.delimiter!r}, found {count.group(2)} "
            "(truncated or malformed line)", line=line,
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return RawFileError(prep.path, f"could not be read: {first}", line=line)


def _read_name(prep: PreparedFile, position: int) -> str:
    """The name DuckDB gives header position i: its raw column, or a placeholder for a column kept as extra."""
    raw = prep.match.positions[position]
    return raw if raw is not None else f"{_EXTRA}{position + 1}"


def _reader(prep: PreparedFile) -> str:
    read_cols = ", ".join(
        f"{sql_literal(_read_name(prep, i))}: {sql_literal(COLUMN_TYPES[raw] if raw else 'VARCHAR')}"
        for i, raw in enumerate(prep.match.positions))
    nulls = ", ".join(sql_literal(s) for s in NULL_STRINGS)
    return (
        f"read_csv({sql_literal(str(prep.read_path))}, delim={sql_literal(prep.delimiter)}, quote='', "
        f"escape='', header=true, auto_detect=false, strict_mode=true, nullstr=[{nulls}], "
        f"columns={{{read_cols}}})"
    )


def _extras_json(prep: PreparedFile) -> str:
    """json_object('<header name>', <text>, ...) over the columns the layout does not list, or NULL."""
    if not prep.match.unknown:
        return "null"
    pairs = ", ".join(f"{sql_literal(name)}, \"{_EXTRA}{pos}\"" for pos, name in prep.match.unknown)
    return f"json_object({pairs})::varchar"


def _expected_reporting_year(year: int) -> str:
    return "2017f" if year == 2017 else str(year)


_WRONG_YEAR = "cadash: reportingyear does not match the folder"


def insert_file(con: duckdb.DuckDBPyConnection, prep: PreparedFile, table: str, lineage_values: dict[str, object],
                expected_year: int | None) -> int:
    """Append the file to `table` with the lineage values in one scan. With `expected_year`, the scan also checks
    that reportingyear matches the folder (DuckDB's error() stops the insert at the first row that does not)."""
    present = [c for c in prep.match.positions if c is not None]
    target = ", ".join(f'"{c}"' for c in (*present, EXTRA_COLUMNS, *lineage_values))
    selected = []
    for col in present:
        if col == "reportingyear" and expected_year is not None:
            expected = sql_literal(_expected_reporting_year(expected_year))
            selected.append(f"case when coalesce(lower(trim(reportingyear)), '') = {expected} then reportingyear "
                            f"else error('{_WRONG_YEAR}') end")
        else:
            selected.append(f'"{col}"')
    placeholders = ", ".join("?" for _ in lineage_values)
    try:
        result = con.execute(
            f"insert into {table} ({target}) select {', '.join(selected)}, {_extras_json(prep)}, {placeholders} "
            f"from {_reader(prep)}",
            list(lineage_values.values()),
        ).fetchall()
    except duckdb.Error as exc:
        if _WRONG_YEAR in str(exc) and expected_year is not None:
            raise _wrong_reporting_year(con, prep, expected_year) from None
        raise _translate(prep, exc) from None
    return result[0][0]


def _wrong_reporting_year(con: duckdb.DuckDBPyConnection, prep: PreparedFile, year: int) -> RawFileError:
    """The reportingyear values that contradict the folder, counted on a second read of the file."""
    expected = _expected_reporting_year(year)
    wrong = con.cursor().execute(
        f"select reportingyear, count(*) from {_reader(prep)} where coalesce(lower(trim(reportingyear)), '') <> ? "
        "group by all order by 2 desc limit 3",
        [expected],
    ).fetchall()
    found = ", ".join(f"'{v}' ({n} rows)" for v, n in wrong)
    return RawFileError(
        prep.path, f"reportingyear should be '{expected}' for a file under raw/{year}/, found {found}",
        column=prep.column_label("reportingyear"),
    )


def load_release(
    con: duckdb.DuckDBPyConnection, raw_dir: Path, release: Release, log: Callable[[str], None] = print,
    before_commit: Callable[[duckdb.DuckDBPyConnection, Release], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[FileLoad]:
    """Replace the release's rows in every raw table by the files found for it; all or nothing.

    `before_commit` sees the loaded rows inside the transaction (the quality gate: the raw suites); if it raises,
    the release is rolled back and the warehouse is as it was. `warn` receives each header difference (default:
    `log`)."""
    warn = warn or log
    files: list[RawFile] = release_files(raw_dir, release)  # RegistryError names every file it cannot place
    ensure_raw_tables(con)
    loads: list[FileLoad] = []
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="cadash-ingest-") as tmp:
        prepared = [prepare_file(f.path, f.layout, Path(tmp), log) for f in files]
        for prep in prepared:
            for line in prep.warnings:
                warn(f"[{release.key}] {line}")
        with transaction(con):
            for stem in STEM_INDICATOR:
                con.execute(
                    f"delete from {RAW_SCHEMA}.{stem} where report_year = ? and stage = ?",
                    [release.report_year, release.stage],
                )
            for number, prep in enumerate(prepared, start=1):
                rows = insert_file(con, prep, f"{RAW_SCHEMA}.{prep.layout.stem}",
                                   lineage(prep, release.report_year, release.stage, loaded_at), release.report_year)
                log(f"[{release.key}] {number}/{len(prepared)} {prep.path.name}: {rows:,} rows -> "
                    f"{RAW_SCHEMA}.{prep.layout.stem}")
                if rows == 0:  # CDE never publishes an empty research file; loading it would empty the stem
                    raise RawFileError(prep.path, "the file has a header but no data rows; if the stem really "
                                       "has no rows for this release, remove the file", line=2)
                loads.append(FileLoad(prep.layout.stem, prep.path.name, prep.sha256, rows, prep.encoding,
                                      prep.delimiter, prep.warnings))
            if before_commit is not None:
                before_commit(con, release)
    return loads
