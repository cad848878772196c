"""The HTML report of a published release (issue 8): static pages that open from file:// without a server.

    <publish dir>/reports/
      index.html                 the releases that have a report
      latest -> <newest public release>
      <release> -> .versions/<release>-<build id>/
        index.html               the state: DA and ESSA counts, the state's grids and trends, the preview -> public
                                 diff (when both stages of the year are published), the counties
        county/<CC>.html         a county (CDS county code): its LEAs with their DA determination and evidence, its
                                 ESSA schools, near misses and flips
        lea/<cds>.html           an LEA: its determination with the evidence, a 5x5 grid per indicator with each
                                 student group in its box, status trends, its ESSA schools, near misses and flips
        report.css

Input: only what the publisher wrote. The report of release R reads R's snapshot.duckdb (read-only) and, for the
trends, the fct_indicator_results.parquet of one publication per earlier report year (its public release, or its
preview when that is the only one; R itself for R's year). Labels, grids and change-level names come from the rule
seeds (dbt_project/seeds), the values from the publication.

Written like a publication: into a staging directory, moved to .versions/, then made visible by switching the
symlink reports/<release> atomically; a failure before the switch removes the staging directory and leaves the
previous report as it was. The output depends only on the publication (no build time in the pages), so the same
publication gives the same files.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import jinja2
import numpy as np
from markupsafe import Markup, escape

from orchestration import vocabulary
from orchestration.publish.store import MANIFEST, StagingFailed, SwitchFailed, VersionedDir
from orchestration.releases.discovery import Release
from orchestration.report import grid as grid_html
from orchestration.report import svg
from orchestration.rules import Rules
from orchestration.settings import DBT_PROJECT_DIR

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "report.css"
LEVEL_LABELS = DBT_PROJECT_DIR / "seeds" / "eligibility" / "level_labels.csv"
REPORT_MEMORY = "400MB"
STATE_CDS = "00000000000000"
MAX_TREND_GROUPS = 3          # lines besides All Students in an LEA's trend plots (readable, and pages stay small)

# The Dashboard colours (seed code -> label in seeds/eligibility/level_labels.csv -> this hex); report.css uses the
# same values (a test checks the CSS against this table).
COLOUR_HEX = {"Red": "#c8102e", "Orange": "#f08a24", "Yellow": "#f6d13a", "Green": "#2f7d32", "Blue": "#1f6fb2"}
# status badges (not Dashboard colours, so they are never read as a rating)
BADGE_HEX = {"da": "#4a2a7a", "da2": "#8a6fb3", "ga": "#e3e6ea", "csi": "#6b1d3a", "atsi": "#0d5c63",
             "tsi": "#5c6b73"}
LEA_TYPES = {"district": "District", "coe": "County office of education", "charter": "Charter school"}
_COLOUR_WORDS = re.compile(r"\b(Red|Orange|Yellow|Green|Blue)\b")


class ReportError(RuntimeError):
    """The report could not be built; the previous report is unchanged."""


@dataclass(frozen=True)
class ReportResult:
    release: str
    path: Path                     # the version directory reports/<release> now points to
    pages: dict[str, int]          # state / county / lea -> pages written
    seconds: float

    @property
    def total_pages(self) -> int:
        return sum(self.pages.values())


# --------------------------------------------------------------------------------------------------- publications
def published_releases(publish_dir: Path) -> list[str]:
    """The releases published under `publish_dir` (links to a complete version directory), in time order."""
    return [r.key for r in VersionedDir.publications(publish_dir).releases()]


def _trend_releases(available: list[str], release: Release) -> list[str]:
    """One publication per report year up to R's: R itself for its year, else the public release, else the
    preview."""
    by_year: dict[int, dict[str, str]] = defaultdict(dict)
    for key in available:
        r = Release.parse(key)
        by_year[r.report_year][r.stage] = key
    chosen = []
    for year in sorted(y for y in by_year if y <= release.report_year):
        if year == release.report_year:
            chosen.append(release.key)
        else:
            chosen.append(by_year[year].get("public") or by_year[year]["preview"])
    return chosen


# --------------------------------------------------------------------------------------------------- seeds
@dataclass
class Labels:
    """Names from the seeds: colours, status levels (by better direction), change levels, grids."""

    rules: Rules
    colour: dict[int, str]
    status: dict[tuple[str, int], str]
    _cache: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> Labels:
        colour, status = {}, {}
        with LEVEL_LABELS.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["measure"] == "color":
                    colour[int(row["rating"])] = row["label"]
                elif row["measure"] == "status_level":
                    status[(row["better_direction"], int(row["rating"]))] = row["label"]
        return cls(Rules(), colour, status)

    def change(self, indicator: str, year: int, cut_table: str) -> dict[int, str]:
        """change level -> its name (Declined Significantly ..., for chronic absenteeism and suspension Increased
        Significantly ...), from seeds/rules/change_cut_points.csv."""
        key = ("change", indicator, year, cut_table)
        if key not in self._cache:
            rows = self.rules._matching(self.rules.change_rows, indicator, year, cut_table)
            self._cache[key] = {int(r["change_level"]): r["level_name"] for r in rows}
        return self._cache[key]

    def grid(self, indicator: str, year: int, cut_table: str) -> dict[tuple[int, int], int]:
        """(status level, change level) -> colour code of the box, from seeds/rules/color_grids.csv."""
        key = ("grid", indicator, year, cut_table)
        if key not in self._cache:
            status = np.repeat(np.arange(1, 6), 5)
            change = np.tile(np.arange(1, 6), 5)
            colours = self.rules.colors(indicator, year, cut_table, status, change)
            self._cache[key] = {(int(s), int(c)): int(k) for s, c, k in zip(status, change, colours)}
        return self._cache[key]


# --------------------------------------------------------------------------------------------------- loading
def _rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


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
    results: dict[str, list[dict]]               # cds (state, LEA) -> R's indicator results
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


def load(publish_dir: Path, release: Release) -> ReportData:
    available = published_releases(publish_dir)
    if release.key not in available:
        raise ReportError(f"{release.key} is not published under {publish_dir} (published: "
                          f"{', '.join(available) or 'none'}); run `cadash build` first")
    version = Path(os.path.realpath(publish_dir / release.key))   # one version throughout, even if republished
    manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    trend_releases = _trend_releases(available, release)
    con = duckdb.connect(config={"memory_limit": REPORT_MEMORY})
    try:
        con.execute(f"attach {_quote(version / 'snapshot.duckdb')} as rel (read_only)")
        data = _load_release(con, release, manifest, version, trend_releases)
        _load_trends(con, data, publish_dir)
        _load_diff(con, data, publish_dir, available)
    finally:
        con.close()
    return data


def _load_release(con, release: Release, manifest: dict, version: Path, trend_releases: list[str]) -> ReportData:
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
    results: dict[str, list[dict]] = defaultdict(list)
    con.execute("create temp table report_entities (cds varchar)")
    con.executemany("insert into report_entities values (?)", [[c] for c in [STATE_CDS, *leas]])
    for row in _rows(con, "select f.cds, f.indicator, f.student_group, f.curr_denominator, f.curr_status, f.change, "
                          "f.status_level, f.change_level, f.color, f.box, f.is_safety_net, f.cut_table, "
                          "f.color_ineligible_reason from rel.marts.fct_indicator_results as f "
                          "join report_entities using (cds) where f.release_key = ?", [key]):
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
    return ReportData(
        release=release, manifest=manifest, version_dir=version.name, indicators=indicators, groups=groups,
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


def _load_trends(con, data: ReportData, publish_dir: Path) -> None:
    wanted = _trend_groups(data)
    con.execute("create temp table trend_wanted (cds varchar, student_group varchar)")
    con.executemany("insert into trend_wanted values (?, ?)", [[c, g] for c, gs in wanted.items() for g in gs])
    selects = []
    for key in data.trend_releases:
        if key == data.release.key:
            selects.append("select report_year, indicator, cds, student_group, curr_status, color "
                           f"from rel.marts.fct_indicator_results where release_key = '{key}'")
        else:
            parquet = Path(os.path.realpath(publish_dir / key)) / "fct_indicator_results.parquet"
            selects.append(f"select report_year, indicator, cds, student_group, curr_status, color "
                           f"from read_parquet({_quote(parquet)})")
    sql = ("select t.* from (" + " union all ".join(selects) + ") as t join trend_wanted using (cds, student_group) "
           "where t.curr_status is not null order by t.report_year")
    trends: dict[str, dict[str, dict[str, list[tuple]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for year, indicator, cds, group, status, colour in con.execute(sql).fetchall():
        trends[cds][indicator][group].append((year, status, colour or 0))
    data.trends = trends


def _load_diff(con, data: ReportData, publish_dir: Path, available: list[str]) -> None:
    """The preview -> public diff of R's report year, when both stages are published: from the later of the two
    publications (the one built when both stages were in the warehouse)."""
    year = data.release.report_year
    pair = [f"{year}-preview", f"{year}-public"]
    if not all(k in available for k in pair):
        return
    publications = VersionedDir.publications(publish_dir)
    built = {key: (publications.manifest(key) or {}).get("built_at", "") for key in pair}
    source = max(pair, key=lambda k: (built[k], k.endswith("public")))
    folder = Path(os.path.realpath(publish_dir / source))
    flips_file = folder / "fct_preview_public_determination_flips.parquet"
    changes_file = folder / "fct_preview_public_result_changes.parquet"
    if not (flips_file.is_file() and changes_file.is_file()):
        return
    data.diff_available, data.diff_source = True, source
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


# --------------------------------------------------------------------------------------------------- page model
def colourize(text) -> Markup:
    """Escape the text and show each colour word (Red ... Blue) as a chip in its Dashboard colour."""
    if text is None:
        return Markup("")
    return _colourize(str(text))


@lru_cache(maxsize=1 << 16)
def _colourize(value: str) -> Markup:
    parts, last = [], 0
    for match in _COLOUR_WORDS.finditer(value):
        parts.append(escape(value[last:match.start()]))
        word = match.group(1)
        parts.append(Markup('<span class="chip {}">{}</span>').format("col-" + word.lower(), word))
        last = match.end()
    parts.append(escape(value[last:]))
    return Markup("").join(parts)


def badge_class(status: str | None) -> str:
    if not status:
        return "badge-none"
    if status.startswith("Differentiated Assistance, Year 2"):
        return "badge-da2"
    if status.startswith("Differentiated Assistance"):
        return "badge-da"
    if status.startswith("CSI"):
        return "badge-csi"
    return {"ATSI": "badge-atsi", "TSI": "badge-tsi"}.get(status, "badge-ga")


def _unit(indicator: str) -> str:
    return "pts" if indicator in vocabulary.points_indicators() else "%"


def _fmt_status(value, indicator: str) -> str:
    if value is None:
        return "–"
    if indicator in vocabulary.points_indicators():
        return svg.format_value(value, "pts")
    return f"{value:,.1f}%"


def _fmt_change(value, indicator: str) -> str:
    if value is None:
        return "–"
    text = f"{value:+,.1f}".replace("-", "\u2212")
    return text + (" pts" if indicator in vocabulary.points_indicators() else "")


class PageModel:
    """Builds what the templates show: grids, trends, evidence, tables."""

    def __init__(self, data: ReportData, labels: Labels):
        self.data = data
        self.labels = labels
        self.year = data.release.report_year
        self.group_order = {g: r["sort_order"] for g, r in data.groups.items()}

    def group_name(self, code: str) -> str:
        return self.data.groups.get(code, {}).get("student_group_name", code)

    def direction(self, indicator: str) -> str:
        return self.data.indicators.get(indicator, {}).get("better_direction", "higher")

    def indicator_name(self, indicator: str) -> str:
        return self.data.indicators.get(indicator, {}).get("indicator_name", indicator)

    # ---------------------------------------------------------------- grids
    def grids(self, cds: str) -> list[dict]:
        by_indicator: dict[str, list[dict]] = defaultdict(list)
        for row in self.data.results.get(cds, []):
            by_indicator[row["indicator"]].append(row)
        out = []
        for indicator in vocabulary.indicators():
            rows = sorted(by_indicator.get(indicator, []), key=lambda r: self.group_order.get(r["student_group"], 999))
            if not rows:
                continue
            out.append(self._indicator_grids(indicator, rows))
        return out

    def _result_view(self, indicator: str, row: dict) -> dict:
        colour = row["color"] or 0
        return {
            "group": row["student_group"], "group_name": self.group_name(row["student_group"]),
            "n": row["curr_denominator"], "status": _fmt_status(row["curr_status"], indicator),
            "change": _fmt_change(row["change"], indicator),
            "status_level": row["status_level"] or 0, "change_level": row["change_level"] or 0,
            "status_label": self.labels.status.get((self.direction(indicator), row["status_level"] or 0), ""),
            "colour": colour, "colour_label": self.labels.colour.get(colour, ""), "box": row["box"] or 0,
            "safety_net": bool(row["is_safety_net"]), "reason": row.get("color_ineligible_reason") or "",
        }

    def _indicator_grids(self, indicator: str, rows: list[dict]) -> dict:
        reporting = self.labels.rules.reporting(indicator, self.year)
        direction = self.direction(indicator)
        views = [self._result_view(indicator, r) for r in rows]
        section = {"indicator": indicator, "name": self.indicator_name(indicator), "reporting": reporting,
                   "direction": direction, "results": views, "grids": [], "status_column": None,
                   "measure": self.data.indicators.get(indicator, {}).get("status_measure", "")}
        status_rows = [(level, self.labels.status.get((direction, level), f"level {level}"))
                       for level in range(5, 0, -1)]
        if reporting == "colour":
            by_table: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
            for row, view in zip(rows, views):
                by_table[row["cut_table"] or "*"].append((row, view))
            distinct: dict[tuple, dict] = {}
            for table, members in sorted(by_table.items()):
                colours = self.labels.grid(indicator, self.year, table)
                change = self.labels.change(indicator, self.year, table)
                signature = (tuple(sorted(colours.items())), tuple(sorted(change.items())))
                grid = distinct.setdefault(signature, {"tables": [], "colours": colours, "change": change,
                                                       "members": []})
                grid["tables"].append(table)
                grid["members"] += members
            for grid in distinct.values():
                cells = defaultdict(list)
                unplaced = []
                for _row, view in grid["members"]:
                    if view["colour"] and view["status_level"] and view["change_level"]:
                        cells[(view["status_level"], view["change_level"])].append(view)
                    else:
                        unplaced.append(view)
                table_rows = []
                for level, label in status_rows:
                    boxes = []
                    for change_level in range(1, 6):
                        colour = grid["colours"].get((level, change_level), 0)
                        boxes.append({
                            "status_level": level, "change_level": change_level,
                            "box": ((5 - level) * 5 + change_level) * 10, "colour": colour,
                            "colour_label": self.labels.colour.get(colour, "N/A"),
                            "groups": cells.get((level, change_level), []),
                        })
                    table_rows.append({"level": level, "label": label, "boxes": boxes})
                section["grids"].append({
                    "tables": [t for t in grid["tables"] if t != "*"],
                    "columns": [(c, grid["change"].get(c, f"change level {c}")) for c in range(1, 6)],
                    "rows": table_rows, "unplaced": unplaced})
        elif reporting == "status_only":
            column = []
            for level, label in status_rows:
                column.append({"level": level, "label": label,
                               "groups": [v for v in views if v["status_level"] == level]})
            section["status_column"] = {"rows": column, "unplaced": [v for v in views if not v["status_level"]]}
        section["html"] = grid_html.indicator_section(section, self.year)
        return section

    # ---------------------------------------------------------------- trends
    def trends(self, cds: str) -> list[dict]:
        out = []
        for indicator in vocabulary.indicators():
            groups = self.data.trends.get(cds, {}).get(indicator)
            if not groups:
                continue
            series = []
            for group in sorted(groups, key=lambda g: self.group_order.get(g, 999)):
                points = tuple(svg.Point(y, v, c, self.labels.colour.get(c, "")) for y, v, c in groups[group])
                series.append(svg.Series(group, self.group_name(group), points))
            unit = _unit(indicator)
            title = f"{self.indicator_name(indicator)}: status by report year"
            out.append({
                "indicator": indicator, "name": self.indicator_name(indicator),
                "direction": self.direction(indicator), "unit": unit,
                "svg": svg.trend_svg(indicator, title, unit, self.data.trend_years, series, self._colour_hex),
                "legend": [(s.group, s.name, svg.SERIES_COLOURS[i % len(svg.SERIES_COLOURS)],
                            svg.SERIES_DASHES[i % len(svg.SERIES_DASHES)]) for i, s in enumerate(series)],
                "table": [(s.name, [(p.year, svg.format_value(p.value, unit), p.colour_label) for p in s.points])
                          for s in series],
            })
        return out

    @property
    def _colour_hex(self) -> dict[int, str]:
        return {code: COLOUR_HEX[label] for code, label in self.labels.colour.items() if label in COLOUR_HEX}

    # ---------------------------------------------------------------- determinations
    def evidence(self, cds: str) -> list[dict]:
        """The met priority areas by student group: qualifying groups (two or more areas) first."""
        by_group: dict[str, list[dict]] = defaultdict(list)
        for row in self.data.da_evidence.get(cds, []):
            by_group[row["student_group"]].append(row)
        lea = self.data.leas.get(cds, {})
        qualifying = set(filter(None, (lea.get("qualifying_student_groups") or "").split(",")))
        out = []
        for group, rows in by_group.items():
            out.append({"group": group, "group_name": self.group_name(group), "qualifying": group in qualifying,
                        "areas": [{"area": r["priority_area"], "name": r["priority_name"],
                                   "criteria": r["criteria_met"] or "", "state": r["state_evidence"] or "",
                                   "local": r["local_evidence"] or "" if r["is_met_by_local_indicator"] else "",
                                   "by_state": r["is_met_by_state_indicator"],
                                   "by_local": r["is_met_by_local_indicator"]} for r in rows]})
        return sorted(out, key=lambda g: (not g["qualifying"], self.group_order.get(g["group"], 999)))

    def lea_row(self, lea: dict) -> dict:
        return {**lea, "type_label": LEA_TYPES.get(lea.get("lea_type"), lea.get("lea_type") or ""),
                "evidence": self.evidence(lea["cds"]), "badge": badge_class(lea.get("assistance_status")),
                "identified": bool(lea.get("is_eligible")) or (lea.get("assistance_status") or "").startswith(
                    "Differentiated")}

    def school_row(self, school: dict) -> dict:
        lea_cds = school.get("district_cds") or school["cds"][:7] + "0000000"
        lea = self.data.leas.get(lea_cds)
        return {**school, "badge": badge_class(school["assistance_status"]), "lea_cds": lea_cds,
                "lea_name": (lea or {}).get("lea_name") or school["district_name"] or lea_cds}


# --------------------------------------------------------------------------------------------------- rendering
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["colourize"] = colourize
    env.filters["badge_class"] = badge_class
    env.filters["thousands"] = lambda n: f"{n:,}" if n is not None else "–"
    env.filters["plural"] = lambda n, one, many=None: f"{n:,} {one if n == 1 else (many or one + 's')}"
    return env


def _state_counts(data: ReportData) -> dict:
    leas = [lea for lea in data.leas.values() if lea.get("assistance_status") is not None]
    da_status = Counter(lea["assistance_status"] for lea in leas)
    essa_status = Counter(s["assistance_status"] for s in data.schools)
    return {
        "leas": len(leas),
        "da_eligible": sum(1 for lea in leas if lea["is_eligible"]),
        "da_status": [(s, da_status.get(s, 0)) for s in vocabulary.da_statuses()
                      if da_status.get(s) or s == "General Assistance"],
        "da_transition": sorted(Counter(lea.get("transition") for lea in leas if lea.get("transition")).items()),
        "schools": len(data.schools),
        "essa_status": [(s, essa_status.get(s, 0)) for s in vocabulary.essa_statuses()],
        "essa_exits": sorted(Counter(s["exit_status"] for s in data.schools
                                     if s["exit_status"] not in (None, "NOEXIT")).items()),
        "near_miss_entities": len({(n["program"], n["cds"]) for n in data.near_misses}),
        "near_misses": len(data.near_misses),
    }


def render(data: ReportData, out: Path, log=print) -> dict[str, int]:
    labels = Labels.load()
    model = PageModel(data, labels)
    env = _environment()
    release = data.release
    common = {
        "year": release.report_year, "stage": release.stage, "release_key": release.key,
        "manifest": data.manifest, "version_dir": data.version_dir, "trend_releases": data.trend_releases,
        "colour_hex": COLOUR_HEX, "diff_available": data.diff_available, "diff_source": data.diff_source,
        "counties": data.counties,
    }
    (out / "county").mkdir(parents=True)
    (out / "lea").mkdir()
    shutil.copyfile(STYLESHEET, out / "report.css")

    schools_by_lea: dict[str, list[dict]] = defaultdict(list)
    schools_by_county: dict[str, list[dict]] = defaultdict(list)
    for s in data.schools:
        row = model.school_row(s)
        schools_by_county[s["cds"][:2]].append(row)
        schools_by_lea[row["lea_cds"]].append(row)
        if s["cds"] in data.leas and row["lea_cds"] != s["cds"]:     # a charter LEA: its own page too
            schools_by_lea[s["cds"]].append(row)
    near_by_lea: dict[str, list[dict]] = defaultdict(list)
    near_by_county: dict[str, list[dict]] = defaultdict(list)
    for n in data.near_misses:
        lea_cds = n["cds"] if n["program"] == "da" else (n["district_cds"] or n["cds"][:7] + "0000000")
        row = {**n, "lea_cds": lea_cds}
        near_by_county[n["cds"][:2]].append(row)
        near_by_lea[lea_cds].append(row)
        if n["program"] == "essa" and n["cds"] in data.leas and lea_cds != n["cds"]:
            near_by_lea[n["cds"]].append(row)
    flips_by_lea: dict[str, list[dict]] = defaultdict(list)
    flips_by_county: dict[str, list[dict]] = defaultdict(list)
    flip_rows = []
    for f in data.flips:
        lea_cds = f["cds"] if f["program"] == "da" else (f["district_cds"] or f["cds"][:7] + "0000000")
        row = {**f, "lea_cds": lea_cds, "has_lea_page": lea_cds in data.leas}
        flip_rows.append(row)
        flips_by_county[f["cds"][:2]].append(row)
        flips_by_lea[lea_cds].append(row)

    leas_by_county: dict[str, list[dict]] = defaultdict(list)
    for lea in data.leas.values():
        leas_by_county[lea["cds"][:2]].append(model.lea_row(lea))
    for rows in leas_by_county.values():
        rows.sort(key=lambda r: (not r["identified"], (r.get("lea_name") or "").lower(), r["cds"]))

    pages = {"state": 0, "county": 0, "lea": 0}
    county_rows = []
    for code in sorted(data.counties, key=lambda c: (data.counties[c].lower(), c)):
        leas = leas_by_county.get(code, [])
        schools = schools_by_county.get(code, [])
        county_rows.append({
            "code": code, "name": data.counties[code], "leas": len(leas),
            "da_identified": sum(1 for r in leas if r.get("is_eligible")),
            "essa_identified": sum(1 for s in schools if s["is_identified"]),
            "near_misses": len(near_by_county.get(code, [])), "flips": len(flips_by_county.get(code, [])),
        })
    counts = _state_counts(data)
    state_page = env.get_template("state.html.j2").render(
        **common, root="", crumbs=[("California", None)], counts=counts, county_rows=county_rows,
        grids=model.grids(STATE_CDS), trends=model.trends(STATE_CDS), flips=flip_rows,
        change_summary=_change_table(data.change_summary), changes=data.entity_changes.get(STATE_CDS, []),
        indicators=data.indicators, reconciliation=data.reconciliation)
    (out / "index.html").write_text(state_page, encoding="utf-8")
    pages["state"] += 1
    log(f"report {release.key}: state page written ({len(county_rows)} counties, {len(data.leas):,} LEAs)")

    county_template = env.get_template("county.html.j2")
    for county in county_rows:
        code = county["code"]
        schools = schools_by_county.get(code, [])
        html = county_template.render(
            **common, root="../", crumbs=[("California", "../index.html"), (f"{county['name']} County", None)],
            county=county, leas=leas_by_county.get(code, []),
            schools=[s for s in schools if s["is_identified"] or s["exit_status"] not in (None, "NOEXIT")],
            schools_total=len(schools), near_misses=near_by_county.get(code, []),
            flips=flips_by_county.get(code, []), changed_rows=data.county_change_counts.get(code, 0))
        (out / "county" / f"{code}.html").write_text(html, encoding="utf-8")
        pages["county"] += 1
    log(f"report {release.key}: {pages['county']} county pages written")

    lea_template = env.get_template("lea.html.j2")
    started = time.monotonic()
    for number, lea in enumerate(sorted(data.leas.values(), key=lambda r: r["cds"]), start=1):
        cds = lea["cds"]
        code = cds[:2]
        schools = schools_by_lea.get(cds, [])
        html = lea_template.render(
            **common, root="../",
            crumbs=[("California", "../index.html"), (f"{data.counties[code]} County", f"../county/{code}.html"),
                    (lea.get("lea_name") or cds, None)],
            lea=model.lea_row(lea), county={"code": code, "name": data.counties[code]},
            grids=model.grids(cds), trends=model.trends(cds),
            schools=[s for s in schools if s["is_identified"] or s["exit_status"] not in (None, "NOEXIT")],
            schools_total=len(schools), near_misses=near_by_lea.get(cds, []), flips=flips_by_lea.get(cds, []),
            changes=data.entity_changes.get(cds, []), school_changes=data.school_change_counts.get(cds, 0))
        (out / "lea" / f"{cds}.html").write_text(html, encoding="utf-8")
        pages["lea"] += 1
        if number % 500 == 0:
            log(f"report {release.key}: {number:,} of {len(data.leas):,} LEA pages written "
                f"({time.monotonic() - started:.1f} s)")
    log(f"report {release.key}: {pages['lea']:,} LEA pages written")
    return pages


def _change_table(summary: list[dict]) -> dict:
    """Counts of changed results by indicator (rows) and kind of change (columns)."""
    kinds = ("colour changed", "level changed", "revised", "added in public", "removed in public")
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kinds, 0))
    for row in summary:
        table[row["indicator"]][row["change_kind"]] += row["n"]
    rows = [(ind, [table[ind][k] for k in kinds]) for ind in vocabulary.indicators() if ind in table]
    totals = [sum(r[1][i] for r in rows) for i in range(len(kinds))]
    return {"kinds": kinds, "rows": rows, "totals": totals}


# --------------------------------------------------------------------------------------------------- atomic build
def _write_index(reports: VersionedDir) -> None:
    """reports/index.html: the releases that have a report."""
    html = _environment().get_template("releases.html.j2").render(
        releases=[r.key for r in reports.releases()[::-1]], latest=reports.latest())
    reports.write_file("index.html", html)


def build_report(publish_dir: Path, release: str, log=print) -> ReportResult:
    """Build the report of one published release into <publish_dir>/reports/<release>/, atomically (the folder's
    layout and switch: store.VersionedDir)."""
    started = time.monotonic()
    parsed = Release.parse(release)
    publish_dir = Path(publish_dir).resolve()
    reports = VersionedDir.reports(publish_dir)
    try:
        data = load(publish_dir, parsed)
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError(f"the report of {release} failed, the previous report is unchanged: "
                          f"{type(exc).__name__}: {exc}") from exc
    try:
        version_dir, pages = reports.replace(release, lambda staging: render(data, staging, log))
        _write_index(reports)
    except StagingFailed as exc:
        cause = exc.__cause__
        raise ReportError(f"the report of {release} failed, the previous report is unchanged: "
                          f"{type(cause).__name__}: {cause}") from cause
    except (SwitchFailed, OSError) as exc:
        raise ReportError(f"switching {reports.path(release)} to the new report failed: {exc}") from exc
    seconds = time.monotonic() - started
    total = sum(pages.values())
    log(f"report {release}: {total:,} pages ({pages['state']} state, {pages['county']} county, {pages['lea']:,} LEA) "
        f"in {seconds:.1f} s: {reports.path(release) / 'index.html'}")
    return ReportResult(release, version_dir, pages, seconds)


def build_reports(publish_dir: Path, releases: list[str] | None = None, log=print) -> list[ReportResult]:
    """The reports of the given releases (default: every published release), oldest first."""
    publish_dir = Path(publish_dir).resolve()
    keys = releases or published_releases(publish_dir)
    if not keys:
        raise ReportError(f"nothing is published under {publish_dir}; run `cadash build` first")
    return [build_report(publish_dir, key, log) for key in keys]
