"""`cadash generate`: complete statewide synthetic Dashboard releases in CDE's exact layouts.

How values are made (all deterministic for a seed):
- every school and student group has a latent performance: the school's advantage (district, poverty), an
  indicator-specific school effect, a group-within-school effect and a year-to-year AR(1) term, so results persist
  across years; group offsets and statewide yearly levels follow published orders of magnitude;
- rates (chronic, suspension, graduation, CCI, ELPI) are binomial counts over the group's denominator, so status is
  numerator / denominator; DFS (ELA, math, science) is a mean with sampling noise shrinking with n;
- race groups partition All Students; LEA rows aggregate their (non-charter) schools, the state row every school;
- prior status is the previous published year's status of the same entity and group, change = current - prior
  (in tenths, as published), and levels, colours and boxes come from the rule seeds via orchestration.rules (a year
  reported without colours has no change level, colour or box; science 2024-2025 have a prior and change all the
  same, as the real 2024 file);
- the files' detail counts split the status counts the way the real files do: ELPI progressed / maintained /
  declined (and the Alternate ELPAC and 95 %-participation counts from 2023) add up to the numerator and the
  denominator; CCI Prepared + Approaching + Not Prepared = the cohort, each CCI measure counted among the Prepared
  (Approaching) with its percent of that count; CCI 2022 (not reported) has the cohort and measure counts only; the
  prior counts of ELPI and CCI are last year's published counts; counts are blank where the status is (n < 11);
- the preview differs from the public release the way corrections do: a small share of school rows revised.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration import settings as app_settings
from orchestration.releases.registry import COLUMN_TYPES, LAYOUTS, REPORT_YEARS, STAGES, Layout
from orchestration.rules import Rules, assign_levels, default_rules
from orchestration.synth.universe import (
    GROUP_INDEX,
    GROUPS,
    RACE_GROUPS,
    Universe,
    build_universe,
    group_counts,
    open_mask,
    rng_for,
)

SIM_YEARS = (2014, 2015, 2016, 2017, 2018, 2019, 2022, 2023, 2024, 2025)
BASE_GROUPS = ("ALL", *RACE_GROUPS, "EL", "SED", "SWD", "FOS", "HOM")
ACADEMIC_GROUPS = (*BASE_GROUPS, "ELO", "RFP", "EO")
# Group advantage in latent units (positive = better outcomes); offsets are multiples of these.
GROUP_ADVANTAGE = {"ALL": 0.0, "AS": 1.6, "FI": 1.0, "WH": 0.8, "MR": 0.5, "HI": -0.5, "AA": -0.9, "AI": -0.7,
                   "PI": -0.5, "EL": -1.0, "ELO": -1.4, "RFP": 0.3, "EO": 0.2, "SED": -0.5, "SWD": -1.7,
                   "FOS": -1.5, "HOM": -0.9, "LTEL": -1.9}
INDICATOR_CODE = {"ela": "ELA", "math": "MATH", "chronic": "CHRONIC", "susp": "SUSP", "grad": "GRAD",
                  "elpi": "ELPI", "cci": "CCI", "science": "SCIENCE"}


@dataclass(frozen=True)
class IndicatorModel:
    indicator: str
    kind: str                              # 'rate' (percent of a count) or 'dfs' (distance from standard)
    denom_share: dict[str, float]          # span -> share of the group's enrolment in the denominator
    level_by_year: dict[int, float]        # statewide percent or DFS points
    per_advantage: float                   # logit (rate) or points (dfs) per unit of advantage
    lower_is_better: bool = False
    span_offset: dict[str, float] = field(default_factory=dict)
    dass_offset: float = 0.0
    groups: tuple[str, ...] = BASE_GROUPS
    ltel_from: int | None = None           # LTEL published from this year
    dass_share: float = 0.0                # DASS schools outside the spans: share of their enrolment counted


MODELS: dict[str, IndicatorModel] = {
    "ela": IndicatorModel(
        "ela", "dfs", {"E": 0.5, "M": 0.95, "K8": 0.66, "K12": 0.5, "H": 0.24},
        {2014: -20, 2015: -19, 2016: -18, 2017: -14.1, 2018: -6.0, 2019: -2.5, 2022: -12.2, 2023: -13.6,
         2024: -13.2, 2025: -10.5}, 38.0, span_offset={"H": 22.0}, dass_offset=-40.0, groups=ACADEMIC_GROUPS,
        ltel_from=2024),
    "math": IndicatorModel(
        "math", "dfs", {"E": 0.5, "M": 0.95, "K8": 0.66, "K12": 0.5, "H": 0.24},
        {2014: -55, 2015: -54, 2016: -52, 2017: -48.3, 2018: -36.4, 2019: -33.5, 2022: -51.7, 2023: -49.1,
         2024: -47.6, 2025: -45.0}, 40.0, span_offset={"H": -45.0}, dass_offset=-45.0, groups=ACADEMIC_GROUPS,
        ltel_from=2024),
    "chronic": IndicatorModel(
        "chronic", "rate", {"E": 1.0, "M": 1.0, "K8": 1.0, "K12": 0.7},
        {2014: 10.5, 2015: 10.6, 2016: 10.7, 2017: 10.8, 2018: 11.1, 2019: 12.1, 2022: 30.0, 2023: 24.3,
         2024: 18.6, 2025: 16.5}, 0.55, lower_is_better=True, span_offset={"M": 0.1, "K12": 0.2},
        dass_offset=0.9, dass_share=0.12),  # DASS schools report chronic absence for their grades 7-8
    "susp": IndicatorModel(
        "susp", "rate", {"E": 1.06, "M": 1.06, "K8": 1.06, "K12": 1.06, "H": 1.06},
        {2014: 3.8, 2015: 3.7, 2016: 3.6, 2017: 3.5, 2018: 3.5, 2019: 3.5, 2022: 3.1, 2023: 3.5, 2024: 3.2,
         2025: 3.1}, 0.6, lower_is_better=True, span_offset={"E": -0.7, "M": 0.5, "H": 0.25, "K8": -0.2, "K12": 0.2},
        dass_offset=0.6, ltel_from=2024),
    "grad": IndicatorModel(
        "grad", "rate", {"H": 0.24, "K12": 0.08},
        {2014: 81.0, 2015: 82.0, 2016: 82.7, 2017: 82.7, 2018: 83.0, 2019: 85.9, 2022: 87.4, 2023: 86.4,
         2024: 86.4, 2025: 87.0}, 0.5, dass_offset=-1.8),
    "cci": IndicatorModel(
        "cci", "rate", {"H": 0.24, "K12": 0.08},
        {2014: 40.0, 2015: 41.0, 2016: 42.0, 2017: 42.2, 2018: 42.2, 2019: 44.1, 2022: 44.0, 2023: 43.9,
         2024: 45.3, 2025: 46.0}, 0.55, dass_offset=-1.6),
    "elpi": IndicatorModel(
        "elpi", "rate", {"E": 0.88, "M": 0.88, "K8": 0.88, "K12": 0.88, "H": 0.88},
        {2014: 69.0, 2015: 70.0, 2016: 70.0, 2017: 72.0, 2018: 48.0, 2019: 48.3, 2022: 50.3, 2023: 48.7,
         2024: 45.7, 2025: 47.0}, 0.4, groups=("EL",), ltel_from=2024),
    "science": IndicatorModel(
        "science", "dfs", {"E": 0.17, "M": 0.32, "K8": 0.22, "K12": 0.2, "H": 0.24},
        {2014: -25, 2015: -25, 2016: -25, 2017: -25, 2018: -25, 2019: -25, 2022: -25, 2023: -25, 2024: -25,
         2025: -24.0}, 30.0, dass_offset=-35.0),
}


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


@dataclass
class Panel:
    """One indicator in one year, school level (schools x GROUPS)."""

    denom: np.ndarray
    numer: np.ndarray | None     # rates only
    status: np.ndarray           # tenths (percent x 10, or DFS points x 10); meaningless where denom == 0


def simulate(universe: Universe, seed: int, model: IndicatorModel) -> dict[int, Panel]:
    """The school-level panel of one indicator for every simulated year."""
    rng = rng_for(seed, "sim", model.indicator)
    schools = universe.schools
    n, g = universe.n_schools, len(GROUPS)
    span = schools["span"].to_numpy()
    dass = schools["is_dass"].to_numpy()
    share = np.array([model.denom_share.get(s, 0.0) for s in span])
    span_off = np.array([model.span_offset.get(s, 0.0) for s in span]) + np.where(dass, model.dass_offset, 0.0)
    adv = np.array([GROUP_ADVANTAGE[x] for x in GROUPS])
    school_effect = schools["advantage"].to_numpy() + rng.normal(0, 0.35, n)
    group_effect = rng.normal(0, 0.35, (n, g))
    ar = rng.normal(0, 0.25, (n, g))
    sign = -1.0 if model.lower_is_better else 1.0
    panels: dict[int, Panel] = {}
    race = [GROUP_INDEX[x] for x in RACE_GROUPS]
    for year in SIM_YEARS:
        ar = 0.7 * ar + rng.normal(0, 0.2, (n, g))
        latent = adv[None, :] + school_effect[:, None] + group_effect + ar
        counts = group_counts(universe, seed, year)
        if model.indicator == "susp":
            denom = counts + rng.binomial(counts, 0.06)
        else:
            denom = rng.binomial(counts, np.clip(share, 0, 1)[:, None])
        # long-term English learners are English learners: a school never counts more LTEL than EL (drawn apart,
        # a school with one EL, who is an LTEL, could have an LTEL row and no EL row, which the raw ELPI suite
        # refuses: every entity has its EL row). Same draws, so no other value moves.
        denom[:, GROUP_INDEX["LTEL"]] = np.minimum(denom[:, GROUP_INDEX["LTEL"]], denom[:, GROUP_INDEX["EL"]])
        if model.kind == "rate":
            logit = _logit(model.level_by_year[year] / 100) + span_off[:, None] + sign * model.per_advantage * latent
            p = 1.0 / (1.0 + np.exp(-logit))
            numer = rng.binomial(denom, p)
            if model.dass_share:
                # DASS schools the spans leave out (chronic: grades K-8 only, DASS schools are high schools) report
                # their few lower grades; drawn from their own stream, so no other school's values move.
                extra = rng_for(seed, "sim", model.indicator, "dass", year)
                rows = dass & (share == 0)
                denom[rows] = extra.binomial(counts[rows], model.dass_share)
                numer[rows] = extra.binomial(denom[rows], p[rows])
            numer[:, GROUP_INDEX["ALL"]] = numer[:, race].sum(axis=1)
            denom[:, GROUP_INDEX["ALL"]] = denom[:, race].sum(axis=1)
            _within_all_students(denom, numer)
            status = np.rint(1000.0 * numer / np.maximum(denom, 1)).astype(np.int64)
            panels[year] = Panel(denom, numer, status)
        else:
            noise = rng.normal(0, 1, (n, g)) * 85.0 / np.sqrt(np.maximum(denom, 1))
            dfs = model.level_by_year[year] + span_off[:, None] + model.per_advantage * latent + noise
            status = np.rint(dfs * 10).astype(np.int64)
            denom[:, GROUP_INDEX["ALL"]] = denom[:, race].sum(axis=1)
            _within_all_students(denom, None)
            weighted = (status[:, race] * denom[:, race]).sum(axis=1)
            status[:, GROUP_INDEX["ALL"]] = np.rint(weighted / np.maximum(denom[:, GROUP_INDEX["ALL"]], 1))
            panels[year] = Panel(denom, None, status)
    return panels


def _within_all_students(denom: np.ndarray, numer: np.ndarray | None) -> None:
    """Every student group is part of All Students: no group counts more students than ALL (in place). The groups
    are drawn apart and ALL is the sum of the race groups, so a school of a few students could draw, say, two SED
    students and no race group: rows without their ALL row, which the raw suites refuse (seen at --scale 4 in
    chronic 2019). Same draws, so only such cells move."""
    all_students = denom[:, GROUP_INDEX["ALL"]][:, None]
    np.minimum(denom, all_students, out=denom)
    if numer is not None:
        np.minimum(numer, denom, out=numer)


def revise_for_preview(panel: Panel, seed: int, indicator: str, year: int, share: float = 0.006) -> Panel:
    """The preview before corrections: a small share of school x group cells differ from the public release."""
    rng = rng_for(seed, "preview", indicator, year)
    denom = panel.denom.copy()
    pick = (rng.random(denom.shape) < share) & (denom > 0)
    pick[:, GROUP_INDEX["ALL"]] = False
    race = [GROUP_INDEX[x] for x in RACE_GROUPS]
    if panel.numer is not None:
        numer = panel.numer.copy()
        numer = np.where(pick, np.clip(numer + rng.choice([-2, -1, 1, 2], size=numer.shape), 0, denom), numer)
        numer[:, GROUP_INDEX["ALL"]] = numer[:, race].sum(axis=1)
        status = np.rint(1000.0 * numer / np.maximum(denom, 1)).astype(np.int64)
        return Panel(denom, numer, status)
    status = np.where(pick, panel.status + rng.integers(-25, 26, size=denom.shape), panel.status)
    weighted = (status[:, race] * denom[:, race]).sum(axis=1)
    status[:, GROUP_INDEX["ALL"]] = np.rint(weighted / np.maximum(denom[:, GROUP_INDEX["ALL"]], 1))
    return Panel(denom, None, status)


# ---------------------------------------------------------------------------------------------- entity rows


@dataclass
class EntityPanel:
    """Schools, then LEAs, then the state, stacked (entities x GROUPS), for one indicator, year and stage."""

    denom: np.ndarray
    numer: np.ndarray | None
    status: np.ndarray
    present: np.ndarray          # the entity has this indicator this year


def aggregate(universe: Universe, panel: Panel, members: np.ndarray) -> EntityPanel:
    """Add LEA rows (their open non-charter schools) and a state row (every open school) below the schools."""
    schools = universe.schools
    n_d = len(universe.districts)
    district = schools["district_index"].to_numpy()
    in_district = members & ~schools["is_charter"].to_numpy()
    g = len(GROUPS)
    denom = np.where(members[:, None], panel.denom, 0)
    d_denom = np.zeros((n_d, g), dtype=np.int64)
    np.add.at(d_denom, district[in_district], denom[in_district])
    s_denom = denom.sum(axis=0, keepdims=True)
    all_denom = np.vstack([denom, d_denom, s_denom])
    if panel.numer is not None:
        numer = np.where(members[:, None], panel.numer, 0)
        d_numer = np.zeros((n_d, g), dtype=np.int64)
        np.add.at(d_numer, district[in_district], numer[in_district])
        all_numer = np.vstack([numer, d_numer, numer.sum(axis=0, keepdims=True)])
        status = np.rint(1000.0 * all_numer / np.maximum(all_denom, 1)).astype(np.int64)
    else:
        all_numer = None
        weighted = panel.status * denom
        d_sum = np.zeros((n_d, g), dtype=np.int64)
        np.add.at(d_sum, district[in_district], weighted[in_district])
        sums = np.vstack([weighted, d_sum, weighted.sum(axis=0, keepdims=True)])
        status = np.rint(sums / np.maximum(all_denom, 1)).astype(np.int64)
        status[: len(schools)] = panel.status
    d_present = np.zeros(n_d, dtype=bool)
    d_present[district[in_district]] = True
    present = np.concatenate([members, d_present, [members.any()]])
    return EntityPanel(all_denom, all_numer, status, present)


def entity_attributes(universe: Universe) -> pd.DataFrame:
    s, d = universe.schools, universe.districts
    schools = pd.DataFrame({
        "cds": s["cds"], "rtype": "S", "schoolname": s["school_name"], "districtname": s["district_name"],
        "countyname": s["county_name"], "charter_flag": np.where(s["is_charter"], "Y", None),
        "coe_flag": np.where(d["is_coe"].to_numpy()[s["district_index"]], "Y", None),
        "dass_flag": np.where(s["is_dass"], "Y", None), "type": s["susp_type"], "entity_type": "school",
        "span": s["span"], "is_hs": s["span"].eq("H").to_numpy(), "coe_district": False,
    })
    leas = pd.DataFrame({
        "cds": d["cds"], "rtype": "D", "schoolname": None, "districtname": d["name"], "countyname": d["county_name"],
        "charter_flag": None, "coe_flag": np.where(d["is_coe"], "Y", None), "dass_flag": None,
        "type": d["susp_type"], "entity_type": "district", "span": None, "is_hs": d["kind"].eq("HD").to_numpy(),
        "coe_district": d["is_coe"].to_numpy(),
    })
    state = pd.DataFrame([{
        "cds": "00000000000000", "rtype": "X", "schoolname": None, "districtname": None, "countyname": None,
        "charter_flag": None, "coe_flag": None, "dass_flag": None, "type": None, "entity_type": "state",
        "span": None, "is_hs": False, "coe_district": False,
    }])
    return pd.concat([schools, leas, state], ignore_index=True)


def _groups_for(model: IndicatorModel, year: int) -> tuple[str, ...]:
    groups = model.groups
    if model.ltel_from is not None and year >= model.ltel_from:
        groups = (*groups, "LTEL")
    return groups


def _cut_tables(rules: Rules, indicator: str, year: int, attrs: pd.DataFrame, hs: np.ndarray) -> np.ndarray:
    cache: dict[tuple, str] = {}
    out = []
    for type_code, dass, coe, is_hs in zip(attrs["type"], attrs["dass_flag"], attrs["coe_district"], hs):
        key = (type_code, dass, coe, bool(is_hs))
        if key not in cache:
            cache[key] = rules.cut_table(indicator, year, hscutpoints="Y" if is_hs else "N", type_code=type_code,
                                         dass_flag=dass, coe_district=bool(coe))
        out.append(cache[key])
    return np.array(out)


def indicator_rows(rules: Rules, model: IndicatorModel, year: int, current: EntityPanel,
                   prior: EntityPanel | None, attrs: pd.DataFrame, *,
                   hs_flags: bool = True) -> pd.DataFrame:
    """The long table of one indicator file: one row per present entity and published group."""
    groups = _groups_for(model, year)
    gidx = np.array([GROUP_INDEX[x] for x in groups])
    n_e = len(attrs)
    ent = np.repeat(np.arange(n_e), len(gidx))
    grp = np.tile(gidx, n_e)
    denom = current.denom[ent, grp]
    keep = current.present[ent] & (denom > 0)
    ent, grp, denom = ent[keep], grp[keep], denom[keep]
    status = current.status[ent, grp]
    # a status is published from this n (seed nsize_rules: status_min_n, the same for every entity and group)
    status_min = rules.min_n("status_min_n", model.indicator, year, "school", "ALL")
    status_known = denom >= status_min
    if prior is not None:
        p_denom = prior.denom[ent, grp] * prior.present[ent]
        p_status = prior.status[ent, grp]
        p_known = p_denom >= status_min
    else:
        p_denom = np.zeros_like(denom)
        p_status = np.zeros_like(status)
        p_known = np.zeros_like(status_known)
    change = status - p_status
    change_known = status_known & p_known
    a = attrs.iloc[ent].reset_index(drop=True)
    group_codes = np.array(GROUPS)[grp]
    entity_hs = attrs["is_hs"].to_numpy() & hs_flags
    is_hs = entity_hs[ent]
    tables = _cut_tables(rules, model.indicator, year, attrs, entity_hs)[ent]
    levels = assign_levels(
        rules, model.indicator, year, cut_table=tables, entity_type=a["entity_type"].to_numpy(),
        student_group=group_codes, curr_denom=denom, prior_denom=p_denom, status=status, status_known=status_known,
        change=change, change_known=change_known)
    frame = a.drop(columns=["entity_type", "span", "is_hs", "coe_district"])
    frame["studentgroup"] = group_codes
    frame["currdenom"] = denom
    frame["currstatus"] = pd.array(np.where(status_known, status, 0), dtype="Int64")
    frame.loc[~status_known, "currstatus"] = pd.NA
    if current.numer is not None:
        numer = current.numer[ent, grp]
        frame["currnumer"] = pd.array(numer, dtype="Int64")
        frame.loc[~status_known, "currnumer"] = pd.NA
    frame["priordenom"] = pd.array(p_denom, dtype="Int64")
    frame.loc[p_denom == 0, "priordenom"] = pd.NA
    frame["priorstatus"] = pd.array(p_status, dtype="Int64")
    frame.loc[~p_known, "priorstatus"] = pd.NA
    if prior is not None and prior.numer is not None:
        frame["priornumer"] = pd.array(prior.numer[ent, grp], dtype="Int64")
        frame.loc[~p_known, "priornumer"] = pd.NA
    frame["change"] = pd.array(change, dtype="Int64")
    frame.loc[~change_known, "change"] = pd.NA
    frame["statuslevel"] = levels["status_level"]
    if rules.reporting(model.indicator, year) == "colour":
        frame["changelevel"] = levels["change_level"]
        frame["color"] = levels["color"]
        frame["box"] = levels["box"]
    else:  # no change level, colour or box that year: blank where the layout has the columns (science 2025)
        for col in ("changelevel", "color", "box"):
            frame[col] = pd.array([pd.NA] * len(frame), dtype="Int64")
    yes_no = np.where(levels["safety_net"], "Y", "N")
    frame["safetynet"] = yes_no
    frame["smalldenom"] = yes_no
    frame["currnsizemet"] = np.where(denom >= 30, "Y", "N")
    frame["priornsizemet"] = np.where(p_denom >= 30, "Y", "N")
    frame["accountabilitymet"] = np.where(levels["color"] > 0, "Y", "N")
    frame["hscutpoints"] = np.where(is_hs, "Y", "N")
    frame["indicator"] = INDICATOR_CODE[model.indicator]
    frame["reportingyear"] = "2017f" if year == 2017 else str(year)
    return frame


# ---------------------------------------------------------------------------------------------- releases

PRIOR_YEAR = {2017: 2016, 2018: 2017, 2019: 2018, 2023: 2022, 2024: 2023, 2025: 2024}

# CCI: share of the Prepared (resp. Approaching Prepared) count meeting each measure for All Students, and its logit
# slope per unit of group advantage (measures overlap: a student can meet several). From the real state rows:
# 2019 (AA: summative 41.7 %, AP 18.8 %, a-g plus 80.4 %, ...) and 2024 (ALL: AP 35.3 %, a-g plus 82.9 %, ...); the
# Fall 2017 letter measures from the real ccidownload2017f.txt district rows. Measures ending in _dass are larger at
# DASS schools. A measure not listed here gets a small share.
CCI_PREP_MEASURES = {
    "summative": (0.46, 0.25), "apexam": (0.30, 0.9), "ibexam": (0.015, 0.3), "collegecredit": (0.20, -0.1),
    "agplus": (0.82, 0.3), "cteplus": (0.22, 0.0), "ssb": (0.17, 0.0), "milsci": (0.008, -0.3),
    "reg_pre": (0.003, 0.0), "non_reg_pre": (0.002, 0.0), "non_reg_pre_dass": (0.001, 0.0),
    "statefedjobs_dass": (0.002, 0.0), "trans_classwk": (0.001, 0.0),
    "a": (0.196, 0.0), "b": (0.603, 0.3), "c": (0.004, 0.0), "d": (0.364, 0.0), "e": (0.861, 0.3),
}
CCI_APREP_MEASURES = {
    "summative": (0.28, 0.0), "collegecredit": (0.09, 0.0), "ag": (0.45, 0.2), "cte": (0.26, -0.2),
    "milsci": (0.02, -0.3), "non_reg_pre": (0.002, 0.0), "statefedjobs_dass": (0.002, 0.0),
    "trans_classwk": (0.011, 0.0),
    "a": (0.361, 0.0), "b": (0.426, 0.0), "c": (0.0013, 0.0), "d": (0.314, 0.0),
}
# CCI 2022 (not reported: cohort and measure counts only): each measure's share of the cohort in the real state ALL
# row, and how strongly it follows the group's simulated Prepared rate (share x (rate / state rate) ** elasticity).
CCI_2022_MEASURES = {
    "ap": (0.139, 1.3), "ib": (0.008, 1.0), "ag": (0.436, 0.9), "cte": (0.166, 0.2), "one_college_course": (0.136, 0.8),
    "one_milsci_course": (0.019, 0.0), "non_reg_pre": (0.001, 0.0), "reg_pre": (0.002, 0.0),
    "statefedjobs": (0.0003, 0.0), "ssb": (0.100, 0.5), "tcbwe": (0.0018, 0.0), "twbe": (0.0014, 0.0),
}
# Measures that are subsets of another: (measure, of, share of it).
CCI_2022_NESTED = (("ag_cte", "ag", 0.225), ("two_college_course", "one_college_course", 0.60),
                   ("two_milsci_course", "one_milsci_course", 0.48), ("tcbwe_and_twbe", "tcbwe", 0.57))
ELPI_COUNTS = ("progressed", "maintainpl4", "maintainoth", "declined", "progressed_alternate",
               "maintainpl3_alternate", "notprognotmain_alternate", "95")
CAA_LEVEL_SHARES = (0.33, 0.46, 0.21)  # CAA levels 1-3, from the real ela11download2017f.txt


def _masked(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    """Integer counts with blanks (pd.NA) where not known."""
    known = np.asarray(known, dtype=bool)
    return pd.arrays.IntegerArray(np.where(known, values, 0).astype(np.int64), ~known)


def _tenths_of(count: np.ndarray, base: np.ndarray) -> np.ndarray:
    """count as a percent of base, in tenths (0 where base is 0)."""
    return np.rint(1000.0 * count / np.maximum(base, 1)).astype(np.int64)


def _nsize_group(n: np.ndarray) -> np.ndarray:
    return np.select([n < 11, n < 30], ["0 to 10", "11 to 29"], "30 and Up")


def _lookup(prev: pd.DataFrame | None, frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, tuple]:
    """Last year's published values of the same entity and group: column -> (found, values)."""
    out = {}
    if prev is not None and prev.empty:
        prev = None
    if prev is None:
        pos = np.full(len(frame), -1)
    else:
        index = pd.MultiIndex.from_arrays([prev["cds"], prev["studentgroup"]])
        pos = index.get_indexer(pd.MultiIndex.from_arrays([frame["cds"], frame["studentgroup"]]))
    for col in columns:
        if prev is None or col not in prev.columns:
            out[col] = (np.zeros(len(frame), dtype=bool), np.zeros(len(frame), dtype=np.int64))
            continue
        values = pd.array(prev[col], dtype="Int64")[np.maximum(pos, 0)]
        found = (pos >= 0) & ~np.asarray(values.isna())
        out[col] = (found, np.asarray(values.fillna(0), dtype=np.int64))
    return out


def _cci_measure_names(layout: Layout, prefix: str) -> dict[str, list[str]]:
    """The CCI measures a layout publishes for the current ('curr') or prior cohort, in header order."""
    names: dict[str, list[str]] = {"prep": [], "aprep": []}
    for col in layout.raw_columns:
        for kind, found in names.items():
            head = f"{prefix}_{kind}_"
            if col.startswith(head) and not col.endswith("_pct"):
                found.append(col[len(head):])
    return names


def _cci_measures(rng: np.random.Generator, kind: str, names: Iterable[str], base: np.ndarray, adv: np.ndarray,
                  dass: np.ndarray) -> dict[str, np.ndarray]:
    """Each measure's count among `base` (the Prepared or the Approaching Prepared of each row); a row's own
    variation shrinks with its size, so LEA and state shares stay close to the table from year to year."""
    table = CCI_PREP_MEASURES if kind == "prep" else CCI_APREP_MEASURES
    spread = 0.35 / np.sqrt(1.0 + base / 50.0)
    out = {}
    for name in names:
        share, slope = table.get(name, (0.005, 0.0))
        share = np.where(dass & name.endswith("_dass"), min(10 * share, 0.5), share)
        logit = np.log(share / (1 - share)) + slope * adv + spread * rng.standard_normal(len(base))
        out[name] = rng.binomial(base, 1.0 / (1.0 + np.exp(-logit)))
    return out


class ReleaseBuilder:
    """Builds every file of a release from one universe and one seed; caches public panels used as priors."""

    def __init__(self, seed: int, scale: float, rules: Rules | None = None):
        self.seed, self.scale = seed, scale
        self.rules = rules or default_rules()
        self.universe = build_universe(seed, scale)
        self.attrs = entity_attributes(self.universe)
        self._panels: dict[str, dict[int, Panel]] = {}
        self._public: dict[tuple, EntityPanel] = {}
        self._frames: dict[str, pd.DataFrame] = {}          # public ELPI and CCI frames: next year's prior counts
        self._participation: dict[tuple, EntityPanel] = {}

    def panels(self, indicator: str) -> dict[int, Panel]:
        if indicator not in self._panels:
            self._panels[indicator] = simulate(self.universe, self.seed, MODELS[indicator])
        return self._panels[indicator]

    def members(self, indicator: str, year: int, spans: Iterable[str] | None = None) -> np.ndarray:
        model = MODELS[indicator]
        span = self.universe.schools["span"].to_numpy()
        has = np.array([model.denom_share.get(x, 0.0) > 0 for x in span])
        if model.dass_share:
            has |= self.universe.schools["is_dass"].to_numpy()
        if spans is not None:
            has &= np.isin(span, list(spans))
        return open_mask(self.universe, year) & has

    def entity_panel(self, indicator: str, year: int, stage: str, spans: tuple[str, ...] | None = None) -> EntityPanel:
        key = (indicator, year, stage, spans)
        if stage == "public" and key in self._public:
            return self._public[key]
        panel = self.panels(indicator)[year]
        if stage == "preview":
            panel = revise_for_preview(panel, self.seed, indicator, year)
        result = aggregate(self.universe, panel, self.members(indicator, year, spans))
        if stage == "public":
            self._public[key] = result
        return result

    def prior_panel(self, indicator: str, year: int, spans: tuple[str, ...] | None = None) -> EntityPanel | None:
        """The previous published year's panel (None for a year without one)."""
        if year not in PRIOR_YEAR:
            return None
        if indicator == "grad" and year == 2017:  # Fall 2017: change against the average of the three prior years
            pooled = [self.entity_panel("grad", y, "public", spans) for y in (2014, 2015, 2016)]
            denom = sum(p.denom for p in pooled)
            numer = sum(p.numer for p in pooled)
            status = np.rint(1000.0 * numer / np.maximum(denom, 1)).astype(np.int64)
            return EntityPanel(denom, numer, status, np.logical_or.reduce([p.present for p in pooled]))
        return self.entity_panel(indicator, PRIOR_YEAR[year], "public", spans)

    def participation_panel(self, indicator: str, year: int) -> EntityPanel:
        """Students enrolled for a test (participation), schools to state: the tested (the status denominator) plus
        the untested, at a participation rate around 95.5 % (small groups often all tested); LEA and state rows add
        up their schools."""
        key = (indicator, year)
        if key not in self._participation:
            panel = self.panels(indicator)[year]
            rng = rng_for(self.seed, "prate", indicator, year)
            rate = np.clip(rng.normal(0.955, 0.015, panel.denom.shape), 0.85, 0.995)
            enrolled = panel.denom + rng.binomial(panel.denom, (1.0 - rate) / rate)
            enrolled[:, GROUP_INDEX["ALL"]] = enrolled[:, [GROUP_INDEX[x] for x in RACE_GROUPS]].sum(axis=1)
            self._participation[key] = aggregate(self.universe, Panel(enrolled, enrolled, np.zeros_like(enrolled)),
                                                 self.members(indicator, year))
        return self._participation[key]

    # ------------------------------------------------------------------ one file per layout
    def frame(self, layout: Layout, stage: str) -> pd.DataFrame:
        year, stem = layout.report_year, layout.stem
        if stage == "public" and layout.key in self._frames:
            return self._frames[layout.key]
        if stem == "censusenrollrates":
            return self.census_frame(year)
        if stem == "localindperf":
            return self.local_indicator_frame(year)
        model = MODELS[stem]
        spans, hs_flags = None, True
        if year == 2017 and stem in ("ela", "math"):
            # Fall 2017: grades 3-8 and grade 11 were separate files; grade 11 had no levels.
            spans = ("H",) if layout.variant == "grade_11" else ("E", "M", "K8", "K12")
            hs_flags = False
        current = self.entity_panel(stem, year, stage, spans)
        reporting = self.rules.reporting(stem, year)
        if reporting == "counts_only":
            if stem == "elpi":
                return self.elpac_levels_frame(current, year)
            if stem == "cci":
                frame = self.cci_counts_frame(current, year)
                if stage == "public":
                    self._frames[layout.key] = frame
                return frame
            raise ValueError(f"no counts-only frame for {stem} {year}")
        # a prior where the year is coloured, or where the file publishes a prior status without levels (science)
        prior = (self.prior_panel(stem, year, spans)
                 if reporting == "colour" or "priorstatus" in layout.raw_columns else None)
        frame = indicator_rows(self.rules, model, year, current, prior, self.attrs, hs_flags=hs_flags)
        if year == 2017:
            frame = frame[frame["rtype"] != "X"].reset_index(drop=True)  # the Fall 2017 files have no state row
        frame = self.add_stem_columns(frame, layout)
        if stage == "public" and stem in ("elpi", "cci"):
            self._frames[layout.key] = frame
        return frame

    def _prior_frame(self, stem: str, year: int) -> pd.DataFrame | None:
        """Last published year's public frame of the stem (its counts are this year's prior counts)."""
        prev = PRIOR_YEAR.get(year)
        layout = next((lay for lay in LAYOUTS if lay.stem == stem and lay.report_year == prev), None)
        return None if layout is None else self.frame(layout, "public")

    def add_stem_columns(self, frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
        stem, year = layout.stem, layout.report_year
        denom = frame["currdenom"].to_numpy()
        rng = rng_for(self.seed, "extras", stem, year)
        columns = set(layout.raw_columns)
        if stem in ("ela", "math"):
            swd = frame["studentgroup"].eq("SWD").to_numpy()
            frame["currdenom_swd"] = pd.array(np.where(swd, np.rint(denom * 0.9), 0), dtype="Int64")
            frame.loc[~swd, "currdenom_swd"] = pd.NA
            frame["priordenom_swd"] = frame["currdenom_swd"]
            enrolled = np.ceil(denom / 0.97).astype(np.int64)
            frame["currprate_enrolled"] = enrolled
            frame["currprate_tested"] = denom
            frame["currprate"] = np.rint(1000.0 * denom / np.maximum(enrolled, 1)).astype(np.int64)
            frame["currnumprloss"] = 0
            frame["currdenom_withoutprloss"] = denom
            frame["currstatus_withoutprloss"] = frame["currstatus"]
            if "priorprate_enrolled" in columns:
                # the prior year's participation, made as that year's current participation was
                has = frame["priordenom"].notna().to_numpy()
                p_denom = frame["priordenom"].fillna(0).to_numpy().astype(np.int64)
                p_enrolled = np.ceil(p_denom / 0.97).astype(np.int64)
                frame["priorprate_enrolled"] = _masked(p_enrolled, has)
                frame["priorprate_tested"] = _masked(p_denom, has)
                frame["priorprate"] = _masked(_tenths_of(p_denom, p_enrolled), has)
                frame["priornumprloss"] = _masked(np.zeros_like(p_denom), has)
                frame["priordenom_withoutprloss"] = frame["priordenom"]
                frame["priorstatus_withoutprloss"] = frame["priorstatus"]
            if "caa_denom" in columns:
                self._add_caa(frame, layout)
        elif stem == "science":
            self._add_participation(frame, "science", year)
        elif stem == "grad":
            if year == 2017:
                self._add_grad_2017_priors(frame)
            if "fiveyrnumer" in columns:
                # five-year graduates, counted in the numerator: a few percent of it, more at DASS schools
                known = frame["currnumer"].notna().to_numpy()
                numer = frame["currnumer"].fillna(0).to_numpy().astype(np.int64)
                p = np.where(frame["dass_flag"].eq("Y").to_numpy(), 0.10, 0.03)
                five = rng_for(self.seed, "extras", stem, year, "fiveyr").binomial(numer, p)
                frame["fiveyrnumer"] = _masked(five, known)
        elif stem == "elpi":
            self._add_elpi_counts(frame, layout, rng)
        elif stem == "cci":
            self._add_cci_counts(frame, layout, rng)
        elif stem == "chronic":
            frame["dataerrorflag"] = None
        return frame

    def _add_grad_2017_priors(self, frame: pd.DataFrame) -> None:
        frame["cal_method"] = np.where(frame["priorstatus"].isna(), "N/A", "3yr")
        idx = self._entity_index(frame)
        grp = frame["studentgroup"].map(GROUP_INDEX).to_numpy()
        for k, y in ((1, 2016), (2, 2015), (3, 2014)):
            p = self.entity_panel("grad", y, "public")
            d, nmr = p.denom[idx, grp] * p.present[idx], p.numer[idx, grp]
            frame[f"prioryear{k}_denom"] = pd.array(np.where(d > 0, d, 0), dtype="Int64")
            frame.loc[d == 0, f"prioryear{k}_denom"] = pd.NA
            frame[f"prioryear{k}_numer"] = pd.array(nmr, dtype="Int64")
            frame[f"prioryear{k}_status"] = pd.array(np.rint(1000.0 * nmr / np.maximum(d, 1)), dtype="Int64")
            frame.loc[d < 11, [f"prioryear{k}_numer", f"prioryear{k}_status"]] = pd.NA

    def _add_participation(self, frame: pd.DataFrame, indicator: str, year: int) -> None:
        """Science: students enrolled and tested and the participation rate (a whole percent), now and prior."""
        ent = self._entity_index(frame)
        grp = frame["studentgroup"].map(GROUP_INDEX).to_numpy()
        tested = frame["currdenom"].to_numpy()
        enrolled = self.participation_panel(indicator, year).denom[ent, grp]
        frame["currprate_enrolled"] = enrolled
        frame["currprate_tested"] = tested
        frame["currprate"] = 10 * np.rint(100.0 * tested / np.maximum(enrolled, 1)).astype(np.int64)
        if year in PRIOR_YEAR:
            has = frame["priordenom"].notna().to_numpy()
            p_tested = frame["priordenom"].fillna(0).to_numpy().astype(np.int64)
            p_enrolled = self.participation_panel(indicator, PRIOR_YEAR[year]).denom[ent, grp]
            frame["priorprate_enrolled"] = _masked(p_enrolled, has)
            frame["priorprate_tested"] = _masked(p_tested, has)
            frame["priorprate"] = _masked(10 * np.rint(100.0 * p_tested / np.maximum(p_enrolled, 1)), has)

    def _add_caa(self, frame: pd.DataFrame, layout: Layout) -> None:
        """CAA (alternate assessment) takers, All Students rows only: ~0.9 % of the tested at each school, LEA rows
        adding up their non-charter schools and the state row every school; levels 1-3 from 11 takers."""
        rng = rng_for(self.seed, "extras", layout.stem, layout.report_year, "caa", layout.variant[:8])
        all_rows = frame["studentgroup"].eq("ALL").to_numpy()
        rtype = frame["rtype"].to_numpy()
        school = all_rows & (rtype == "S")
        caa = np.zeros(len(frame), dtype=np.int64)
        caa[school] = rng.binomial(frame["currdenom"].to_numpy()[school], 0.009)
        lea = frame["cds"].str[:7].to_numpy()
        in_lea = school & ~frame["charter_flag"].eq("Y").to_numpy()
        sums = pd.Series(caa[in_lea]).groupby(lea[in_lea]).sum()
        district = all_rows & (rtype == "D")
        caa[district] = sums.reindex(lea[district]).fillna(0).to_numpy().astype(np.int64)
        caa[all_rows & (rtype == "X")] = caa[school].sum()
        levels = rng.multinomial(caa, CAA_LEVEL_SHARES)
        frame["caa_denom"] = _masked(caa, all_rows)
        has_levels = all_rows & (caa >= 11)
        for k in range(3):
            frame[f"caa_level{k + 1}_num"] = _masked(levels[:, k], has_levels)
            frame[f"caa_level{k + 1}_pct"] = _masked(_tenths_of(levels[:, k], caa), has_levels)

    # ------------------------------------------------------------------ ELPI
    def _add_elpi_counts(self, frame: pd.DataFrame, layout: Layout, rng: np.random.Generator) -> None:
        """ELPI counts. numerator = progressed + maintained PL4 (+ the Alternate ELPAC progressed and maintained PL3,
        2023+); denominator = those + maintained other + declined (+ Alternate neither, + the students counted to
        make up 95 % participation, 2023+), as in the real files; counts blank where the status is (n < 11)."""
        year = layout.report_year
        columns = set(layout.raw_columns)
        denom = frame["currdenom"].to_numpy()
        known = frame["currnumer"].notna().to_numpy()
        numer = frame["currnumer"].fillna(0).to_numpy().astype(np.int64)
        state = frame["rtype"].eq("X").to_numpy()
        progressed = rng.binomial(numer, 0.85)
        declined = rng.binomial(denom - numer, 0.4)
        counts = {"progressed": progressed, "maintainpl4": numer - progressed, "maintainoth": denom - numer - declined,
                  "declined": declined}
        advanced = rng.binomial(numer, 0.6)
        self._carve_alternates(counts, rng_for(self.seed, "extras", "elpi", year, "alt"), state,
                               alternate="currprogressed_alternate" in columns, short=("curr95" in columns))
        for name, values in counts.items():
            frame[f"curr{name}"] = _masked(values, known)
        if "pctcurrprogressed" in columns:
            for name in ("progressed", "maintainpl4", "maintainoth", "declined"):
                frame[f"pctcurr{name}"] = _masked(_tenths_of(counts[name], denom), known)
        # ELPI 2017f counts its colour n-size on annual testers (seed nsize_rules); the generator's testers are
        # the status denominators, so levels derived from denominators hold for either count. Hence no RFEPs
        # (testers + RFEPs = denominator in the real file): currrfeps and priorrfeps stay blank.
        frame["currtesters"] = denom
        frame["priortesters"] = frame["priordenom"]
        frame["curradvanced"] = _masked(advanced, known)
        frame["currmaintained"] = _masked(numer - advanced, known)
        frame["nsize_met"] = np.where(denom >= 30, "Y", "N")
        p_denom = frame["priordenom"].fillna(0).to_numpy().astype(np.int64)
        frame["currnsizegroup"] = _nsize_group(denom)
        frame["priornsizegroup"] = _nsize_group(p_denom)
        if year == 2017:
            frame["studentgroup"] = "EL"
            p_known = frame["priornumer"].notna().to_numpy()
            p_numer = frame["priornumer"].fillna(0).to_numpy().astype(np.int64)
            extra = rng_for(self.seed, "extras", "elpi", year, "prior")
            p_advanced = extra.binomial(p_numer, 0.6)
            frame["prioradvanced"] = _masked(p_advanced, p_known)
            frame["priormaintained"] = _masked(p_numer - p_advanced, p_known)
            ltel = rng_for(self.seed, "extras", "elpi", year, "ltel")
            frame["currltels"] = _masked(ltel.binomial(denom, 0.07), known)
            frame["priorltels"] = _masked(ltel.binomial(p_denom, 0.07), p_known)
        if "priorprogressed" in columns:
            self._add_elpi_prior_counts(frame, layout)

    @staticmethod
    def _carve_alternates(counts: dict[str, np.ndarray], rng: np.random.Generator, state: np.ndarray, *,
                          alternate: bool, short: bool) -> None:
        """Alternate ELPAC takers (~1.4 % of the denominator) and the students added for 95 % participation (some
        schools and LEAs, never the state) taken out of the counts they belong with, so the sums still hold."""
        if alternate:
            # Alternate ELPAC takers cluster in a few schools' programmes: a per-row multiplier of mean 1 that is
            # near 0 for most small rows and near 1 for large ones (LEAs, the state)
            size = sum(counts.values())
            shape = 0.15 + size / 300.0
            cluster = rng.gamma(shape, 1.0 / shape)
            prog_alt = rng.binomial(counts["progressed"], np.clip(0.009 * cluster, 0.0, 0.5))
            pl3_alt = rng.binomial(counts["progressed"] - prog_alt, np.clip(0.003 * cluster, 0.0, 0.5))
            counts["progressed"] = counts["progressed"] - prog_alt - pl3_alt
            neither = rng.binomial(counts["maintainoth"], np.clip(0.022 * cluster, 0.0, 0.5))
            counts["maintainoth"] = counts["maintainoth"] - neither
            counts.update(progressed_alternate=prog_alt, maintainpl3_alternate=pl3_alt,
                          notprognotmain_alternate=neither)
        if short:
            below = (rng.random(len(state)) < 0.2) & ~state
            added = np.where(below, rng.binomial(counts["maintainoth"], 0.15), 0)
            counts["maintainoth"] = counts["maintainoth"] - added
            counts["95"] = added

    def _add_elpi_prior_counts(self, frame: pd.DataFrame, layout: Layout) -> None:
        """Prior counts: last year's published counts of the entity and group (0 for a count last year's file did
        not have); where last year's file has no such row (LTEL before 2024, say), drawn as current ones are."""
        year = layout.report_year
        columns = set(layout.raw_columns)
        p_known = frame["priornumer"].notna().to_numpy()
        p_numer = frame["priornumer"].fillna(0).to_numpy().astype(np.int64)
        p_denom = frame["priordenom"].fillna(0).to_numpy().astype(np.int64)
        state = frame["rtype"].eq("X").to_numpy()
        rng = rng_for(self.seed, "extras", "elpi", year, "prior")
        progressed = rng.binomial(p_numer, 0.85)
        declined = rng.binomial(p_denom - p_numer, 0.4)
        fresh = {"progressed": progressed, "maintainpl4": p_numer - progressed,
                 "maintainoth": p_denom - p_numer - declined, "declined": declined}
        alternate, short = "priorprogressed_alternate" in columns, "prior95" in columns
        self._carve_alternates(fresh, rng_for(self.seed, "extras", "elpi", year, "prioralt"), state,
                               alternate=alternate, short=short)
        wanted = [n for n in ELPI_COUNTS if f"prior{n}" in columns]
        last = _lookup(self._prior_frame("elpi", year), frame, [f"curr{n}" for n in ELPI_COUNTS])
        row_found = last["currprogressed"][0]
        for name in wanted:
            found, values = last[f"curr{name}"]
            mine = fresh.get(name, np.zeros(len(frame), dtype=np.int64))
            frame[f"prior{name}"] = _masked(np.where(row_found, np.where(found, values, 0), mine), p_known)

    # ------------------------------------------------------------------ CCI
    def _add_cci_counts(self, frame: pd.DataFrame, layout: Layout, rng: np.random.Generator) -> None:
        """Prepared, Approaching and Not Prepared (adding up to the cohort), each measure's count among the Prepared
        (Approaching) with its percent of that count, and the prior cohort's, last year's published counts where
        last year's file has them. Blank below n = 11, as the real files are."""
        year = layout.report_year
        denom = frame["currdenom"].to_numpy()
        known = frame["currnumer"].notna().to_numpy()
        numer = frame["currnumer"].fillna(0).to_numpy().astype(np.int64)
        approaching = rng.binomial(denom - numer, 0.35)
        frame["curr_prep"] = frame["currnumer"]
        frame["curr_prep_pct"] = frame["currstatus"]
        frame["curr_aprep"] = _masked(approaching, known)
        frame["curr_aprep_pct"] = _masked(_tenths_of(approaching, denom), known)
        frame["curr_nprep"] = _masked(denom - numer - approaching, known)
        frame["curr_nprep_pct"] = _masked(_tenths_of(denom - numer - approaching, denom), known)
        all_rows = frame["studentgroup"].eq("ALL")
        all_denom = frame["cds"].map(frame.loc[all_rows].set_index("cds")["currdenom"]).fillna(0).to_numpy()
        frame["studentgroup_pct"] = np.rint(1000.0 * denom / np.maximum(all_denom, 1))
        adv = frame["studentgroup"].map(GROUP_ADVANTAGE).fillna(0.0).to_numpy()
        dass = frame["dass_flag"].eq("Y").to_numpy()
        measures = _cci_measure_names(layout, "curr")
        draw = rng_for(self.seed, "extras", "cci", year, "measure")
        for kind, base in (("prep", numer), ("aprep", approaching)):
            for name, count in _cci_measures(draw, kind, measures[kind], base, adv, dass).items():
                frame[f"curr_{kind}_{name}"] = _masked(count, known)
                frame[f"curr_{kind}_{name}_pct"] = _masked(_tenths_of(count, base), known)
        if "prior_prep" not in layout.raw_columns:
            return
        p_known = frame["priornumer"].notna().to_numpy()
        p_prep = frame["priornumer"].fillna(0).to_numpy().astype(np.int64)
        p_denom = frame["priordenom"].fillna(0).to_numpy().astype(np.int64)
        fresh_rng = rng_for(self.seed, "extras", "cci", year, "prior")
        prior_measures = _cci_measure_names(layout, "prior")
        last = _lookup(self._prior_frame("cci", year), frame,
                       ["curr_aprep"] + [f"curr_{k}_{m}" for k in ("prep", "aprep") for m in prior_measures[k]])
        found, values = last["curr_aprep"]
        p_aprep = np.where(found, values, fresh_rng.binomial(p_denom - p_prep, 0.35))
        p_nprep = p_denom - p_prep - p_aprep
        frame["prior_prep"] = frame["priornumer"]
        frame["prior_prep_pct"] = frame["priorstatus"]
        frame["prior_aprep"] = _masked(p_aprep, p_known)
        frame["prior_aprep_pct"] = _masked(_tenths_of(p_aprep, p_denom), p_known)
        frame["prior_nprep"] = _masked(p_nprep, p_known)
        frame["prior_nprep_pct"] = _masked(_tenths_of(p_nprep, p_denom), p_known)
        for kind, base in (("prep", p_prep), ("aprep", p_aprep)):
            fresh = _cci_measures(fresh_rng, kind, prior_measures[kind], base, adv, dass)
            for name, count in fresh.items():
                found, values = last[f"curr_{kind}_{name}"]
                count = np.where(found, values, count)
                frame[f"prior_{kind}_{name}"] = _masked(count, p_known)
                frame[f"prior_{kind}_{name}_pct"] = _masked(_tenths_of(count, base), p_known)

    def cci_counts_frame(self, current: EntityPanel, year: int) -> pd.DataFrame:
        """2022 (CCI not reported): the cohort and its measure counts, each with its percent of the cohort, for every
        school, LEA and the state and their groups; counts blank for a cohort under 11 (as the real file)."""
        model = MODELS["cci"]
        gidx = np.array([GROUP_INDEX[x] for x in _groups_for(model, year)])
        n_e = len(self.attrs)
        ent = np.repeat(np.arange(n_e), len(gidx))
        grp = np.tile(gidx, n_e)
        keep = current.present[ent] & (current.denom[ent, grp] > 0)
        ent, grp = ent[keep], grp[keep]
        denom = current.denom[ent, grp]
        rate = current.numer[ent, grp] / np.maximum(denom, 1)
        relative = np.clip(rate / (model.level_by_year[year] / 100), 0.05, 3.0)
        known = denom >= self.rules.min_n("status_min_n", "cci", year, "school", "ALL")
        rng = rng_for(self.seed, "extras", "cci", year)
        frame = self.attrs.iloc[ent].reset_index(drop=True)[
            ["cds", "rtype", "schoolname", "districtname", "countyname", "charter_flag", "coe_flag", "dass_flag"]]
        frame["studentgroup"] = np.array(GROUPS)[grp]
        frame["studentgroup_pct"] = _tenths_of(denom, current.denom[ent, GROUP_INDEX["ALL"]])
        frame["currdenom"] = denom
        counts: dict[str, np.ndarray] = {}
        spread = 0.3 / np.sqrt(1.0 + denom / 100.0)
        for name, (share, elasticity) in CCI_2022_MEASURES.items():
            p = share * relative ** elasticity * np.exp(spread * rng.standard_normal(len(denom)))
            counts[name] = rng.binomial(denom, np.clip(p, 0.0, 0.95))
        for name, of, share in CCI_2022_NESTED:
            counts[name] = rng.binomial(counts[of], share)
        counts["ag_cte"] = np.minimum(counts["ag_cte"], counts["cte"])
        counts["tcbwe_and_twbe"] = np.minimum(counts["tcbwe_and_twbe"], counts["twbe"])
        for name, values in counts.items():   # write_layout puts them in the layout's order
            frame[name] = _masked(values, known)
            frame[f"{name}_pct"] = _masked(_tenths_of(values, denom), known)
        frame["reportingyear"] = str(year)
        return frame

    def _entity_index(self, frame: pd.DataFrame) -> np.ndarray:
        lookup = pd.Series(np.arange(len(self.attrs)), index=self.attrs["cds"])
        return lookup.loc[frame["cds"]].to_numpy()

    def elpac_levels_frame(self, current: EntityPanel, year: int) -> pd.DataFrame:
        """2018: ELPAC level counts only (PL_1..PL_4) per school, LEA and the state, for English learners."""
        rng = rng_for(self.seed, "elpac", year)
        g = GROUP_INDEX["EL"]
        keep = current.present & (current.denom[:, g] > 0)
        idx = np.flatnonzero(keep)
        total = current.denom[idx, g]
        p4 = np.clip(current.status[idx, g] / 1000.0 * 0.62, 0.02, 0.9)
        probs = np.stack([np.full_like(p4, 0.15), np.full_like(p4, 0.20), 0.65 - p4, p4], axis=1)
        probs = np.clip(probs, 0.01, None)
        counts = rng.multinomial(total, probs / probs.sum(axis=1, keepdims=True))
        frame = self.attrs.iloc[idx].reset_index(drop=True).copy()
        for k in range(4):
            frame[f"pl_{k + 1}"] = counts[:, k]
            frame[f"pl{k + 1}_pct"] = np.rint(1000.0 * counts[:, k] / np.maximum(total, 1)).astype(np.int64)
        frame["pltotct"] = total
        frame["reportingyear"] = str(year)
        return frame

    def census_frame(self, year: int) -> pd.DataFrame:
        counts = group_counts(self.universe, self.seed, year)
        members = open_mask(self.universe, year)
        current = aggregate(self.universe, Panel(counts, counts, np.zeros_like(counts)), members)
        groups = ("ALL", *RACE_GROUPS, "EL", "SED", "SWD", "FOS", "HOM") + (("LTEL",) if year >= 2024 else ())
        gidx = np.array([GROUP_INDEX[x] for x in groups])
        n_e = len(self.attrs)
        ent = np.repeat(np.arange(n_e), len(gidx))
        grp = np.tile(gidx, n_e)
        keep = current.present[ent] & (current.denom[ent, GROUP_INDEX["ALL"]] > 0)
        ent, grp = ent[keep], grp[keep]
        total = current.denom[ent, GROUP_INDEX["ALL"]]
        sub = current.denom[ent, grp]
        frame = self.attrs.iloc[ent].reset_index(drop=True)[["cds", "rtype", "schoolname", "districtname",
                                                             "countyname"]].copy()
        frame["studentgroup"] = np.array(GROUPS)[grp]
        frame["totalenrollment"] = total
        frame["subgrouptotal"] = sub
        frame["rate"] = np.rint(1000.0 * sub / np.maximum(total, 1)).astype(np.int64)
        frame["reportingyear"] = str(year)
        return frame

    def local_indicator_frame(self, year: int) -> pd.DataFrame:
        d = self.universe.districts
        indicators = ["Basic-Priority Area 1", "Academic-Priority Area 2", "Parents-Priority Area 3",
                      "Climate-Priority Area 6"] + (["Access-Priority Area 7"] if year >= 2018 else [])
        coe_only = ["Expelled-Priority Area 9", "FosterYouth-Priority Area 10"]
        rows = []
        years = [y for y in REPORT_YEARS if y <= year]
        not_met = {y: rng_for(self.seed, "local", y).random((len(d), 7)) < 0.035 for y in years}
        prev = years[-2] if len(years) > 1 else None
        for i, lea in enumerate(d.itertuples()):
            for k, name in enumerate(indicators + (coe_only if lea.is_coe else [])):
                now = not_met[year][i, k]
                performance = "Met"
                if now:
                    performance = ("Not Met for Two or More Years"
                                   if prev is not None and year >= 2019 and not_met[prev][i, k] else "Not Met")
                rows.append((lea.cds, lea.name, lea.county_name, name, performance))
        return pd.DataFrame(rows, columns=["cds", "leaname", "countyname", "localindicator", "performance"])

    def title_i_frame(self) -> pd.DataFrame:
        s = self.universe.schools
        out = []
        for year in REPORT_YEARS:
            rng = rng_for(self.seed, "title1", year)
            is_open = open_mask(self.universe, year)
            flag = (s["title_i_propensity"].to_numpy() + rng.normal(0, 0.03, len(s))) > 0.5
            out.append(pd.DataFrame({"report_year": year, "cds": s["cds"][is_open],
                                     "school_name": s["school_name"][is_open],
                                     "title_i": np.where(flag[is_open], "Y", "N")}))
        return pd.concat(out, ignore_index=True)


# ---------------------------------------------------------------------------------------------- writing


def write_layout(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, layout: Layout, path: Path) -> int:
    """Write a frame in the layout's exact header, tab-delimited, unquoted, blanks for missing values. DOUBLE
    columns are held in tenths and written with one decimal; cp1252 layouts are transcoded after writing."""
    select = []
    for header, raw in zip(layout.columns, layout.raw_columns):
        if raw not in frame.columns:
            select.append(f'NULL AS "{header}"')
        elif COLUMN_TYPES[raw] == "DOUBLE":
            select.append(f'round("{raw}" / 10, 1)::DECIMAL(18,1) AS "{header}"')
        else:
            select.append(f'"{raw}" AS "{header}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    con.register("frame_to_write", frame)
    try:
        con.execute(
            f"copy (select {', '.join(select)} from frame_to_write) to '{path}' "
            "(header, delimiter '\t', quote '', escape '', nullstr '')"
        )
    finally:
        con.unregister("frame_to_write")
    if layout.encoding == "cp1252":
        path.write_bytes(path.read_bytes().decode("utf-8").encode("cp1252"))
    return len(frame)


TITLE_I_FILE = "reference/title_i_status.txt"
MARKER = app_settings.GENERATED_MARKER  # written last: its presence means the set is complete
REFERENCE_README = """# reference/ - inputs the determinations need that the Dashboard files lack

title_i_status.txt (tab-delimited, UTF-8, header row):
  report_year  Dashboard report year the status applies to (2017 = Fall 2017)
  cds          14-character school code
  school_name  as in the research files
  title_i      Y = the school received Title I, Part A funds that year (CSI Low Performing requires it), N = not

Written by `cadash generate` (synthetic). For real determinations, replace it with the Title I status of each school
from CDE's ESSA assistance files or CALPADS, in the same layout.
"""


def generate(out_dir: Path, *, seed: int = 2017, scale: float = 1.0, years: Iterable[int] | None = None,
             stems: Iterable[str] | None = None, stages: Iterable[str] = STAGES,
             log: Callable[[str], None] = print) -> dict[str, int]:
    """Write raw/<year>/<stage>/<file> for the selected years, stems and stages; return rows per file path."""
    started = time.monotonic()
    years = tuple(sorted(set(years))) if years else REPORT_YEARS
    unknown = set(years) - set(REPORT_YEARS)
    if unknown:
        raise ValueError(f"unknown report year(s) {sorted(unknown)}; known: {REPORT_YEARS}")
    stems = tuple(stems) if stems else None
    builder = ReleaseBuilder(seed, scale)
    log(f"universe: {len(builder.universe.districts):,} LEAs, {builder.universe.n_schools:,} schools "
        f"(seed {seed}, scale {scale})")
    written: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for year in years:
            for stage in stages:
                for layout in (lay for lay in LAYOUTS if lay.report_year == year):
                    if stems and layout.stem not in stems:
                        continue
                    frame = builder.frame(layout, stage)
                    path = out_dir / str(year) / stage / layout.file_names[0]
                    written[str(path.relative_to(out_dir))] = write_layout(con, frame, layout, path)
                log(f"  {year} {stage}: {sum(v for k, v in written.items() if k.startswith(f'{year}/{stage}/')):,} "
                    f"rows ({time.monotonic() - started:.1f} s)")
        ref = out_dir / TITLE_I_FILE
        ref.parent.mkdir(parents=True, exist_ok=True)
        titles = builder.title_i_frame()
        con.register("titles", titles)
        con.execute(f"copy titles to '{ref}' (header, delimiter '\t', quote '', escape '')")
        (ref.parent / "README.md").write_text(REFERENCE_README)
        written[TITLE_I_FILE] = len(titles)
    finally:
        con.close()
    (out_dir / MARKER).write_text(json.dumps({"seed": seed, "scale": scale, "years": list(years),
                                              "stems": list(stems) if stems else None, "stages": list(stages),
                                              "generator": generator_fingerprint()}))
    log(f"generated {len(written)} files, {sum(written.values()):,} rows in {time.monotonic() - started:.1f} s "
        f"into {out_dir}")
    return written


def generator_fingerprint() -> str:
    """sha256 over what decides the generated bytes: the generator, the rules engine, the registry and the rule
    seeds. A set made by another version is stale and is made again."""
    from orchestration.rules import RULES_DIR

    package = Path(__file__).resolve().parent.parent
    sources = sorted((package / "synth").glob("*.py")) + [package / "rules.py", package / "releases" / "registry.py"]
    sources += sorted(RULES_DIR.glob("*.csv"))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def is_generated(out_dir: Path, **expected) -> bool:
    """True when out_dir holds a complete set made by this generator version (and these seed/scale/... values)."""
    marker = out_dir / MARKER
    if not marker.exists():
        return False
    found = json.loads(marker.read_text())
    expected.setdefault("generator", generator_fingerprint())
    return all(found.get(k) == v for k, v in expected.items())
