"""`cadash generate`: complete statewide synthetic Dashboard releases in CDE's exact layouts.

How values are made (all deterministic for a seed):
- every school and student group has a latent performance: the school's advantage (district, poverty), an
  indicator-specific school effect, a group-within-school effect and a year-to-year AR(1) term, so results persist
  across years; group offsets and statewide yearly levels follow published orders of magnitude;
- rates (chronic, suspension, graduation, CCI, ELPI) are binomial counts over the group's denominator, so status is
  numerator / denominator; DFS (ELA, math, science) is a mean with sampling noise shrinking with n;
- race groups partition All Students; LEA rows aggregate their (non-charter) schools, the state row every school;
- prior status is the previous published year's status of the same entity and group, change = current - prior
  (in tenths, as published), and levels, colours and boxes come from the rule seeds via orchestration.rules;
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
         2024: 18.6, 2025: 16.5}, 0.55, lower_is_better=True, span_offset={"M": 0.1, "K12": 0.2}),
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
        if model.kind == "rate":
            logit = _logit(model.level_by_year[year] / 100) + span_off[:, None] + sign * model.per_advantage * latent
            p = 1.0 / (1.0 + np.exp(-logit))
            numer = rng.binomial(denom, p)
            numer[:, GROUP_INDEX["ALL"]] = numer[:, race].sum(axis=1)
            denom[:, GROUP_INDEX["ALL"]] = denom[:, race].sum(axis=1)
            status = np.rint(1000.0 * numer / np.maximum(denom, 1)).astype(np.int64)
            panels[year] = Panel(denom, numer, status)
        else:
            noise = rng.normal(0, 1, (n, g)) * 85.0 / np.sqrt(np.maximum(denom, 1))
            dfs = model.level_by_year[year] + span_off[:, None] + model.per_advantage * latent + noise
            status = np.rint(dfs * 10).astype(np.int64)
            denom[:, GROUP_INDEX["ALL"]] = denom[:, race].sum(axis=1)
            weighted = (status[:, race] * denom[:, race]).sum(axis=1)
            status[:, GROUP_INDEX["ALL"]] = np.rint(weighted / np.maximum(denom[:, GROUP_INDEX["ALL"]], 1))
            panels[year] = Panel(denom, None, status)
    return panels


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
    frame["changelevel"] = levels["change_level"]
    frame["color"] = levels["color"]
    frame["box"] = levels["box"]
    yes_no = np.where(levels["safety_net"], "Y", "N")
    frame["safetynet"] = yes_no
    frame["smalldenom"] = yes_no
    frame["currnsizemet"] = np.where(denom >= 30, "Y", "N")
    frame["priornsizemet"] = np.where(p_denom >= 30, "Y", "N")
    frame["accountabilitymet"] = np.where(levels["color"] > 0, "Y", "N")
    frame["hscutpoints"] = np.where(is_hs, "Y", "N")
    frame["certifyflag"] = "Y"
    frame["indicator"] = INDICATOR_CODE[model.indicator]
    frame["reportingyear"] = "2017f" if year == 2017 else str(year)
    return frame


# ---------------------------------------------------------------------------------------------- releases

PRIOR_YEAR = {2017: 2016, 2018: 2017, 2019: 2018, 2023: 2022, 2024: 2023, 2025: 2024}


class ReleaseBuilder:
    """Builds every file of a release from one universe and one seed; caches public panels used as priors."""

    def __init__(self, seed: int, scale: float, rules: Rules | None = None):
        self.seed, self.scale = seed, scale
        self.rules = rules or default_rules()
        self.universe = build_universe(seed, scale)
        self.attrs = entity_attributes(self.universe)
        self._panels: dict[str, dict[int, Panel]] = {}
        self._public: dict[tuple, EntityPanel] = {}

    def panels(self, indicator: str) -> dict[int, Panel]:
        if indicator not in self._panels:
            self._panels[indicator] = simulate(self.universe, self.seed, MODELS[indicator])
        return self._panels[indicator]

    def members(self, indicator: str, year: int, spans: Iterable[str] | None = None) -> np.ndarray:
        model = MODELS[indicator]
        span = self.universe.schools["span"].to_numpy()
        has = np.array([model.denom_share.get(x, 0.0) > 0 for x in span])
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
        if self.rules.reporting(indicator, year) != "colour":
            return None
        if indicator == "grad" and year == 2017:  # Fall 2017: change against the average of the three prior years
            pooled = [self.entity_panel("grad", y, "public", spans) for y in (2014, 2015, 2016)]
            denom = sum(p.denom for p in pooled)
            numer = sum(p.numer for p in pooled)
            status = np.rint(1000.0 * numer / np.maximum(denom, 1)).astype(np.int64)
            return EntityPanel(denom, numer, status, np.logical_or.reduce([p.present for p in pooled]))
        return self.entity_panel(indicator, PRIOR_YEAR[year], "public", spans)

    # ------------------------------------------------------------------ one file per layout
    def frame(self, layout: Layout, stage: str) -> pd.DataFrame:
        year, stem = layout.report_year, layout.stem
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
        if self.rules.reporting(stem, year) == "counts_only":
            return self.elpac_levels_frame(current, year)
        prior = self.prior_panel(stem, year, spans)
        frame = indicator_rows(self.rules, model, year, current, prior, self.attrs, hs_flags=hs_flags)
        if year == 2017:
            frame = frame[frame["rtype"] != "X"]  # the Fall 2017 files have no state row
        return self.add_stem_columns(frame, layout)

    def add_stem_columns(self, frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
        stem, year = layout.stem, layout.report_year
        denom = frame["currdenom"].to_numpy()
        rng = rng_for(self.seed, "extras", stem, year)
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
        elif stem == "grad" and year == 2017:
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
        elif stem == "elpi":
            numer = frame["currnumer"].fillna(0).to_numpy().astype(np.int64)
            progressed = rng.binomial(numer, 0.85)
            frame["currprogressed"] = progressed
            frame["currmaintainpl4"] = numer - progressed
            declined = rng.binomial(denom - numer, 0.4)
            frame["currmaintainoth"] = denom - numer - declined
            frame["currdeclined"] = declined
            frame["currprogressed_alternate"] = 0
            frame["currnumer"] = numer  # ELPI publishes the counts whatever the n
            # ELPI 2017f counts its colour n-size on annual testers (seed nsize_rules); the generator's testers are
            # the status denominators, so levels derived from denominators hold for either count.
            frame["currtesters"] = denom
            frame["priortesters"] = frame["priordenom"]
            frame["curradvanced"] = rng.binomial(numer, 0.6)
            frame["currmaintained"] = numer - frame["curradvanced"].to_numpy()
            frame["nsize_met"] = np.where(denom >= 30, "Y", "N")
            if year == 2017:
                frame["studentgroup"] = "EL"
        elif stem == "cci":
            numer = frame["currnumer"].fillna(0).to_numpy().astype(np.int64)
            approaching = rng.binomial(denom - numer, 0.35)
            frame["curr_prep"] = frame["currnumer"]
            frame["curr_prep_pct"] = frame["currstatus"]
            frame["curr_aprep"] = approaching
            frame["curr_aprep_pct"] = np.rint(1000.0 * approaching / np.maximum(denom, 1)).astype(np.int64)
            frame["curr_nprep"] = denom - numer - approaching
            frame["curr_nprep_pct"] = np.rint(1000.0 * (denom - numer - approaching) / np.maximum(denom, 1))
            all_denom = frame.groupby("cds")["currdenom"].transform(
                lambda x: x[frame.loc[x.index, "studentgroup"].eq("ALL")].sum())
            frame["studentgroup_pct"] = np.rint(1000.0 * denom / np.maximum(all_denom.to_numpy(), 1))
        elif stem == "chronic":
            frame["dataerrorflag"] = None
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
