"""The bundled real inputs the tests read, and small ways of landing them: the real research-file samples, CDE's
published DA/ESSA workbooks with their CSV copies, and a stand-in file with a chosen landing time."""

from __future__ import annotations

import csv
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from orchestration.releases.registry import ALL_LAYOUTS, Layout
from tests.support.builds import FIXTURES

REAL_HEADERS = FIXTURES / "real_headers"              # exact first lines of real CDE files (<stem>_<year>.txt)
SAMPLES = FIXTURES / "real_samples"                    # real rows of 2019-2024 (real_samples/README.md)
WORKBOOKS = FIXTURES / "published_determinations"      # CDE's DA and ESSA workbooks as published (or cut)
CSV_COPIES = FIXTURES / "published_lists"              # the same lists as CSV, cell for cell
DA_19, DA_24, ESSA_22_CUT = "assistancestatus19-rev.xlsx", "assistancestatus24.xlsx", "essaassistance22-alameda.xlsx"
# CDE's 2018 DA count (dashboard_methodology.md §3.3: 386 = Method 1 374 + Method 2 11 + Method 3 2), the 2018
# column of assistancestatus19-rev.xlsx
CDE_DA_2018 = 386


def research_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """The rows of a tab-delimited research file as CDE writes it (no quoting)."""
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def list_copy(name: str) -> list[dict[str, str]]:
    """The CSV copy of one of CDE's published lists (tests/fixtures/published_lists/NAME)."""
    with (CSV_COPIES / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def land_workbooks(folder: Path, *workbooks: str | Path) -> Path:
    """A raw dir whose reference/ folder holds the given workbooks (names under WORKBOOKS, or paths)."""
    (folder / "reference").mkdir(parents=True, exist_ok=True)
    for workbook in workbooks:
        source = workbook if isinstance(workbook, Path) else WORKBOOKS / workbook
        shutil.copyfile(source, folder / "reference" / source.name)
    return folder


def land_at(raw: Path, key: str, when: datetime) -> None:
    """A one-file release KEY (e.g. '2024-preview') under raw whose file landed at `when` (its mtime)."""
    year, stage = key.split("-")
    folder = raw / year / stage
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ela.txt"
    path.write_text("x")
    os.utime(path, (when.timestamp(), when.timestamp()))


def layout_key_of_real_header(name: str) -> str:
    """tests/fixtures/real_headers/<stem>_<year>.txt -> the registry key it is evidence for."""
    stem, year = re.fullmatch(r"(\w+?)_(\d{4}\w*)\.txt", name).groups()
    if stem in ("ela11", "math11"):
        return f"{stem[:-2]}/2017/grade_11"
    if year.endswith("dassonly"):
        return f"grad_dassonly/{year[:4]}/all"
    return f"{stem}/{year[:4]}/all"


def layout_of_real_header(name: str) -> Layout:
    """The registry's layout that the real header file NAME is evidence for."""
    key = layout_key_of_real_header(name)
    return next(lay for lay in ALL_LAYOUTS if lay.key == key)
