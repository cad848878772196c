"""The research-file registry: every CDE Dashboard research file the warehouse knows, by stem and report year.

The registry is data, in `orchestration/releases/layouts/`:

- `headers/<stem>_<year>.txt`: the header line of the file, exactly as CDE writes it (names, order, spelling). For
  a *verified* layout it is a byte copy of the first line of a real CDE file (the source names the file, the
  repository and the commit it was read from);
- `layouts.csv`: one row per (stem, report year, variant): the file names that carry it, its header file, its
  **provenance** and source, renames and the columns whose presence is only inferred;
- `columns.csv`: every column any layout has, once: its DuckDB type, whether the warehouse **needs** it, and what
  it means.

Provenance (say which, always):
- `verified`: the header is that of a real, unmodified CDE file;
- `secondary`: known only from a secondary source (a CDE record-layout page, or other people's loaders and select
  lists): good evidence that the columns exist, weaker on order, and such a list may leave columns out;
- `inferred`: no source at all; `inferred_from` names the real year whose layout it copies.

Files are read by column *name*, not position (orchestration/ingest/loader.py): a file loads when it has every
needed column, in any order, with names matched regardless of letter case and surrounding spaces. A column the
layout does not list is kept (as text, in the raw table's `extra_columns` JSON) and reported as a warning; a needed
column that is missing fails the load naming the closest header name found. A column the warehouse needs is one
the marts read (keys, names, counts, status, change, levels, colour, box, and the flags the rules read:
`columns.csv` `needed`), except where a layout marks it unverified (its presence there is inferred).

Conventions
- report_year is an integer; Fall 2017 is 2017 (its files carry the suffix `2017f` and reportingyear '2017f').
- Raw tables are `raw.<stem>`; their columns are the union, lower-cased, of every layout of the stem, so one table
  holds all years. `renames` maps a header name to the raw column it fills where CDE spelled one column two ways
  over the years (2022's `prate_enrolled` is 2023's `currprate_enrolled`) or cut a name (2024's 32-character
  `prior_aprep_statefedjobs_dass_pc`).
- Reference stems (`REFERENCE_STEMS`) are research files of years without a Dashboard (the 2020 and 2021 DASS-only
  graduation files): they are not releases; they are loaded from `<raw dir>/reference/` into raw.<stem>
  (orchestration/ingest/reference.py).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from pathlib import Path

REPORT_YEARS: tuple[int, ...] = (2017, 2018, 2019, 2022, 2023, 2024, 2025)
STAGES: tuple[str, ...] = ("preview", "public")

# The stems of a release, with the Dashboard indicator each one feeds (None: reference data, not an indicator).
STEM_INDICATOR: dict[str, str | None] = {
    "ela": "ela",
    "math": "math",
    "chronic": "chronic",
    "susp": "susp",
    "grad": "grad",
    "elpi": "elpi",
    "cci": "cci",
    "science": "science",
    "censusenrollrates": None,
    "localindperf": None,
}

# Research files of years with no Dashboard: reference inputs under <raw dir>/reference/, not releases.
REFERENCE_STEMS: dict[str, str] = {
    "grad_dassonly": "DASS schools' one-year graduation cohorts of 2020 and 2021 (no Dashboard in those years), "
                     "which later graduation rules pool (rules audit A5, A16)",
}

PROVENANCES = ("verified", "secondary", "inferred")
LAYOUT_DIR = Path(__file__).resolve().parent / "layouts"
HEADER_DIR = LAYOUT_DIR / "headers"

# Lineage columns added to every raw table by the loader.
LINEAGE_COLUMNS: dict[str, str] = {
    "report_year": "INTEGER",
    "stage": "VARCHAR",
    "layout_variant": "VARCHAR",
    "source_file": "VARCHAR",
    "source_sha256": "VARCHAR",
    "loaded_at": "TIMESTAMP",
}
# Columns of a file that its layout does not list, kept as one JSON object per row ({"header name": "text"}).
EXTRA_COLUMNS = "extra_columns"


class RegistryError(ValueError):
    """A file the registry does not know, a header that lacks a needed column, or a defect in the registry."""


def _read_columns() -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    types, needed, meaning = {}, set(), {}
    with (LAYOUT_DIR / "columns.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["column"]
            types[name] = row["type"]
            meaning[name] = row["meaning"]
            if row["needed"] == "Y":
                needed.add(name)
    return types, frozenset(needed), meaning


# Column types, declared once by (lower-case) column name; codes and flags are text, counts BIGINT, rates,
# averages and changes DOUBLE, levels, colours and boxes INTEGER. Columns whose meaning is not documented
# (adjustments, method codes, flags) are text, so that nothing CDE writes is lost.
COLUMN_TYPES, NEEDED_COLUMNS, COLUMN_MEANINGS = _read_columns()


@dataclass(frozen=True)
class Layout:
    """One published record layout of one stem in one report year."""

    stem: str
    report_year: int
    file_names: tuple[str, ...]          # CDE file names carrying this layout (matched case-insensitively)
    columns: tuple[str, ...]             # header, exact order and spelling
    source: str                          # where the layout comes from
    provenance: str = "inferred"         # verified / secondary / inferred
    inferred_from: int | None = None     # the real year an inferred layout copies
    variant: str = "all"                 # sub-file of a stem in one year (Fall 2017 academic: grades_3_8, grade_11)
    encoding: str = "utf-8"              # utf-8 or cp1252 (single-byte Windows names)
    delimiters: tuple[str, ...] = ("\t", "|")  # every real file seen is tab-delimited; CDE's pages say '|' once
    renames: dict[str, str] = field(default_factory=dict)   # lower-case header name -> raw column
    unverified: frozenset[str] = frozenset()                 # raw columns whose presence is only inferred
    header_file: str = ""

    def raw_column(self, header_name: str) -> str:
        name = header_name.strip().lower()
        return self.renames.get(name, name)

    @property
    def raw_columns(self) -> tuple[str, ...]:
        """The raw-table column each header position fills."""
        return tuple(self.raw_column(c) for c in self.columns)

    @property
    def needed_columns(self) -> tuple[str, ...]:
        """Raw columns a file of this layout must have: those the marts read, unless only inferred here."""
        return tuple(c for c in self.raw_columns if c in NEEDED_COLUMNS and c not in self.unverified)

    @property
    def key(self) -> str:
        return f"{self.stem}/{self.report_year}/{self.variant}"

    @property
    def is_reference(self) -> bool:
        return self.stem in REFERENCE_STEMS


def _read_layouts() -> tuple[Layout, ...]:
    layouts = []
    with (LAYOUT_DIR / "layouts.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            header = (HEADER_DIR / row["header"]).read_text(encoding="utf-8").rstrip("\r\n").split("\t")
            renames = dict(pair.split("=", 1) for pair in row["renames"].split())
            layouts.append(Layout(
                stem=row["stem"], report_year=int(row["report_year"]), variant=row["variant"],
                file_names=tuple(row["file_names"].split(";")), columns=tuple(header), source=row["source"],
                provenance=row["provenance"], inferred_from=int(row["inferred_from"]) if row["inferred_from"] else None,
                encoding=row["encoding"], renames=renames, unverified=frozenset(row["unverified_columns"].split()),
                header_file=row["header"],
            ))
    return tuple(layouts)


ALL_LAYOUTS: tuple[Layout, ...] = _read_layouts()
LAYOUTS: tuple[Layout, ...] = tuple(lay for lay in ALL_LAYOUTS if not lay.is_reference)   # release layouts
REFERENCE_LAYOUTS: tuple[Layout, ...] = tuple(lay for lay in ALL_LAYOUTS if lay.is_reference)


def layouts_for_year(year: int) -> tuple[Layout, ...]:
    return tuple(lay for lay in LAYOUTS if lay.report_year == year)


def stems_for_year(year: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lay.stem for lay in LAYOUTS if lay.report_year == year))


def _names(layouts) -> set[str]:
    return {n.lower() for lay in layouts for n in lay.file_names}


def reference_layout(file_name: str) -> Layout | None:
    """The reference layout (a research file of a year without a Dashboard) of a file name, if it is one."""
    lowered = file_name.lower()
    return next((lay for lay in REFERENCE_LAYOUTS if lowered in (n.lower() for n in lay.file_names)), None)


def layout_for_file(file_name: str, year: int) -> Layout:
    """The layout of a file found under raw/<year>/<stage>/, or a RegistryError that says what is wrong."""
    lowered = file_name.lower()
    for lay in LAYOUTS:
        if lay.report_year == year and lowered in (n.lower() for n in lay.file_names):
            return lay
    reference = reference_layout(file_name)
    if reference is not None:
        raise RegistryError(
            f"{file_name}: this is a reference input, not a release file ({REFERENCE_STEMS[reference.stem]}). "
            "Move it to <raw dir>/reference/"
        )
    other_years = sorted({lay.report_year for lay in LAYOUTS if lowered in (n.lower() for n in lay.file_names)})
    if other_years:
        raise RegistryError(
            f"{file_name}: this is the {'/'.join(map(str, other_years))} file name, but it sits under the "
            f"{year} folder. Move it to raw/{other_years[0]}/<stage>/ or check the file."
        )
    if lowered.endswith((".xlsx", ".xls")):
        as_text = lowered.rsplit(".", 1)[0] + ".txt"
        if any(as_text == n.lower() for lay in layouts_for_year(year) for n in lay.file_names):
            raise RegistryError(
                f"{file_name}: CDE's Excel copy of {as_text}; the warehouse reads the tab-delimited text file. "
                f"Download {as_text} from CDE's research files page and put it here instead."
            )
    known = ", ".join(sorted({n for lay in layouts_for_year(year) for n in lay.file_names}))
    raise RegistryError(
        f"{file_name}: not a research file the registry knows for {year}. Known names for {year}: {known}. "
        "If CDE published a new stem or renamed a file, add its layout to orchestration/releases/layouts/."
    )


def raw_table_columns(stem: str) -> dict[str, str]:
    """Columns of raw.<stem>: the union of all its layouts (lower-case, first-seen order), lineage, extra_columns."""
    cols: dict[str, str] = {}
    for lay in ALL_LAYOUTS:
        if lay.stem != stem:
            continue
        for col in lay.raw_columns:
            cols.setdefault(col, COLUMN_TYPES[col])
    cols.update(LINEAGE_COLUMNS)
    cols[EXTRA_COLUMNS] = "VARCHAR"
    return cols


# ------------------------------------------------------------------------------------------ matching a header


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's header lines up with its layout, by name.

    `positions[i]` is the raw column that header position i fills, or None for a column the layout does not list
    (kept in extra_columns). Only differences a user should hear about are listed: unknown columns and absent
    optional ones; case, surrounding spaces and order are not differences."""

    layout: Layout
    header: tuple[str, ...]
    positions: tuple[str | None, ...]
    unknown: tuple[tuple[int, str], ...]          # (1-based position, header name as written)
    absent: tuple[str, ...]                       # layout columns (optional ones) the file does not have
    reordered: bool

    @property
    def warnings(self) -> list[str]:
        lay = self.layout
        out = []
        if self.unknown:
            listed = ", ".join(f"'{name}' (column {pos}{_known_elsewhere(lay.stem, name)})"
                               for pos, name in self.unknown)
            out.append(f"{len(self.unknown)} column(s) not in the registry's {lay.stem} {lay.report_year} layout "
                       f"({lay.provenance}), kept as text in raw.{lay.stem}.{EXTRA_COLUMNS}: {listed}")
        if self.absent:
            out.append(f"{len(self.absent)} optional column(s) of the {lay.stem} {lay.report_year} layout "
                       f"({lay.provenance}) are not in the file, loaded as blank: {', '.join(self.absent)}")
        return out


def _known_elsewhere(stem: str, name: str) -> str:
    raw = name.strip().lower()
    years = sorted({lay.report_year for lay in ALL_LAYOUTS if lay.stem == stem and raw in lay.raw_columns})
    return f"; in the {'/'.join(map(str, years))} layout" if years else ""


def match_header(layout: Layout, found: list[str], file_label: str) -> HeaderMatch:
    """Line a file's header up with its layout by name; raise RegistryError when a needed column is missing or the
    header names a column twice. Names match regardless of letter case and surrounding spaces."""
    wanted = {c: i for i, c in enumerate(layout.raw_columns)}
    positions: list[str | None] = []
    unknown: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    problems: list[str] = []
    for pos, name in enumerate(found, start=1):
        raw = layout.raw_column(name)
        if raw in first_seen:
            problems.append(f"column '{name.strip()}' appears twice (columns {first_seen[raw]} and {pos})")
        first_seen.setdefault(raw, pos)
        if raw in wanted and raw not in positions:
            positions.append(raw)
        else:
            positions.append(None)
            if raw not in wanted:
                unknown.append((pos, name.strip() or f"(unnamed column {pos})"))
    missing_needed = [c for c in layout.needed_columns if c not in first_seen]
    if missing_needed:
        spare = {name.strip().lower(): name.strip() for _pos, name in unknown}   # the names no column took
        hints = []
        for col in missing_needed:
            close = difflib.get_close_matches(col, list(spare), n=1, cutoff=0.6)
            hint = f" (closest header name found: '{spare[close[0]]}')" if close else ""
            hints.append(f"'{layout.columns[wanted[col]]}'{hint}")
        problems.append(f"missing needed column(s): {', '.join(hints)}")
        if len(found) == 1:
            problems.append(f"the header has one field only: the file is not {_delimiter_names(layout)}-delimited")
    if problems:
        raise RegistryError(
            f"{file_label}: header does not fit the {layout.report_year} '{layout.stem}' layout "
            f"({layout.provenance}; orchestration/releases/layouts/headers/{layout.header_file}): "
            + "; ".join(problems)
        )
    matched_order = [wanted[c] for c in positions if c is not None]
    absent = tuple(layout.columns[i] for c, i in wanted.items() if c not in first_seen)
    return HeaderMatch(layout, tuple(found), tuple(positions), tuple(unknown), absent,
                       reordered=matched_order != sorted(matched_order))


def _delimiter_names(layout: Layout) -> str:
    return " or ".join({"\t": "tab", "|": "pipe"}.get(d, repr(d)) for d in layout.delimiters)


def choose_delimiter(layout: Layout, header_line: str) -> str:
    """The allowed delimiter under which the most header names are columns of the layout."""
    wanted = set(layout.raw_columns)
    return max(layout.delimiters,
               key=lambda d: (sum(layout.raw_column(n) in wanted for n in header_line.split(d)), d == "\t"))


def layout_table() -> list[dict[str, str]]:
    """One row per layout for `cadash layouts` and the docs: stem, year, variant, provenance and source."""
    rows = []
    for lay in sorted(ALL_LAYOUTS, key=lambda x: (x.is_reference, x.stem, x.report_year, x.variant)):
        provenance = lay.provenance + (f" (from {lay.inferred_from})" if lay.inferred_from else "")
        rows.append({
            "stem": lay.stem, "year": str(lay.report_year), "variant": lay.variant, "file": lay.file_names[0],
            "columns": str(len(lay.columns)), "needed": str(len(lay.needed_columns)), "provenance": provenance,
            "source": lay.source,
        })
    return rows
