"""Load one release's research files into raw.<stem> tables, atomically and idempotently.

For each file: hash it (sha256), check its text encoding (UTF-8, else Windows-1252 decoded in Python and handed to
DuckDB as UTF-8, since DuckDB has no cp1252 reader here), sniff the delimiter among those the layout allows, compare
the header with the registry, then read it with DuckDB's CSV reader with explicit column types (no auto-detection,
no quoting, strict mode, never ignore_errors). All files of a release are loaded in one transaction that first
deletes the release's rows from every raw table: reloading replaces exactly that release, and a bad file leaves the
warehouse as it was. Errors name the file, the physical line (header = line 1) and the column.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.releases.discovery import RawFile, Release, release_files
from orchestration.releases.registry import STEM_INDICATOR, RegistryError, check_header, raw_table_columns

RAW_SCHEMA = "raw"
_CHUNK = 1 << 20


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


@dataclass
class _Prepared:
    raw: RawFile
    sha256: str
    encoding: str
    delimiter: str
    read_path: Path          # the file DuckDB reads (a UTF-8 copy when the source is Windows-1252)


def _hash_and_encoding(path: Path) -> tuple[str, str, int | None]:
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


def _transcode_cp1252(path: Path, target: Path) -> None:
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


def _read_header(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first:
        raise RawFileError(path, "the file is empty: a research file starts with a header line", line=1)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8):]
    return first.decode(encoding, errors="replace").rstrip("\r\n")


def _prepare(raw: RawFile, tmpdir: Path, log: Callable[[str], None]) -> _Prepared:
    path = raw.path
    sha, encoding, bad_line = _hash_and_encoding(path)
    header = _read_header(path, encoding)
    layout = raw.layout
    candidates = [d for d in layout.delimiters if len(header.split(d)) == len(layout.columns)]
    delimiter = next(
        (d for d in candidates if [c.lower() for c in header.split(d)] == [c.lower() for c in layout.columns]),
        candidates[0] if candidates else max(layout.delimiters, key=header.count),
    )
    try:
        check_header(layout, header.split(delimiter), str(path))
    except RegistryError as exc:
        raise RawFileError(path, str(exc).split(": ", 1)[1], line=1) from None
    read_path = path
    if encoding == "cp1252":
        log(f"{path.name}: not UTF-8 from line {bad_line}; read as Windows-1252 (declared: {layout.encoding})")
        read_path = tmpdir / f"{path.name}.utf8"
        _transcode_cp1252(path, read_path)
    return _Prepared(raw, sha, encoding, delimiter, read_path)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw.<stem> table the registry defines (empty), so dbt sources always exist."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for stem in STEM_INDICATOR:
        cols = ", ".join(f'"{name}" {ctype}' for name, ctype in raw_table_columns(stem).items())
        con.execute(f"create table if not exists {RAW_SCHEMA}.{stem} ({cols})")
        existing = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, stem],
        ).fetchall()}
        for name, ctype in raw_table_columns(stem).items():
            if name not in existing:  # the registry gained a column since this warehouse was made
                con.execute(f'alter table {RAW_SCHEMA}.{stem} add column "{name}" {ctype}')


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT = re.compile(r'converting column "([^"]+)"\. Could not convert string "(.*?)" to \'(\w+)\'')
_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _translate(prep: _Prepared, exc: duckdb.Error) -> RawFileError:
    text = str(exc)
    line_match = _LINE.search(text)
    line = int(line_match.group(1)) if line_match else None
    columns = prep.raw.layout.raw_columns
    if (conv := _CONVERT.search(text)) is not None:
        col = conv.group(1)
        position = columns.index(col) + 1 if col in columns else None
        header_name = prep.raw.layout.columns[position - 1] if position else col
        return RawFileError(
            prep.raw.path, f"expected a {conv.group(3)} value, found '{conv.group(2)}'", line=line,
            column=f"{position} ({header_name})" if position else header_name,
        )
    if (count := _COUNT.search(text)) is not None:
        return RawFileError(
            prep.raw.path,
            f"expected {count.group(1)} fields separated by {prep.delimiter!r}, found {count.group(2)} "
            "(truncated or malformed line)", line=line,
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return RawFileError(prep.raw.path, f"could not be read: {first}", line=line)


def _reader(prep: _Prepared) -> str:
    table_cols = raw_table_columns(prep.raw.layout.stem)
    read_cols = ", ".join(f"{_sql_literal(c)}: {_sql_literal(table_cols[c])}" for c in prep.raw.layout.raw_columns)
    return (
        f"read_csv({_sql_literal(str(prep.read_path))}, delim={_sql_literal(prep.delimiter)}, quote='', "
        f"escape='', header=true, auto_detect=false, strict_mode=true, columns={{{read_cols}}})"
    )


def _expected_reporting_year(release: Release) -> str:
    return "2017f" if release.report_year == 2017 else str(release.report_year)


_WRONG_YEAR = "cadash: reportingyear does not match the folder"


def _insert(con: duckdb.DuckDBPyConnection, prep: _Prepared, loaded_at: datetime) -> int:
    """Append the file to raw.<stem> with the lineage columns in one scan; the scan also checks that reportingyear
    matches the release folder (DuckDB's error() stops the insert at the first row that does not)."""
    layout, release = prep.raw.layout, prep.raw.release
    target = ", ".join(f'"{c}"' for c in (*layout.raw_columns, "report_year", "stage", "layout_variant",
                                             "source_file", "source_sha256", "loaded_at"))
    select = ", ".join(f'"{c}"' for c in layout.raw_columns)
    if "reportingyear" in layout.raw_columns:
        expected = _sql_literal(_expected_reporting_year(release))
        select = select.replace(
            '"reportingyear"',
            f"case when coalesce(lower(reportingyear), '') = {expected} then reportingyear "
            f"else error('{_WRONG_YEAR}') end",
        )
    try:
        result = con.execute(
            f"insert into {RAW_SCHEMA}.{layout.stem} ({target}) select {select}, ?, ?, ?, ?, ?, ? "
            f"from {_reader(prep)}",
            [release.report_year, release.stage, layout.variant, prep.raw.path.name, prep.sha256, loaded_at],
        ).fetchall()
    except duckdb.Error as exc:
        if _WRONG_YEAR in str(exc):
            raise _wrong_reporting_year(con, prep) from None
        raise
    return result[0][0]


def _wrong_reporting_year(con: duckdb.DuckDBPyConnection, prep: _Prepared) -> RawFileError:
    """The reportingyear values that contradict the folder, counted on a second read of the file."""
    layout, release = prep.raw.layout, prep.raw.release
    expected = _expected_reporting_year(release)
    wrong = con.cursor().execute(
        f"select reportingyear, count(*) from {_reader(prep)} where coalesce(lower(reportingyear), '') <> ? "
        "group by all order by 2 desc limit 3",
        [expected],
    ).fetchall()
    found = ", ".join(f"'{v}' ({n} rows)" for v, n in wrong)
    return RawFileError(
        prep.raw.path,
        f"reportingyear should be '{expected}' for a file under raw/{release.report_year}/, found {found}",
        column=f"{layout.raw_columns.index('reportingyear') + 1} (reportingyear)",
    )


def load_release(
    con: duckdb.DuckDBPyConnection, raw_dir: Path, release: Release, log: Callable[[str], None] = print,
    before_commit: Callable[[duckdb.DuckDBPyConnection, Release], None] | None = None,
) -> list[FileLoad]:
    """Replace the release's rows in every raw table by the files found for it; all or nothing.

    `before_commit` sees the loaded rows inside the transaction (the quality gate: the raw suites); if it raises,
    the release is rolled back and the warehouse is as it was."""
    files = release_files(raw_dir, release)  # RegistryError names every file it cannot place
    ensure_raw_tables(con)
    loads: list[FileLoad] = []
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="cadash-ingest-") as tmp:
        prepared = [_prepare(f, Path(tmp), log) for f in files]
        con.execute("begin transaction")
        try:
            for stem in STEM_INDICATOR:
                con.execute(
                    f"delete from {RAW_SCHEMA}.{stem} where report_year = ? and stage = ?",
                    [release.report_year, release.stage],
                )
            for number, prep in enumerate(prepared, start=1):
                try:
                    rows = _insert(con, prep, loaded_at)
                except duckdb.Error as exc:
                    raise _translate(prep, exc) from None
                log(f"[{release.key}] {number}/{len(prepared)} {prep.raw.path.name}: {rows:,} rows -> "
                    f"{RAW_SCHEMA}.{prep.raw.layout.stem}")
                if rows == 0:  # CDE never publishes an empty research file; loading it would empty the stem
                    raise RawFileError(prep.raw.path, "the file has a header but no data rows; if the stem really "
                                       "has no rows for this release, remove the file", line=2)
                loads.append(FileLoad(prep.raw.layout.stem, prep.raw.path.name, prep.sha256, rows, prep.encoding,
                                      prep.delimiter))
            if before_commit is not None:
                before_commit(con, release)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return loads
