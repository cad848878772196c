"""Reference inputs the determinations need that the Dashboard research files lack.

They live under <raw dir>/reference/ (see raw/reference/README.md) and are loaded whole into raw.<name> on every
ingest run, in one transaction: a bad file fails the run with its file, line and column and leaves the previous
table as it was. A missing file leaves an empty table (the dependent rule then reports "unknown", never guesses).

Three kinds:
- `REFERENCE_INPUTS`: files of our own layout (the Title I status, the optional graduation cohorts), read with an
  exact header;
- the registry's reference stems (`registry.REFERENCE_STEMS`): CDE research files of years without a Dashboard
  (graddownload2020dassonly.txt, graddownload2021dassonly.txt), read by name like a release file (loader.py), one
  report year per file, into raw.<stem> with the same lineage columns (stage 'public');
- CDE's published assistance lists (optional: assistancestatusYY*.xlsx, essaassistanceYY*.xlsx), Excel workbooks
  read by column name into raw.cde_da_list, raw.cde_essa_list and their group tables (cde_lists.py), for the
  reconciliation of our determinations with CDE's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.ingest.cde_lists import CDE_LIST_TABLES, load_cde_lists
from orchestration.ingest.cde_lists import ensure_tables as ensure_cde_list_tables
from orchestration.ingest.loader import (
    LINEAGE_COLUMNS,
    RAW_SCHEMA,
    RawFileError,
    ensure_table,
    hash_and_encoding,
    insert_file,
    lineage,
    prepare_file,
    read_header,
    sql_literal,
    transaction,
    transcode_cp1252,
)
from orchestration.releases.discovery import REFERENCE_DIR
from orchestration.releases.registry import REFERENCE_LAYOUTS, REFERENCE_STEMS


@dataclass(frozen=True)
class ReferenceInput:
    name: str                               # raw.<name>
    relative_path: str                      # under the raw dir
    columns: tuple[tuple[str, str], ...]    # header name, DuckDB type, in file order
    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    patterns: tuple[tuple[str, str, str], ...] = ()   # column, regexp, what it should look like
    key: tuple[str, ...] = ()
    source: str = ""


TITLE_I_STATUS = ReferenceInput(
    name="title_i_status",
    relative_path="reference/title_i_status.txt",
    columns=(("report_year", "INTEGER"), ("cds", "VARCHAR"), ("school_name", "VARCHAR"), ("title_i", "VARCHAR")),
    codes=(("title_i", ("Y", "N")),),
    patterns=(("cds", r"^[0-9]{14}$", "a 14-digit CDS code"),),
    key=("report_year", "cds"),
    source="dashboard_methodology.md §4.1 (CSI Low Performing requires Title I funding in the year of entry)",
)

GRADUATION_COHORTS = ReferenceInput(
    name="graduation_cohorts",
    relative_path="reference/graduation_cohorts.txt",
    columns=(("cohort_year", "INTEGER"), ("cds", "VARCHAR"), ("cohort_students", "BIGINT"), ("graduates", "BIGINT"),
             ("source", "VARCHAR")),
    patterns=(("cds", r"^[0-9]{14}$", "a 14-digit CDS code"),),
    key=("cohort_year", "cds"),
    source=("rules audit A5: the three-year CSI graduation rates of 2022 and 2023 pool the 2020 and 2021 cohorts, "
            "which no Dashboard file carries (optional; raw/reference/README.md says how to fill it from CDE's "
            "graduation cohort files)"),
)

REFERENCE_INPUTS = (TITLE_I_STATUS, GRADUATION_COHORTS)


@dataclass(frozen=True)
class ReferenceLoad:
    name: str
    file_name: str | None
    sha256: str | None
    rows: int
    warnings: tuple[str, ...] = ()


def ensure_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for ref in REFERENCE_INPUTS:
        cols = ", ".join(f'"{n}" {t}' for n, t in (*ref.columns, *LINEAGE_COLUMNS))
        con.execute(f"create table if not exists {RAW_SCHEMA}.{ref.name} ({cols})")
    for stem in REFERENCE_STEMS:
        ensure_table(con, stem)
    ensure_cde_list_tables(con)


def reference_names() -> list[str]:
    """Every raw table this module loads: the reference inputs, the registry's reference stems, CDE's lists."""
    return [*(ref.name for ref in REFERENCE_INPUTS), *REFERENCE_STEMS, *CDE_LIST_TABLES]


def _reader(ref: ReferenceInput, path: Path) -> str:
    cols = ", ".join(f"{sql_literal(n)}: {sql_literal(t)}" for n, t in ref.columns)
    return (f"read_csv({sql_literal(str(path))}, delim='\t', quote='', escape='', header=true, "
            f"auto_detect=false, strict_mode=true, columns={{{cols}}})")


def _first_violation(con: duckdb.DuckDBPyConnection, ref: ReferenceInput, path: Path, shown: Path) -> None:
    """Raise for the first row (by line) whose code, pattern or key is wrong."""
    numbered = f"(select row_number() over () + 1 as line, * from {_reader(ref, path)})"
    checks = []
    for column, allowed in ref.codes:
        values = ", ".join(sql_literal(v) for v in allowed)
        checks.append((column, f'coalesce("{column}", \'\') not in ({values})',
                       f"expected one of {', '.join(allowed)}"))
    for column, regexp, what in ref.patterns:
        checks.append((column, f'not regexp_full_match(coalesce("{column}", \'\'), {sql_literal(regexp)})',
                       f"expected {what}"))
    names = [n for n, _ in ref.columns]
    for column, condition, expected in checks:
        bad = con.execute(f'select line, "{column}" from {numbered} where {condition} order by line limit 1'
                          ).fetchall()
        if bad:
            raise RawFileError(shown, f"{expected}, found '{bad[0][1] or ''}'", line=bad[0][0],
                               column=f"{names.index(column) + 1} ({column})")
    if ref.key:
        key = ", ".join(f'"{k}"' for k in ref.key)
        dup = con.execute(
            f"select line, {key} from (select *, count(*) over (partition by {key}) as n, "
            f"min(line) over (partition by {key}) as first_line from {numbered}) where n > 1 and line > first_line "
            "order by line limit 1").fetchall()
        if dup:
            raise RawFileError(shown, f"duplicate key ({', '.join(ref.key)}) = {tuple(dup[0][1:])}: "
                               "each key may appear once", line=dup[0][0])


def load_reference_inputs(con: duckdb.DuckDBPyConnection, raw_dir: Path, log: Callable[[str], None] = print,
                          before_commit: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
                          warn: Callable[[str], None] | None = None) -> list[ReferenceLoad]:
    """Replace each raw.<reference> table by its file under raw_dir (or empty it if the file is absent).
    `before_commit(con, name)` sees the new rows inside the transaction; if it raises, nothing changes."""
    ensure_reference_tables(con)
    loads = []
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    for ref in REFERENCE_INPUTS:
        path = raw_dir / ref.relative_path
        with tempfile.TemporaryDirectory(prefix="cadash-reference-") as tmp:
            read_path, sha = None, None
            if path.is_file():
                sha, encoding, _ = hash_and_encoding(path)
                header = read_header(path, encoding).split("\t")
                expected = [n for n, _ in ref.columns]
                if header != expected:
                    position = next((i for i, (a, b) in enumerate(zip(header, expected)) if a != b),
                                    min(len(header), len(expected)))
                    raise RawFileError(path, f"header should be {' '.join(expected)!r}, found {' '.join(header)!r}",
                                       line=1, column=str(position + 1))
                read_path = path
                if encoding == "cp1252":
                    read_path = Path(tmp) / f"{path.name}.utf8"
                    transcode_cp1252(path, read_path)
                try:
                    _first_violation(con, ref, read_path, path)
                except duckdb.Error as exc:
                    raise RawFileError(path, f"could not be read: {str(exc).splitlines()[0]}") from None
            with transaction(con):
                con.execute(f"delete from {RAW_SCHEMA}.{ref.name}")
                rows = 0
                if read_path is not None:
                    names = ", ".join(f'"{n}"' for n, _ in ref.columns)
                    rows = con.execute(
                        f"insert into {RAW_SCHEMA}.{ref.name} select {names}, ?, ?, ? from {_reader(ref, read_path)}",
                        [path.name, sha, loaded_at]).fetchall()[0][0]
                if before_commit is not None:
                    before_commit(con, ref.name)
        if read_path is None:
            log(f"reference: no {ref.relative_path} under {raw_dir}; raw.{ref.name} is empty ({ref.source})")
        else:
            log(f"reference: {ref.relative_path}: {rows:,} rows -> raw.{ref.name}")
        loads.append(ReferenceLoad(ref.name, path.name if read_path else None, sha, rows))
    loads += [_load_reference_stem(con, raw_dir, stem, loaded_at, log, before_commit, warn or log)
              for stem in REFERENCE_STEMS]
    loads += [ReferenceLoad(ld.name, ld.file_name, ld.sha256, ld.rows, ld.warnings)
              for ld in load_cde_lists(con, raw_dir, loaded_at, log, before_commit, warn)]
    return loads


def _load_reference_stem(con: duckdb.DuckDBPyConnection, raw_dir: Path, stem: str, loaded_at: datetime,
                         log: Callable[[str], None], before_commit, warn: Callable[[str], None]) -> ReferenceLoad:
    """Replace raw.<stem> by the files of the stem's layouts found under <raw dir>/reference/ (one per year)."""
    folder = raw_dir / REFERENCE_DIR
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    found = [(lay, present[n.lower()]) for lay in REFERENCE_LAYOUTS if lay.stem == stem
             for n in lay.file_names if n.lower() in present]
    with tempfile.TemporaryDirectory(prefix="cadash-reference-") as tmp:
        prepared = [prepare_file(path, lay, Path(tmp), log) for lay, path in found]
        warnings = tuple(w for prep in prepared for w in prep.warnings)
        for line in warnings:
            warn(f"[reference] {line}")
        with transaction(con):
            con.execute(f"delete from {RAW_SCHEMA}.{stem}")
            rows = 0
            for prep in prepared:
                year = prep.layout.report_year
                added = insert_file(con, prep, f"{RAW_SCHEMA}.{stem}", lineage(prep, year, "public", loaded_at), year)
                log(f"reference: {prep.path.name}: {added:,} rows -> raw.{stem}")
                rows += added
            if before_commit is not None:
                before_commit(con, stem)
    if not prepared:
        log(f"reference: no {' or '.join(n for lay in REFERENCE_LAYOUTS if lay.stem == stem for n in lay.file_names)}"
            f" under {folder}; raw.{stem} is empty ({REFERENCE_STEMS[stem]})")
    names = ", ".join(p.path.name for p in prepared) or None
    sha = ", ".join(p.sha256[:12] for p in prepared) or None
    return ReferenceLoad(stem, names, sha, rows, warnings)
