"""The page model: what the templates show, built from ReportData (data.py) and the names in the seeds.

Labels names colours, status levels, change levels and grids (vocabulary.py and the rule seeds via rules.py);
colourize, badge_class and the value formatters turn values into text; PageModel builds each page's parts: the 5x5
grids with each student group in its box, the status trends, the DA evidence, the state's counts and change table, and
the rows each county and LEA page lists (Listings). Nothing here reads a publication (data.py) or writes a file
(render.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from markupsafe import Markup, escape

from orchestration import vocabulary
from orchestration.report import grid as grid_html
from orchestration.report import svg
from orchestration.report.data import ReportData
from orchestration.rules import Rules, default_rules

# The Dashboard colours (seed code -> label in seeds/eligibility/level_labels.csv -> this hex); report.css uses the
# same values (a test checks the CSS against this table).
COLOUR_HEX = {"Red": "#c8102e", "Orange": "#f08a24", "Yellow": "#f6d13a", "Green": "#2f7d32", "Blue": "#1f6fb2"}
# status badges (not Dashboard colours, so they are never read as a rating)
BADGE_HEX = {"da": "#4a2a7a", "da2": "#8a6fb3", "ga": "#e3e6ea", "csi": "#6b1d3a", "atsi": "#0d5c63",
             "tsi": "#5c6b73"}
LEA_TYPES = {"district": "District", "coe": "County office of education", "charter": "Charter school"}
_COLOUR_WORDS = re.compile(r"\b(Red|Orange|Yellow|Green|Blue)\b")


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
        return cls(default_rules(), vocabulary.colour_labels(), vocabulary.status_level_labels())

    def change(self, indicator: str, year: int, cut_table: str) -> dict[int, str]:
        """change level -> its name (Declined Significantly ..., for chronic absenteeism and suspension Increased
        Significantly ...), from seeds/rules/change_cut_points.csv."""
        key = ("change", indicator, year, cut_table)
        if key not in self._cache:
            self._cache[key] = self.rules.change_level_names(indicator, year, cut_table)
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


# --------------------------------------------------------------------------------------------------- formatting
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


def _lea_of(row: dict) -> str:
    """The LEA whose page lists an ESSA (school) row: the school's district (by its cds when the entity has none)."""
    return row["district_cds"] or row["cds"][:7] + "0000000"


def shown_schools(schools: list[dict]) -> list[dict]:
    """The schools a county or LEA page lists: identified, or exiting a determination."""
    return [s for s in schools if s["is_identified"] or s["exit_status"] not in (None, "NOEXIT")]


# --------------------------------------------------------------------------------------------------- listings
@dataclass
class Listings:
    """The rows the state, county and LEA pages list, grouped by the page that lists them (county code, LEA cds)."""

    counties: list[dict]                     # the state page's counties, by name, with their counts
    leas_by_county: dict[str, list[dict]]    # identified LEAs first, then by name
    schools_by_county: dict[str, list[dict]]
    schools_by_lea: dict[str, list[dict]]    # a charter LEA's school is on its district's page and its own
    near_by_county: dict[str, list[dict]]
    near_by_lea: dict[str, list[dict]]
    flips: list[dict]                        # the state page's flips
    flips_by_county: dict[str, list[dict]]
    flips_by_lea: dict[str, list[dict]]


# --------------------------------------------------------------------------------------------------- page model
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
            section["grids"] = self._colour_grids(indicator, rows, views, status_rows)
        elif reporting == "status_only":
            column = []
            for level, label in status_rows:
                column.append({"level": level, "label": label,
                               "groups": [v for v in views if v["status_level"] == level]})
            section["status_column"] = {"rows": column, "unplaced": [v for v in views if not v["status_level"]]}
        section["html"] = grid_html.indicator_section(section, self.year)
        return section

    def _colour_grids(self, indicator: str, rows: list[dict], views: list[dict],
                      status_rows: list[tuple[int, str]]) -> list[dict]:
        """One 5x5 grid per distinct grid of the cut tables the rows use (tables with the same colours and change
        names share one)."""
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
        grids = []
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
            grids.append({
                "tables": [t for t in grid["tables"] if t != "*"],
                "columns": [(c, grid["change"].get(c, f"change level {c}")) for c in range(1, 6)],
                "rows": table_rows, "unplaced": unplaced})
        return grids

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

    # ---------------------------------------------------------------- the state page's counts and tables
    def state_counts(self) -> dict:
        data = self.data
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

    def change_table(self) -> dict:
        """Counts of changed results by indicator (rows) and kind of change (columns)."""
        kinds = ("colour changed", "level changed", "revised", "added in public", "removed in public")
        table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kinds, 0))
        for row in self.data.change_summary:
            table[row["indicator"]][row["change_kind"]] += row["n"]
        rows = [(ind, [table[ind][k] for k in kinds]) for ind in vocabulary.indicators() if ind in table]
        totals = [sum(r[1][i] for r in rows) for i in range(len(kinds))]
        return {"kinds": kinds, "rows": rows, "totals": totals}

    # ---------------------------------------------------------------- listings
    def listings(self) -> Listings:
        """The schools, near misses, flips and LEAs by the county and LEA pages that list them; an ESSA row is
        listed by its school's district, a DA row by its LEA."""
        data = self.data
        schools_by_lea: dict[str, list[dict]] = defaultdict(list)
        schools_by_county: dict[str, list[dict]] = defaultdict(list)
        for s in data.schools:
            row = self.school_row(s)
            schools_by_county[s["cds"][:2]].append(row)
            schools_by_lea[row["lea_cds"]].append(row)
            if s["cds"] in data.leas and row["lea_cds"] != s["cds"]:     # a charter LEA: its own page too
                schools_by_lea[s["cds"]].append(row)
        near_by_lea: dict[str, list[dict]] = defaultdict(list)
        near_by_county: dict[str, list[dict]] = defaultdict(list)
        for n in data.near_misses:
            lea_cds = n["cds"] if n["program"] == "da" else _lea_of(n)
            row = {**n, "lea_cds": lea_cds}
            near_by_county[n["cds"][:2]].append(row)
            near_by_lea[lea_cds].append(row)
            if n["program"] == "essa" and n["cds"] in data.leas and lea_cds != n["cds"]:
                near_by_lea[n["cds"]].append(row)
        flips_by_lea: dict[str, list[dict]] = defaultdict(list)
        flips_by_county: dict[str, list[dict]] = defaultdict(list)
        flips = []
        for f in data.flips:
            lea_cds = f["cds"] if f["program"] == "da" else _lea_of(f)
            row = {**f, "lea_cds": lea_cds, "has_lea_page": lea_cds in data.leas}
            flips.append(row)
            flips_by_county[f["cds"][:2]].append(row)
            flips_by_lea[lea_cds].append(row)
        leas_by_county: dict[str, list[dict]] = defaultdict(list)
        for lea in data.leas.values():
            leas_by_county[lea["cds"][:2]].append(self.lea_row(lea))
        for rows in leas_by_county.values():
            rows.sort(key=lambda r: (not r["identified"], (r.get("lea_name") or "").lower(), r["cds"]))
        counties = []
        for code in sorted(data.counties, key=lambda c: (data.counties[c].lower(), c)):
            leas = leas_by_county.get(code, [])
            schools = schools_by_county.get(code, [])
            counties.append({
                "code": code, "name": data.counties[code], "leas": len(leas),
                "da_identified": sum(1 for r in leas if r.get("is_eligible")),
                "essa_identified": sum(1 for s in schools if s["is_identified"]),
                "near_misses": len(near_by_county.get(code, [])), "flips": len(flips_by_county.get(code, [])),
            })
        return Listings(counties, leas_by_county, schools_by_county, schools_by_lea, near_by_county, near_by_lea,
                        flips, flips_by_county, flips_by_lea)
