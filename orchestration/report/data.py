"""What the report of one release reads, and reading it: ReportData.

Input: only what the publisher wrote, in the publications builder.py chooses (Sources). The report of release R reads
R's snapshot.duckdb (read-only) and manifest.json; for the trends, the fct_indicator_results.parquet of one publication
per earlier report year (R's own results for R's year); and, when both stages of R's year are published, the
preview -> public diff (fct_preview_public_*.parquet) of the publication that holds it. Everything is read here, in one
DuckDB connection; nothing is formatted (model.py) or written (render.py).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.publish.store import MANIFEST
from orchestration.releases.discovery import Release

REPORT_MEMORY = "400MB"
_FETCH_ROWS = 50_000
STATE_CDS = "00000000000000"
MAX_TREND_GROUPS = 3          # lines besides All Students in an LEA's trend plots (readable, and pages stay small)


@dataclass(frozen=True)
class Sources:
    """The publications the report of one release reads, each by its version directory (resolved once: a
    republication while the report is built changes nothing it reads)."""

    release: Release
    version: Path                       # R's own publication
    trends: dict[str, Path]             # one release per report year up to R's (R itself for R's year), in year order
    diff_source: str = ""               # the publication with the preview -> public diff of R's year, if any
    diff_version: Path | None = None


@dataclass
class ReportData:
    release: Release
    manifest: dict
    version_dir: str
    indicators: dict[str, dict]
    groups: dict[str, dict]
    entities: dict[str, dict]
    counties: dict[str, str]                     # county code -> name
    leas: dict[str, dict]                        # cds -> LEA (DA row, or a district without one)
    da_evidence: dict[str, list[dict]]           # cds -> met priority rows
    schools: list[dict]                          # ESSA determinations, with district_cds
    near_misses: list[dict]
    results: dict[str, list[ResultRow]]          # cds (state, LEA) -> R's indicator results
    trend_years: list[int]
    trend_releases: list[str]
    trends: dict[str, dict[str, dict[str, list[tuple]]]]   # cds -> indicator -> group -> [(year, value, colour)]
    diff_available: bool = False
    diff_source: str = ""
    flips: list[dict] = field(default_factory=list)
    change_summary: list[dict] = field(default_factory=list)
    entity_changes: dict[str, list[dict]] = field(default_factory=dict)   # cds (state, LEA) -> its own changes
    school_change_counts: dict[str, int] = field(default_factory=dict)    # LEA cds -> changed school rows
    county_change_counts: dict[str, int] = field(default_factory=dict)
    reconciliation: list[dict] = field(default_factory=list)              # per indicator: recomputed vs CDE's


def load(sources: Sources) -> ReportData:
    """Everything the pages of `sources.release` show."""
    manifest = json.loads((sources.version / MANIFEST).read_text(encoding="utf-8"))
    con = duckdb.connect(config={"memory_limit": REPORT_MEMORY})
    try:
        con.execute(f"attach {_quote(sources.version / 'snapshot.duckdb')} as rel (read_only)")
        data = _load_release(con, sources, manifest)
        _load_trends(con, data, sources)
        _load_diff(con, data, sources)
    finally:
        con.close()
    return data


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    """The rows as dicts, each distinct text value held once: DuckDB returns a new string per cell, and the codes,
    names and reasons repeat over a release's ~170,000 result rows (measured on a statewide release: the rows'
    memory 173 MB -> 95 MB, the loading time unchanged; a report worker holds one release)."""
    cursor = con.execute(sql, params or [])
    names = [sys.intern(d[0]) for d in cursor.description]
    shared: dict[str, str] = {}
    return [{name: (shared.setdefault(value, value) if type(value) is str else value)
             for name, value in zip(names, row)} for row in cursor.fetchall()]


class ResultRow(tuple):
    """One indicator result of the state or an LEA, read by column name like a dict row (row["color"],
    row.get("cut_table")) but held as a tuple: a report worker holds ~170,000 of them for a statewide release, and a
    tuple takes a quarter of a dict's memory."""

    __slots__ = ()
    COLUMNS = ("cds", "indicator", "student_group", "curr_denominator", "curr_status", "change", "status_level",
               "change_level", "color", "box", "is_safety_net", "cut_table", "color_ineligible_reason")
    _INDEX = {name: i for i, name in enumerate(COLUMNS)}

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._INDEX[key] if isinstance(key, str) else key)

    def get(self, key: str, default=None):
        index = self._INDEX.get(key)
        return default if index is None else tuple.__getitem__(self, index)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _load_release(con, sources: Sources, manifest: dict) -> ReportData:
    release = sources.release
    key = release.key
    indicators = {r["indicator"]: r for r in _rows(con, "select * from rel.marts.dim_indicator")}
    groups = {r["student_group"]: r for r in _rows(con, "select * from rel.marts.dim_student_group")}
    entities = {r["cds"]: r for r in _rows(
        con, "select cds, entity_type, county_code, county_name, district_cds, entity_name, is_charter, is_coe "
             "from rel.marts.dim_entity where release_key = ?", [key])}
    names: dict[str, Counter] = defaultdict(Counter)
    for e in entities.values():
        if e["county_name"]:
            names[e["county_code"]][e["county_name"]] += 1
    leas: dict[str, dict] = {}
    for row in _rows(con, "select * from rel.marts.fct_da_eligibility where release_key = ? order by cds", [key]):
        leas[row["cds"]] = row
    columns = [d[0] for d in con.execute("select * from rel.marts.fct_da_eligibility limit 0").description]
    for e in entities.values():   # districts without a DA row (e.g. a year's files without DA inputs)
        if e["entity_type"] == "district" and e["cds"] not in leas:
            leas[e["cds"]] = {**dict.fromkeys(columns), "cds": e["cds"], "lea_name": e["entity_name"],
                              "county_name": e["county_name"], "lea_type": "coe" if e["is_coe"] else "district"}
    for lea in leas.values():
        if lea["county_name"]:
            names[lea["cds"][:2]][lea["county_name"]] += 1
    da_evidence: dict[str, list[dict]] = defaultdict(list)
    for row in _rows(con, "select * from rel.marts.fct_da_student_group_priorities where release_key = ? and is_met "
                          "order by cds, priority_area", [key]):
        da_evidence[row["cds"]].append(row)
    schools = _rows(con, "select d.*, e.district_cds from rel.marts.fct_essa_school_determinations as d "
                         "left join rel.marts.dim_entity as e using (release_key, cds) "
                         "where d.release_key = ? order by d.school_name, d.cds", [key])
    for s in schools:
        if s["county_name"]:
            names[s["cds"][:2]][s["county_name"]] += 1
    near = _rows(con, "select n.*, e.district_cds from rel.marts.fct_eligibility_near_misses as n "
                      "left join rel.marts.dim_entity as e using (release_key, cds) "
                      "where n.release_key = ? order by n.entity_name, n.program, n.student_group, n.indicator", [key])
    results: dict[str, list[ResultRow]] = defaultdict(list)
    con.execute("create temp table report_entities (cds varchar)")
    con.executemany("insert into report_entities values (?)", [[c] for c in [STATE_CDS, *leas]])
    shared: dict[str, str] = {}
    cursor = con.execute(f"select {', '.join('f.' + c for c in ResultRow.COLUMNS)} "
                         "from rel.marts.fct_indicator_results as f join report_entities using (cds) "
                         "where f.release_key = ?", [key])
    while chunk := cursor.fetchmany(_FETCH_ROWS):   # never the whole result as fresh tuples and strings at once
        for values in chunk:
            row = ResultRow(shared.setdefault(v, v) if type(v) is str else v for v in values)
            results[row["cds"]].append(row)
    counties = {code: c.most_common(1)[0][0] for code, c in names.items()}
    for code in {c[:2] for c in leas} | {s["cds"][:2] for s in schools}:
        counties.setdefault(code, f"County {code}")
    # recomputed levels against CDE's (fct_level_reconciliation): the determinations use CDE's; differences warn
    reconciliation = _rows(
        con, "select indicator, sum(row_count)::bigint as rows, sum(status_level_compared + change_level_compared "
             "+ color_compared + box_compared)::bigint as compared, sum(status_level_agree + change_level_agree "
             "+ color_agree + box_agree)::bigint as agree, sum(disagreeing_rows)::bigint as disagreeing "
             "from rel.marts.fct_level_reconciliation where release_key = ? group by indicator order by indicator",
        [key])
    trend_releases = list(sources.trends)
    return ReportData(
        release=release, manifest=manifest, version_dir=sources.version.name, indicators=indicators, groups=groups,
        entities=entities, counties=counties, leas=leas, da_evidence=da_evidence, schools=schools,
        near_misses=near, results=results, trend_years=[Release.parse(k).report_year for k in trend_releases],
        trend_releases=trend_releases, trends={}, reconciliation=reconciliation)


def _trend_groups(data: ReportData) -> dict[str, list[str]]:
    """Whose lines each page plots: All Students, and for an LEA up to MAX_TREND_GROUPS student groups: the
    qualifying groups of its DA determination, then the other groups of its evidence, then its near misses'."""
    order = {g: r["sort_order"] for g, r in data.groups.items()}
    near: dict[str, set[str]] = defaultdict(set)
    for n in data.near_misses:
        if n["program"] == "da":
            near[n["cds"]].add(n["student_group"])
    wanted: dict[str, list[str]] = {STATE_CDS: ["ALL"]}
    for cds, lea in data.leas.items():
        qualifying = set(filter(None, (lea.get("qualifying_student_groups") or "").split(",")))
        evidence = {r["student_group"] for r in data.da_evidence.get(cds, [])}
        ranked = sorted(qualifying | evidence | near.get(cds, set()),
                        key=lambda g: (g not in qualifying, g not in evidence, order.get(g, 999), g))
        wanted[cds] = ["ALL"] + [g for g in ranked if g != "ALL"][:MAX_TREND_GROUPS]
    return wanted


def _load_trends(con, data: ReportData, sources: Sources) -> None:
    wanted = _trend_groups(data)
    con.execute("create temp table trend_wanted (cds varchar, student_group varchar)")
    con.executemany("insert into trend_wanted values (?, ?)", [[c, g] for c, gs in wanted.items() for g in gs])
    selects = []
    for key, version in sources.trends.items():
        if key == data.release.key:
            selects.append("select report_year, indicator, cds, student_group, curr_status, color "
                           f"from rel.marts.fct_indicator_results where release_key = '{key}'")
        else:
            parquet = version / "fct_indicator_results.parquet"
            selects.append(f"select report_year, indicator, cds, student_group, curr_status, color "
                           f"from read_parquet({_quote(parquet)})")
    sql = ("select t.* from (" + " union all ".join(selects) + ") as t join trend_wanted using (cds, student_group) "
           "where t.curr_status is not null order by t.report_year")
    trends: dict[str, dict[str, dict[str, list[tuple]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    cursor = con.execute(sql)
    while chunk := cursor.fetchmany(_FETCH_ROWS):
        for year, indicator, cds, group, status, colour in chunk:
            trends[cds][indicator][group].append((year, status, colour or 0))
    data.trends = trends


def _load_diff(con, data: ReportData, sources: Sources) -> None:
    """The preview -> public diff of R's report year, from the publication that holds it (when it has both files)."""
    if sources.diff_version is None:
        return
    year = data.release.report_year
    flips_file = sources.diff_version / "fct_preview_public_determination_flips.parquet"
    changes_file = sources.diff_version / "fct_preview_public_result_changes.parquet"
    if not (flips_file.is_file() and changes_file.is_file()):
        return
    data.diff_available, data.diff_source = True, sources.diff_source
    data.flips = _rows(con, f"select f.*, e.district_cds from read_parquet({_quote(flips_file)}) as f "
                            f"left join rel.marts.dim_entity as e on e.cds = f.cds and e.release_key = ? "
                            f"where f.report_year = ? order by f.program, f.flip, f.entity_name",
                       [data.release.key, year])
    data.change_summary = _rows(
        con, f"select indicator, entity_type, change_kind, count(*) as n from read_parquet({_quote(changes_file)}) "
             f"where report_year = ? group by all order by indicator, entity_type, change_kind", [year])
    for row in _rows(con, f"select c.* from read_parquet({_quote(changes_file)}) as c join report_entities "
                          f"using (cds) where c.report_year = ? order by c.indicator, c.student_group", [year]):
        data.entity_changes.setdefault(row["cds"], []).append(row)
    for district, n in con.execute(
            f"select substr(cds, 1, 7) || '0000000', count(*) from read_parquet({_quote(changes_file)}) "
            f"where report_year = ? and entity_type = 'school' group by all", [year]).fetchall():
        data.school_change_counts[district] = n
    for county, n in con.execute(
            f"select substr(cds, 1, 2), count(*) from read_parquet({_quote(changes_file)}) "
            f"where report_year = ? and entity_type <> 'state' group by all", [year]).fetchall():
        data.county_change_counts[county] = n
