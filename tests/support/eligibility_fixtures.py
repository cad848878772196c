"""Small fixture releases for the eligibility tests, written in the exact research-file layouts.

A case names the colour (or, in a Status-only year, the status level) it wants for an entity, group and indicator;
the builder finds a status and change that the year's rules turn into that rating at n = 200, then applies the rules
at the case's own n, so the published levels in the files are what CDE's rules would give (the blocking
reconciliation check passes, and an n-size rule can still take the colour away, as for a charter's foster youth).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration import vocabulary
from orchestration.releases.registry import LAYOUTS
from orchestration.rules import assign_levels, default_rules
from orchestration.synth.generator import write_layout

RULES = default_rules()
SCHOOL_TYPE = {"S": "ES", "D": "UD"}  # suspension cut-point table per entity type in the fixtures


def _table(indicator: str, year: int, rtype: str, coe: bool) -> str:
    return RULES.cut_table(indicator, year, hscutpoints="N", type_code=SCHOOL_TYPE[rtype], dass_flag=None,
                           coe_district=coe and rtype == "D")


def _levels(indicator, year, table, rtype, group, n, prior_n, status, change):
    size = len(status)
    out = assign_levels(
        RULES, indicator, year, cut_table=np.full(size, table), entity_type=np.full(size, "school" if rtype == "S"
                                                                                    else "district"),
        student_group=np.full(size, group), curr_denom=np.full(size, n), prior_denom=np.full(size, prior_n),
        status=status, status_known=np.ones(size, bool), change=change, change_known=np.ones(size, bool))
    return out


@cache
def _inputs_for(indicator: str, year: int, table: str, rating: int) -> tuple[int, int]:
    """(status, change) in tenths that give `rating` (a colour, or a status level in a Status-only year) at n=200."""
    statuses = np.arange(-3000, 3001, 25) if indicator in vocabulary.points_indicators() else np.arange(0, 1001, 5)
    changes = np.arange(-600, 601, 10)
    status, change = (a.ravel() for a in np.meshgrid(statuses, changes))
    out = _levels(indicator, year, table, "S", "ALL", 200, 200, status, change)
    colour_year = RULES.reporting(indicator, year) == "colour"
    hits = np.flatnonzero((out["color"] if colour_year else out["status_level"]) == rating)
    if len(hits) == 0:
        raise ValueError(f"no inputs give rating {rating} for {indicator} {year} ({table})")
    middle = hits[len(hits) // 2]
    return int(status[middle]), int(change[middle])


def required_group_rows(layout, rows: list[dict]) -> list[dict]:
    """A real file has an ALL row (ELPI: the EL row) for every school and LEA; the raw suites check it. A case that
    sets only a student group gets one with fewer than 11 students: no status, no level, no colour, so it changes
    no determination or recomputed level. Layouts without a studentgroup column (ELPI before 2024) get none."""
    if not any(c.lower() == "studentgroup" for c in layout.columns):
        return []
    required = "EL" if layout.stem == "elpi" else "ALL"
    present = {(r["cds"], r["rtype"]) for r in rows if r["studentgroup"] == required}
    added = {}
    for row in rows:
        if (row["cds"], row["rtype"]) not in present and (row["cds"], row["rtype"]) not in added:
            added[(row["cds"], row["rtype"])] = {
                **row, "studentgroup": required, "currdenom": 5, "priordenom": 5, "currtesters": 5,
                "priortesters": 5, "currnumer": None, "priornumer": None, "currstatus": None, "priorstatus": None,
                "change": None, "statuslevel": 0, "changelevel": 0, "color": 0, "box": 0}
    return list(added.values())


class FixtureReleases:
    """Collects rows per (year, stage, stem) and writes them, the local indicators and the Title I reference."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str, str], list[dict]] = defaultdict(list)
        self.local: dict[tuple[int, str], list[tuple]] = defaultdict(list)
        self.title_i: list[tuple[int, str, str, str]] = []
        self.cohorts: list[tuple[int, str, int, int]] = []

    def result(self, year: int, cds: str, indicator: str, group: str, rating: int | None = None, *, n: int = 200,
               rtype: str | None = None, charter: bool = False, coe: bool = False, stage: str = "public",
               grad: tuple[int, int, int, int] | None = None, name: str | None = None) -> None:
        """One row of an indicator file. rating: the wanted colour (or status level in a Status-only year);
        grad: (graduates, cohort, prior graduates, prior cohort) for a graduation row given by its counts (prior
        None: no prior cohort, as in the 2022 files)."""
        rtype = rtype or ("D" if cds.endswith("0000000") else "S")
        table = _table(indicator, year, rtype, coe)
        if grad is not None:
            num, den, pnum, pden = grad
            status = round(1000 * num / den)
            prior = None if pden is None else round(1000 * pnum / pden)    # no prior cohort (the 2022 files)
            change = None if prior is None else status - prior
            n, prior_n = den, pden
        else:
            status, change = _inputs_for(indicator, year, table, rating)
            prior, prior_n, num, pnum = status - change, n, None, None
        out = _levels(indicator, year, table, rtype, group, n, prior_n or 0, np.array([status]),
                      np.array([change or 0]))
        self.rows[(year, stage, indicator)].append({
            "cds": cds, "rtype": rtype, "schoolname": (name or f"School {cds[-7:]}") if rtype == "S" else None,
            "districtname": name if rtype == "D" and name else f"District {cds[2:7]}", "countyname": "Alameda",
            "charter_flag": "Y" if charter else "N", "coe_flag": "Y" if coe else "N", "dass_flag": "N",
            "type": SCHOOL_TYPE[rtype], "studentgroup": group, "currdenom": n, "priordenom": prior_n,
            "currnumer": num, "priornumer": pnum, "currtesters": n, "priortesters": prior_n,
            "currstatus": status, "priorstatus": prior, "change": change, "hscutpoints": "N",
            "statuslevel": int(out["status_level"][0]), "changelevel": int(out["change_level"][0]),
            "color": int(out["color"][0]), "box": int(out["box"][0]),
            "safetynet": "Y" if out["safety_net"][0] else "N", "smalldenom": "Y" if out["safety_net"][0] else "N",
            "reportingyear": "2017f" if year == 2017 else str(year),
        })

    def local_indicator(self, year: int, cds: str, priority_area: int, performance: str) -> None:
        names = {1: "Basic", 2: "Academic", 3: "Parents", 6: "Climate", 7: "Access", 9: "Expelled",
                 10: "FosterYouth"}
        self.local[(year, "public")].append((cds, f"District {cds[2:7]}", "Alameda",
                                             f"{names[priority_area]}-Priority Area {priority_area}", performance))

    def cohort(self, cohort_year: int, cds: str, students: int, graduates: int) -> None:
        """A row of the optional reference input graduation_cohorts.txt (a cohort no Dashboard file carries)."""
        self.cohorts.append((cohort_year, cds, students, graduates))

    def title(self, year: int, cds: str, funded: bool) -> None:
        self.title_i.append((year, cds, f"School {cds[-7:]}", "Y" if funded else "N"))

    def write(self, raw: Path) -> Path:
        con = duckdb.connect()
        for (year, stage, stem), rows in self.rows.items():
            layout = next(lay for lay in LAYOUTS if lay.stem == stem and lay.report_year == year
                          and lay.variant in ("all", "grades_3_8"))
            frame = pd.DataFrame(rows + required_group_rows(layout, rows))
            for col in ("currnumer", "priornumer", "currstatus", "priorstatus", "change"):
                frame[col] = pd.array(frame[col], dtype="Int64")
            write_layout(con, frame, layout, raw / str(year) / stage / layout.file_names[0])
        for (year, stage), rows in self.local.items():
            layout = next(lay for lay in LAYOUTS if lay.stem == "localindperf" and lay.report_year == year)
            frame = pd.DataFrame(rows, columns=["cds", "leaname", "countyname", "localindicator", "performance"])
            write_layout(con, frame, layout, raw / str(year) / stage / layout.file_names[0])
        if self.title_i:
            ref = raw / "reference" / "title_i_status.txt"
            ref.parent.mkdir(parents=True, exist_ok=True)
            ref.write_text("report_year\tcds\tschool_name\ttitle_i\n"
                           + "".join(f"{y}\t{c}\t{n}\t{t}\n" for y, c, n, t in self.title_i), encoding="utf-8")
        if self.cohorts:
            (raw / "reference").mkdir(parents=True, exist_ok=True)
            (raw / "reference" / "graduation_cohorts.txt").write_text(
                "cohort_year\tcds\tcohort_students\tgraduates\tsource\n"
                + "".join(f"{y}\t{c}\t{n}\t{g}\tfixture\n" for y, c, n, g in self.cohorts), encoding="utf-8")
        return raw


# ----------------------------------------------------------------------------- a preview -> public season, hand-worked
RED, ORANGE, YELLOW, GREEN = 1, 2, 3, 4


def season_lea(n: int) -> str:
    return f"01{62000 + n:05d}0000000"


def preview_public_season(year: int = 2023) -> FixtureReleases:
    """A year's preview and public files that differ in a few results (integration/test_diff.py works out the flips):
    LEA 1 is DA-eligible in preview (P4 ELA Red + math Orange, P5 chronic SWD Red) but not in public (chronic
    Orange); LEA 2 becomes eligible in public (chronic Red, suspension Orange -> Red); LEA 3's SWD ELA denominator is
    revised (200 -> 210, same colour) and its WH row is dropped from public."""
    f = FixtureReleases()
    for stage in ("preview", "public"):
        f.result(year, season_lea(1), "ela", "SWD", RED, stage=stage)
        f.result(year, season_lea(1), "math", "SWD", ORANGE, stage=stage)
        f.result(year, season_lea(1), "chronic", "SWD", RED if stage == "preview" else ORANGE, stage=stage)
        f.result(year, season_lea(2), "chronic", "SWD", RED, stage=stage)
        f.result(year, season_lea(2), "susp", "SWD", ORANGE if stage == "preview" else RED, stage=stage)
        f.result(year, season_lea(3), "ela", "SWD", GREEN, n=200 if stage == "preview" else 210, stage=stage)
        if stage == "preview":
            f.result(year, season_lea(3), "ela", "WH", YELLOW, stage=stage)
    return f

