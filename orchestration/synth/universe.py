"""The synthetic California: counties, LEAs and schools with their attributes, enrolment and student groups.

Scale 1 is California's size: 58 counties, ~940 districts plus 58 county offices, ~10,500 schools (charters,
DASS schools, elementary / middle / high / K-8 / K-12 spans). Everything is drawn from one numpy generator seeded
by (seed, component), so a seed gives the same state every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COUNTIES = (
    "Alameda", "Alpine", "Amador", "Butte", "Calaveras", "Colusa", "Contra Costa", "Del Norte", "El Dorado", "Fresno",
    "Glenn", "Humboldt", "Imperial", "Inyo", "Kern", "Kings", "Lake", "Lassen", "Los Angeles", "Madera", "Marin",
    "Mariposa", "Mendocino", "Merced", "Modoc", "Mono", "Monterey", "Napa", "Nevada", "Orange", "Placer", "Plumas",
    "Riverside", "Sacramento", "San Benito", "San Bernardino", "San Diego", "San Francisco", "San Joaquin",
    "San Luis Obispo", "San Mateo", "Santa Barbara", "Santa Clara", "Santa Cruz", "Shasta", "Sierra", "Siskiyou",
    "Solano", "Sonoma", "Stanislaus", "Sutter", "Tehama", "Trinity", "Tulare", "Tuolumne", "Ventura", "Yolo", "Yuba",
)
# Rough relative sizes (number of districts/schools), largest counties first; the rest share the remainder.
_BIG = {"Los Angeles": 14.0, "San Diego": 6.0, "Orange": 5.0, "Riverside": 4.5, "San Bernardino": 4.5,
        "Santa Clara": 3.5, "Alameda": 3.0, "Sacramento": 3.0, "Fresno": 3.0, "Kern": 3.0, "Contra Costa": 2.2,
        "San Joaquin": 2.0, "Ventura": 2.0, "Tulare": 2.0, "Stanislaus": 1.8, "San Mateo": 1.6, "Sonoma": 1.6}

# Place words for names. A few carry Windows-1252 characters (ñ, é, the right single quote) as CDE's names do.
_PLACES = (
    "Oak Grove", "Pine Valley", "Cedar Creek", "Willow", "Sierra Vista", "Mission", "Lincoln", "Washington",
    "Jefferson", "Roosevelt", "Valley View", "Hillcrest", "Lakeside", "Riverside", "Canyon", "Sunset", "Vista",
    "Monte Vista", "Buena Vista", "Del Mar", "El Camino", "Los Robles", "Las Palmas", "San Miguel", "Santa Rosa",
    "Arroyo", "Bay View", "Cypress", "Redwood", "Sequoia", "Madrone", "Manzanita", "Poppy", "Golden Hills",
    "Harbor", "Meadow", "Fairview", "Highland", "Parkside", "Eastside", "Westside", "Northgate", "Southwood",
    "Crestview", "Foothill", "Mountain View", "Ocean View", "Sunrise", "Horizon", "Pioneer", "Frontier", "Gateway",
    "Heritage", "Liberty", "Independence", "Franklin", "Marshall", "King", "Chavez", "Huerta", "Muir", "Earhart",
    "La Cañada", "Peñasquitos", "José Martí", "Niños Unidos", "Cañon", "Doña Ana", "René Cassin", "Ramón Lara",
    "O\u2019Neill", "St. Mary\u2019s", "D\u2019Arcy", "Caf\u00e9 Row",
)
_SPAN_SUFFIX = {"E": "Elementary", "M": "Middle", "H": "High", "K8": "K-8 Academy", "K12": "Academy"}

# Student groups of the research files (codes as CDE writes them).
RACE_GROUPS = ("AA", "AI", "AS", "FI", "HI", "PI", "WH", "MR")
GROUPS = ("ALL", *RACE_GROUPS, "EL", "ELO", "RFP", "EO", "SED", "SWD", "FOS", "HOM", "LTEL")
GROUP_INDEX = {g: i for i, g in enumerate(GROUPS)}
_RACE_BASE = np.array([0.05, 0.006, 0.10, 0.025, 0.55, 0.005, 0.22, 0.044])

SPANS = ("E", "M", "H", "K8", "K12")
_SPAN_WEIGHTS = np.array([0.60, 0.14, 0.15, 0.07, 0.04])
_SPAN_ENROLMENT = {"E": 480, "M": 760, "H": 1350, "K8": 560, "K12": 620}
SUSP_TYPE = {"E": "ES", "M": "MS", "H": "HS", "K8": "ES", "K12": "UD"}
DISTRICT_KINDS = ("ED", "UD", "HD")
_DISTRICT_KIND_WEIGHTS = np.array([0.55, 0.37, 0.08])
FIRST_YEAR, LAST_YEAR = 2014, 2025  # simulated years, including hidden priors before 2017


def rng_for(seed: int, *component: int | str) -> np.random.Generator:
    """A generator per component, so a subset of years or stems draws exactly what a full run draws."""
    parts = [seed] + [c if isinstance(c, int) else int.from_bytes(c.encode()[:8].ljust(8, b"\0"), "little")
                      for c in component]
    return np.random.default_rng(parts)


@dataclass
class Universe:
    districts: pd.DataFrame   # one row per LEA (districts and county offices)
    schools: pd.DataFrame     # one row per school ever open 2014-2025
    shares: np.ndarray        # schools x GROUPS: base share of enrolment in each group (ALL = 1)

    @property
    def n_schools(self) -> int:
        return len(self.schools)


def _unique_codes(rng: np.random.Generator, n: int, low: int, high: int, width: int) -> list[str]:
    codes = rng.choice(np.arange(low, high), size=n, replace=False)
    return [str(c).zfill(width) for c in codes]


def build_universe(seed: int, scale: float) -> Universe:
    rng = rng_for(seed, "universe")
    weights = np.array([_BIG.get(c, 0.6) for c in COUNTIES])
    weights = weights / weights.sum()

    # ---- LEAs: one county office per county, then districts spread by county size
    n_districts = max(3, int(round(940 * scale)))
    county_of_district = np.sort(rng.choice(len(COUNTIES), size=n_districts, p=weights))
    kinds = rng.choice(DISTRICT_KINDS, size=n_districts, p=_DISTRICT_KIND_WEIGHTS)
    district_codes = _unique_codes(rng, n_districts, 61000, 77000, 5)
    suffix = {"ED": "Elementary", "UD": "Unified", "HD": "Union High"}
    place_pick = rng.integers(0, len(_PLACES), size=n_districts)
    district_rows = [
        {"county_index": c, "district_code": code, "kind": kind, "is_coe": False,
         "name": f"{_PLACES[p]} {suffix[kind]}"}
        for c, code, kind, p in zip(county_of_district, district_codes, kinds, place_pick)
    ]
    coe_rows = [
        {"county_index": c, "district_code": f"10{c + 1:03d}", "kind": "COE", "is_coe": True,
         "name": f"{county} County Office of Education"}
        for c, county in enumerate(COUNTIES)
    ]
    districts = pd.DataFrame(coe_rows + district_rows)
    districts["county_code"] = (districts["county_index"] + 1).map(lambda c: f"{c:02d}")
    districts["county_name"] = districts["county_index"].map(lambda c: COUNTIES[c])
    districts["cds"] = districts["county_code"] + districts["district_code"] + "0000000"
    districts["susp_type"] = districts["kind"].map({"ED": "ED", "UD": "UD", "HD": "HD", "COE": "UD"})
    districts["advantage"] = rng.normal(0.0, 0.55, size=len(districts))

    # ---- schools: spans by the district kind, charters and DASS schools, open and close years
    n_schools = max(10, int(round(10500 * scale)))
    regular = districts.index[~districts["is_coe"]].to_numpy()
    d_weights = rng.gamma(2.0, 1.0, size=len(regular))
    district_of_school = rng.choice(regular, size=n_schools, p=d_weights / d_weights.sum())
    kind_of_school = districts["kind"].to_numpy()[district_of_school]
    span = rng.choice(SPANS, size=n_schools, p=_SPAN_WEIGHTS)
    span = np.where(kind_of_school == "HD", "H", span)                       # high-school districts: high schools
    span = np.where((kind_of_school == "ED") & np.isin(span, ["H", "K12"]), "M", span)  # elementary: no high schools
    is_charter = rng.random(n_schools) < 0.12
    is_dass = (~is_charter) & (rng.random(n_schools) < 0.03)
    span = np.where(is_dass, "H", span)
    # County offices run most DASS schools and authorise some charters
    coe_index = districts.index[districts["is_coe"]].to_numpy()
    county_idx = districts["county_index"].to_numpy()[district_of_school]
    to_coe = is_dass & (rng.random(n_schools) < 0.7) | is_charter & (rng.random(n_schools) < 0.15)
    district_of_school = np.where(to_coe, coe_index[county_idx], district_of_school)

    school_codes = _unique_codes(rng, n_schools, 100000, 6999999, 7)
    names = []
    picks = rng.integers(0, len(_PLACES), size=n_schools)
    for i in range(n_schools):
        base = f"{_PLACES[picks[i]]} {_SPAN_SUFFIX[span[i]]}"
        if is_dass[i]:
            base = f"{_PLACES[picks[i]]} Continuation High"
        if is_charter[i]:
            base += " Charter"
        names.append(base)
    open_year = np.where(rng.random(n_schools) < 0.07, rng.integers(2015, LAST_YEAR + 1, n_schools), FIRST_YEAR)
    close_year = np.where(rng.random(n_schools) < 0.06, rng.integers(2016, LAST_YEAR + 1, n_schools), 9999)
    close_year = np.maximum(close_year, open_year + 1)

    enrolment = np.array([_SPAN_ENROLMENT[s] for s in span]) * rng.lognormal(0.0, 0.45, n_schools)
    enrolment = np.where(is_dass, rng.lognormal(np.log(110), 0.5, n_schools), enrolment)
    sed = np.clip(rng.beta(4, 3, n_schools) + 0.15 * -districts["advantage"].to_numpy()[district_of_school], 0.03, 0.98)
    advantage = districts["advantage"].to_numpy()[district_of_school] - 1.1 * (sed - 0.6) + rng.normal(0, 0.45,
                                                                                                        n_schools)
    advantage = np.where(is_dass, advantage - 1.0, advantage)

    schools = pd.DataFrame({
        "district_index": district_of_school,
        "school_code": school_codes,
        "school_name": names,
        "span": span,
        "is_charter": is_charter,
        "is_dass": is_dass,
        "open_year": open_year,
        "close_year": close_year,
        "base_enrolment": enrolment,
        "advantage": advantage,
        "sed_share": sed,
    })
    d = districts.loc[schools["district_index"]].reset_index(drop=True)
    schools["county_code"] = d["county_code"]
    schools["county_name"] = d["county_name"]
    schools["district_code"] = d["district_code"]
    schools["district_name"] = d["name"]
    schools["district_cds"] = d["cds"]
    schools["cds"] = schools["county_code"] + schools["district_code"] + schools["school_code"]
    schools["susp_type"] = [SUSP_TYPE[s] for s in span]
    schools["title_i_propensity"] = sed + rng.normal(0, 0.12, n_schools)

    # ---- student-group shares (ALL = 1; race groups partition ALL)
    shares = np.zeros((n_schools, len(GROUPS)))
    shares[:, GROUP_INDEX["ALL"]] = 1.0
    race = rng.dirichlet(_RACE_BASE * 12, size=n_schools)
    for j, g in enumerate(RACE_GROUPS):
        shares[:, GROUP_INDEX[g]] = race[:, j]
    el = np.clip(rng.beta(2, 7, n_schools) * np.where(np.isin(span, ["E", "K8"]), 1.3, 0.8), 0.0, 0.9)
    shares[:, GROUP_INDEX["EL"]] = el
    shares[:, GROUP_INDEX["ELO"]] = el * 0.82
    shares[:, GROUP_INDEX["RFP"]] = el * 0.18
    shares[:, GROUP_INDEX["EO"]] = np.clip(1 - el * 1.6, 0.05, 1.0)
    shares[:, GROUP_INDEX["SED"]] = sed
    shares[:, GROUP_INDEX["SWD"]] = np.clip(rng.normal(0.13, 0.03, n_schools), 0.03, 0.4)
    shares[:, GROUP_INDEX["SWD"]] = np.where(is_dass, 0.2, shares[:, GROUP_INDEX["SWD"]])
    shares[:, GROUP_INDEX["FOS"]] = np.clip(rng.gamma(1.5, 0.003, n_schools), 0.0, 0.05)
    shares[:, GROUP_INDEX["HOM"]] = np.clip(rng.gamma(1.2, 0.025, n_schools), 0.0, 0.4)
    shares[:, GROUP_INDEX["LTEL"]] = el * np.where(np.isin(span, ["M", "H", "K12"]), 0.35, 0.08)
    return Universe(districts=districts, schools=schools, shares=shares)


def open_mask(universe: Universe, year: int) -> np.ndarray:
    s = universe.schools
    return (s["open_year"].to_numpy() <= year) & (year < s["close_year"].to_numpy())


def group_counts(universe: Universe, seed: int, year: int) -> np.ndarray:
    """Enrolment by school and group for a year (schools x GROUPS); zero where the school is not open."""
    rng = rng_for(seed, "enrolment", year)
    s = universe.schools
    total = np.rint(s["base_enrolment"].to_numpy() * rng.lognormal(0.0, 0.04, len(s))).astype(np.int64)
    total = np.where(open_mask(universe, year), np.maximum(total, 8), 0)
    counts = np.zeros((len(s), len(GROUPS)), dtype=np.int64)
    race_idx = [GROUP_INDEX[g] for g in RACE_GROUPS]
    race_p = universe.shares[:, race_idx]
    counts[:, race_idx] = rng.multinomial(total, race_p / race_p.sum(axis=1, keepdims=True))
    counts[:, GROUP_INDEX["ALL"]] = total
    el = rng.binomial(total, universe.shares[:, GROUP_INDEX["EL"]])
    counts[:, GROUP_INDEX["EL"]] = el
    counts[:, GROUP_INDEX["ELO"]] = rng.binomial(el, 0.82)
    counts[:, GROUP_INDEX["RFP"]] = el - counts[:, GROUP_INDEX["ELO"]]
    counts[:, GROUP_INDEX["LTEL"]] = rng.binomial(el, universe.shares[:, GROUP_INDEX["LTEL"]]
                                                  / np.maximum(universe.shares[:, GROUP_INDEX["EL"]], 1e-9))
    for g in ("EO", "SED", "SWD", "FOS", "HOM"):
        counts[:, GROUP_INDEX[g]] = rng.binomial(total, np.clip(universe.shares[:, GROUP_INDEX[g]], 0, 1))
    return counts
