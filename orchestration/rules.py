"""The Dashboard rules as data: a vectorised reader of the rule seeds in dbt_project/seeds/rules/.

The seeds are the single source of the cut points, change cuts, colour grids, n-size rules, what each indicator
reports each year, and which cut-point table applies. dbt applies them in SQL; this module applies the same rows in
numpy (the synthetic generator derives levels and colours with it), so the two can be reconciled.

Values are handled in integer tenths: CDE publishes status and change rounded to 0.1 and the cut points are tenths,
so comparing integers avoids float edge cases at a boundary (5.3 - 5.0 is not 0.3 in binary).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from orchestration.settings import DBT_PROJECT_DIR

RULES_DIR = DBT_PROJECT_DIR / "seeds" / "rules"


def to_tenths(value: float) -> int:
    return int(round(value * 10))


def _read(name: str, rules_dir: Path) -> list[dict[str, str]]:
    with (rules_dir / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _in_years(row: dict[str, str], year: int) -> bool:
    return int(row["first_year"]) <= year <= int(row["last_year"])


@dataclass(frozen=True)
class Band:
    level: int
    lo: int | None        # tenths
    lo_inclusive: bool
    hi: int | None
    hi_inclusive: bool

    def mask(self, tenths: np.ndarray) -> np.ndarray:
        ok = np.ones(tenths.shape, dtype=bool)
        if self.lo is not None:
            ok &= (tenths >= self.lo) if self.lo_inclusive else (tenths > self.lo)
        if self.hi is not None:
            ok &= (tenths <= self.hi) if self.hi_inclusive else (tenths < self.hi)
        return ok


def level_bands(rows: list[dict[str, str]], level_col: str) -> list[Band]:
    def bound(text: str) -> int | None:
        return to_tenths(float(text)) if text != "" else None

    return [
        Band(int(r[level_col]), bound(r["min_value"]), r["min_inclusive"] == "true", bound(r["max_value"]),
             r["max_inclusive"] == "true")
        for r in rows
    ]


class Rules:
    def __init__(self, rules_dir: Path = RULES_DIR):
        self.reporting_rows = _read("indicator_reporting.csv", rules_dir)
        self.status_rows = _read("status_cut_points.csv", rules_dir)
        self.change_rows = _read("change_cut_points.csv", rules_dir)
        self.grid_rows = _read("color_grids.csv", rules_dir)
        self.nsize_rows = _read("nsize_rules.csv", rules_dir)
        self.table_rows = _read("cut_table_selection.csv", rules_dir)
        self.uncoloured_rows = _read("uncoloured_student_groups.csv", rules_dir)
        self.safety_net_change_rows = _read("safety_net_change_levels.csv", rules_dir)
        # status_level_overrides.csv is applied by dbt only: it keys on flags (certifyflag, flag95pct) that the
        # generated files never set, so no generated row is overridden.

    # ------------------------------------------------------------------ what is reported
    def reporting(self, indicator: str, year: int) -> str | None:
        """'colour', 'status_only', 'no_levels', 'counts_only', or None when the indicator has no file that year."""
        hits = [r["reporting"] for r in self.reporting_rows if r["indicator"] == indicator and _in_years(r, year)]
        return hits[0] if hits else None

    def uncoloured_groups(self, indicator: str, year: int) -> set[str]:
        """Groups that get status and change levels but never a colour (seed uncoloured_student_groups)."""
        return {r["student_group"] for r in self.uncoloured_rows if r["indicator"] == indicator and _in_years(r, year)}

    def safety_net_publishes_unfolded_change(self, indicator: str, year: int) -> bool:
        """True where a safety-net row publishes the five-band change level (seed safety_net_change_levels)."""
        return any(r["published_change_level"] == "unfolded" for r in self.safety_net_change_rows
                   if r["indicator"] == indicator and _in_years(r, year))

    # ------------------------------------------------------------------ which table
    def cut_table(self, indicator: str, year: int, *, hscutpoints: str | None = None, type_code: str | None = None,
                  dass_flag: str | None = None, coe_district: bool = False) -> str:
        selectors = {"hscutpoints": hscutpoints, "type": type_code, "dass_flag": dass_flag,
                     "coe_district": "Y" if coe_district else None}
        candidates = sorted(
            (r for r in self.table_rows if r["indicator"] == indicator and _in_years(r, year)),
            key=lambda r: int(r["priority"]),
        )
        for row in candidates:
            if row["selector"] == "default" or selectors.get(row["selector"]) == row["selector_value"]:
                return row["cut_table"]
        raise KeyError(f"no cut-point table for {indicator} {year}")

    # ------------------------------------------------------------------ levels
    def _matching(self, rows, indicator: str, year: int, cut_table: str) -> list[dict[str, str]]:
        exact = [r for r in rows if r["indicator"] == indicator and r["cut_table"] == cut_table and _in_years(r, year)]
        return exact or [r for r in rows if r["indicator"] == indicator and r["cut_table"] == "*"
                         and _in_years(r, year)]

    def change_level_names(self, indicator: str, year: int, cut_table: str) -> dict[int, str]:
        """Change level -> its name (Declined Significantly ...; for chronic absenteeism and suspension Increased
        Significantly ...)."""
        return {int(r["change_level"]): r["level_name"]
                for r in self._matching(self.change_rows, indicator, year, cut_table)}

    def status_levels(self, indicator: str, year: int, cut_table: str, tenths: np.ndarray) -> np.ndarray:
        """Status level 1-5 for each value (in tenths); 0 where there are no cut points (e.g. science 2025)."""
        out = np.zeros(tenths.shape, dtype=np.int64)
        for band in level_bands(self._matching(self.status_rows, indicator, year, cut_table), "status_level"):
            out[band.mask(tenths)] = band.level
        return out

    def change_levels(self, indicator: str, year: int, cut_table: str, tenths: np.ndarray) -> np.ndarray:
        out = np.zeros(tenths.shape, dtype=np.int64)
        for band in level_bands(self._matching(self.change_rows, indicator, year, cut_table), "change_level"):
            out[band.mask(tenths)] = band.level
        return out

    def colors(self, indicator: str, year: int, cut_table: str, status_level: np.ndarray,
               change_level: np.ndarray) -> np.ndarray:
        """Colour 1-5 from the grid; 0 where a level is 0 or the cell is N/A."""
        grid = np.zeros((6, 6), dtype=np.int64)
        rows = [r for r in self.grid_rows if r["indicator"] == indicator and _in_years(r, year)]
        for row in sorted(rows, key=lambda r: r["cut_table"] != "*"):  # the table's own rows override '*'
            if row["cut_table"] not in ("*", cut_table):
                continue
            sl = int(row["status_level"])
            grid[sl, 1:] = [int(row[f"color_change_{c}"]) for c in range(1, 6)]
        return grid[status_level, change_level]

    # ------------------------------------------------------------------ n-size
    def min_n(self, rule: str, indicator: str, year: int, entity_type: str, student_group: str) -> int | None:
        """The most specific matching row wins (a named entity type or group beats '*'); None: rule does not apply."""
        row = self.nsize_row(rule, indicator, year, entity_type, student_group)
        return None if row is None else int(row["min_n"])

    def counted_on(self, rule: str, indicator: str, year: int, entity_type: str, student_group: str) -> str:
        """What the rule counts: 'denominator' (the status denominator) or 'testers' (ELPI 2017f)."""
        row = self.nsize_row(rule, indicator, year, entity_type, student_group)
        return "denominator" if row is None else row["counted_on"]

    def nsize_row(self, rule: str, indicator: str, year: int, entity_type: str,
                  student_group: str) -> dict[str, str] | None:
        best: tuple[int, dict[str, str]] | None = None
        for row in self.nsize_rows:
            if row["rule"] != rule or not _in_years(row, year):
                continue
            if row["indicator"] not in ("*", indicator):
                continue
            if row["entity_type"] not in ("*", entity_type) or row["student_group"] not in ("*", student_group):
                continue
            specificity = sum(row[c] != "*" for c in ("indicator", "entity_type", "student_group"))
            if best is None or specificity > best[0]:
                best = (specificity, row)
        return None if best is None else best[1]


@cache
def default_rules() -> Rules:
    return Rules()


def box(status_level: np.ndarray, change_level: np.ndarray, color: np.ndarray) -> np.ndarray:
    """box = ((5 - status level) x 5 + change level) x 10 where a colour was given, else 0 (§1.4.1)."""
    cell = ((5 - status_level) * 5 + change_level) * 10
    return np.where(color > 0, cell, 0)


_NEVER_MET = np.iinfo(np.int64).max


def _min_n_per_row(rules: Rules, rule: str, indicator: str, year: int, entity_type: np.ndarray,
                   student_group: np.ndarray, missing: int = _NEVER_MET) -> np.ndarray:
    """The rule's number for each row; `missing` where no row of the rule applies (a minimum that can never be met
    by default; 0 for the safety-net limit, so that no population is below it)."""
    out = np.full(entity_type.shape, missing, dtype=np.int64)
    pairs = set(zip(entity_type.tolist(), student_group.tolist()))
    for et, sg in pairs:
        value = rules.min_n(rule, indicator, year, et, sg)
        if value is not None:
            out[(entity_type == et) & (student_group == sg)] = value
    return out


def assign_levels(rules: Rules, indicator: str, year: int, *, cut_table: np.ndarray, entity_type: np.ndarray,
                  student_group: np.ndarray, curr_denom: np.ndarray, prior_denom: np.ndarray,
                  status: np.ndarray, status_known: np.ndarray, change: np.ndarray,
                  change_known: np.ndarray, curr_testers: np.ndarray | None = None,
                  prior_testers: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Status level, change level, colour, box and safety-net flag for each row, by the year's rules.

    status and change are integer tenths; *_known say where they are published. The order of the rules:
    a status level needs n >= status_level_min_n; a change level needs a published prior (n >= change_prior_min_n);
    the safety net (population under its limit, for the groups and years it applied to) folds changes 1 and 5 into
    2 and 4 for the colour and box (the published change level stays unfolded where safety_net_change_levels says
    so); uncoloured_student_groups get no colour; a colour needs the colour n-size now and in the prior year (15 for
    FOS/HOM at LEA and state level, and LTEL from 2024; counted on the annual testers where the rule says so, ELPI
    2017f)."""
    n = len(curr_denom)
    status_level_min = _min_n_per_row(rules, "status_level_min_n", indicator, year, entity_type, student_group)
    has_status_level = status_known & (curr_denom >= status_level_min)
    status_level = np.zeros(n, dtype=np.int64)
    change_level = np.zeros(n, dtype=np.int64)
    color = np.zeros(n, dtype=np.int64)
    for table in np.unique(cut_table):
        rows = cut_table == table
        status_level[rows] = rules.status_levels(indicator, year, table, status[rows])
    status_level = np.where(has_status_level, status_level, 0)
    safety_net = np.zeros(n, dtype=bool)
    unfolded_change = change_level
    if rules.reporting(indicator, year) == "colour":
        change_min = _min_n_per_row(rules, "change_prior_min_n", indicator, year, entity_type, student_group)
        has_change = change_known & (prior_denom >= change_min) & (status_level > 0)
        for table in np.unique(cut_table):
            rows = cut_table == table
            change_level[rows] = rules.change_levels(indicator, year, table, change[rows])
        change_level = np.where(has_change, change_level, 0)
        net_limit = _min_n_per_row(rules, "safety_net_below_n", indicator, year, entity_type, student_group,
                                   missing=0)
        safety_net = curr_denom < net_limit
        unfolded_change = change_level
        change_level = np.where(safety_net & (change_level > 0), np.clip(change_level, 2, 4), change_level)
        color_min = _min_n_per_row(rules, "color_min_n", indicator, year, entity_type, student_group)
        prior_min = _min_n_per_row(rules, "prior_color_min_n", indicator, year, entity_type, student_group)
        curr_count, prior_count = curr_denom, prior_denom
        if rules.counted_on("color_min_n", indicator, year, "*", "*") == "testers":  # ELPI 2017f
            curr_count = curr_denom if curr_testers is None else curr_testers
            prior_count = prior_denom if prior_testers is None else prior_testers
        eligible = (curr_count >= color_min) & (prior_count >= prior_min) & (status_level > 0) & (change_level > 0)
        eligible &= ~np.isin(student_group, list(rules.uncoloured_groups(indicator, year)))
        for table in np.unique(cut_table):
            rows = cut_table == table
            color[rows] = rules.colors(indicator, year, table, status_level[rows], change_level[rows])
        color = np.where(eligible, color, 0)
    cell = box(status_level, change_level, color)          # colour and box: the folded change level
    if rules.safety_net_publishes_unfolded_change(indicator, year):
        change_level = np.where(safety_net, unfolded_change, change_level)
    return {
        "status_level": status_level,
        "change_level": change_level,
        "color": color,
        "box": cell,
        "safety_net": safety_net,
    }
