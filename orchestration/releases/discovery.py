"""The landing zone: raw/<report_year>/<stage>/<CDE file name>.

A *release* is one report year at one stage (`preview` or `public`), keyed `2018-public`. Discovery walks the raw
directory, recognises every file through the registry and reports anything it cannot place, rather than guessing.
Top-level entries that are not 4-digit year folders are not releases: `reference/` (the reference inputs) and
README files are expected; anything else (a typo such as `2O24`, a stray download folder, a loose file) is named
by `raw_dir_warnings`, which `cadash build`, `cadash releases` and the ingest log print, so that a release cannot
go missing without a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.releases.registry import (
    REPORT_YEARS,
    STAGES,
    Layout,
    RegistryError,
    layout_for_file,
    reference_layout,
)

_RELEASE_KEY = re.compile(r"^(\d{4})-(preview|public)$")


@dataclass(frozen=True, order=True)
class Release:
    report_year: int
    stage: str

    @property
    def key(self) -> str:
        return f"{self.report_year}-{self.stage}"

    @classmethod
    def parse(cls, key: str) -> Release:
        match = _RELEASE_KEY.match(key.strip())
        if not match:
            raise ValueError(f"'{key}' is not a release key: expected <report year>-<preview|public>, e.g. 2018-public")
        year = int(match.group(1))
        if year not in REPORT_YEARS:
            raise ValueError(
                f"'{key}': {year} is not a Dashboard report year the registry knows "
                f"({', '.join(map(str, REPORT_YEARS))}; there were no Dashboards in 2020 and 2021)"
            )
        return cls(year, match.group(2))

    def sort_key(self) -> tuple[int, int]:
        return (self.report_year, STAGES.index(self.stage))


def all_release_keys() -> list[str]:
    """Every release the registry can hold, in time order (a year's preview before its public release)."""
    return [Release(y, s).key for y in REPORT_YEARS for s in STAGES]


@dataclass(frozen=True)
class RawFile:
    path: Path
    release: Release
    layout: Layout


def release_dir(raw_dir: Path, release: Release) -> Path:
    return raw_dir / str(release.report_year) / release.stage


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def release_files(raw_dir: Path, release: Release) -> list[RawFile]:
    """The files of one release, each with its layout. Raises RegistryError naming every file it cannot place."""
    folder = release_dir(raw_dir, release)
    if not folder.is_dir():
        return []
    files: list[RawFile] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if not _is_hidden(p)):
        if path.is_dir():
            problems.append(f"{path}: unexpected folder inside a release folder")
            continue
        try:
            layout = layout_for_file(path.name, release.report_year)
        except RegistryError as exc:
            problems.append(f"{path.parent}/{exc}")
            continue
        if layout.key in seen:
            problems.append(f"{path}: a second file for the same layout as {seen[layout.key].name}")
            continue
        seen[layout.key] = path
        files.append(RawFile(path, release, layout))
    if problems:
        raise RegistryError("; ".join(problems))
    return files


REFERENCE_DIR = "reference"


def raw_dir_warnings(raw_dir: Path) -> list[str]:
    """Top-level entries of the raw dir that are neither a year folder, reference/ nor a README: not loaded."""
    if not raw_dir.is_dir():
        return []
    out = []
    for path in sorted(p for p in raw_dir.iterdir() if not _is_hidden(p)):
        if path.is_dir() and (re.fullmatch(r"\d{4}", path.name) or path.name == REFERENCE_DIR):
            continue
        if path.is_file() and path.name.lower().startswith("readme"):
            continue
        what = "folder" if path.is_dir() else "file"
        hint = (" (a misspelt year? release folders are named by the four-digit report year)"
                if path.is_dir() and re.search(r"\d", path.name) else "")
        out.append(f"{path}: not a report year folder, reference/ or a README, so nothing in this {what} is "
                   f"loaded{hint}; expected <raw dir>/<year>/<preview|public>/<CDE file>")
    return out


def discover_releases(raw_dir: Path) -> list[Release]:
    """Releases that have at least one file under raw_dir, in time order. Misplaced folders raise RegistryError."""
    if not raw_dir.is_dir():
        raise RegistryError(f"{raw_dir}: the raw directory does not exist")
    found: list[Release] = []
    problems: list[str] = []
    for year_dir in sorted(p for p in raw_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name)):
        year = int(year_dir.name)
        if year not in REPORT_YEARS:
            reference = sorted(p.name for p in year_dir.rglob("*") if reference_layout(p.name) is not None)
            hint = (f"; {', '.join(reference)} is a reference input (no Dashboard in {year}): move it to "
                    f"{raw_dir / REFERENCE_DIR}/" if reference else "")
            problems.append(
                f"{year_dir}: {year} is not a Dashboard report year the registry knows "
                f"({', '.join(map(str, REPORT_YEARS))}){hint}"
            )
            continue
        for stage_dir in sorted(p for p in year_dir.iterdir() if not _is_hidden(p)):
            if stage_dir.name not in STAGES:
                problems.append(f"{stage_dir}: stage folders are 'preview' or 'public'")
                continue
            if any(not _is_hidden(p) for p in stage_dir.iterdir()):
                found.append(Release(year, stage_dir.name))
    if problems:
        raise RegistryError("; ".join(problems))
    return sorted(found, key=Release.sort_key)
