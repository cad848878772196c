"""The vocabularies Python code shows or orders by, read from the seeds that own them (dbt reads the same files):
the indicators in their display order and status unit (seeds/indicators.csv), the program codes
(seeds/eligibility/programs.csv), the DA statuses (seeds/eligibility/da_assistance_statuses.csv), the ESSA statuses
(seeds/eligibility/essa_status_codes.csv) and the names of the colours and status levels
(seeds/eligibility/level_labels.csv). Nothing else in the package spells these lists out."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def indicators() -> tuple[str, ...]:
    """The state indicators in the order every page and summary lists them."""
    rows = _rows(SEEDS / "indicators.csv")
    return tuple(r["indicator"] for r in sorted(rows, key=lambda r: int(r["display_order"])))


@lru_cache(maxsize=1)
def points_indicators() -> frozenset[str]:
    """The indicators whose status is in points from standard (the others are percents)."""
    return frozenset(r["indicator"] for r in _rows(SEEDS / "indicators.csv") if r["status_unit"] == "points")


@lru_cache(maxsize=1)
def programs() -> dict[str, str]:
    """Program code (da, essa) -> label."""
    return {r["program"]: r["program_label"] for r in _rows(SEEDS / "eligibility" / "programs.csv")}


@lru_cache(maxsize=1)
def da_statuses() -> tuple[str, ...]:
    """The DA statuses in display order (the ones that identify an LEA first, General Assistance last)."""
    rows = _rows(SEEDS / "eligibility" / "da_assistance_statuses.csv")
    return tuple(r["assistance_status"] for r in sorted(rows, key=lambda r: int(r["display_order"])))


@lru_cache(maxsize=1)
def essa_statuses() -> tuple[str, ...]:
    """The ESSA statuses in the order a school is placed in them (CSI Low Graduation Rate first, General
    Assistance last)."""
    rows = _rows(SEEDS / "eligibility" / "essa_status_codes.csv")
    return tuple(r["assistance_status"] for r in sorted(rows, key=lambda r: int(r["entry_precedence"])))


@lru_cache(maxsize=1)
def colour_labels() -> dict[int, str]:
    """Colour code (1-5) -> its name (Red ... Blue)."""
    rows = _rows(SEEDS / "eligibility" / "level_labels.csv")
    return {int(r["rating"]): r["label"] for r in rows if r["measure"] == "color"}


@lru_cache(maxsize=1)
def status_level_labels() -> dict[tuple[str, int], str]:
    """(better direction, status level) -> its name: 1 is always the worst level (Very Low where higher is better,
    Very High where lower is)."""
    rows = _rows(SEEDS / "eligibility" / "level_labels.csv")
    return {(r["better_direction"], int(r["rating"])): r["label"] for r in rows if r["measure"] == "status_level"}
