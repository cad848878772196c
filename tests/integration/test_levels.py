"""Levels, colours and boxes recomputed from the rule seeds (int_indicator_results__levels_computed).

Hand-worked cases: each row below is written into a small fixture release in CDE's exact layout for its year, the
pipeline builds it, and the recomputed columns must equal the values worked out by hand from
dashboard_methodology.md (just below / at / just above each cut point, the n-size exceptions, the safety net).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.cli import main
from orchestration.releases.registry import LAYOUTS
from orchestration.synth.generator import write_layout
from tests.support.builds import FIXTURES, build_logged
from tests.support.eligibility_fixtures import required_group_rows

# (indicator, year, entity, group, n, prior n, status, change, extra) -> (status level, change level, colour, box)
# entity: S school, D district, X state; extra: hscutpoints / type / dass / coe flags.
CASES = [
    # graduation 2018, traditional table: Very Low < 67.0; Low 67.0-79.9; Medium 80.0-89.9; High 90.0-94.9.
    ("grad", 2018, "S", "ALL", 200, 200, 66.9, 10.0, {}, (1, 5, 1, 250)),   # Very Low is Red in every cell
    ("grad", 2018, "S", "ALL", 200, 200, 67.0, 0.0, {}, (2, 3, 2, 180)),
    ("grad", 2018, "S", "ALL", 200, 200, 79.9, -1.0, {}, (2, 2, 2, 170)),   # -1.0 is Declined
    ("grad", 2018, "S", "ALL", 200, 200, 80.0, -0.9, {}, (3, 3, 3, 130)),   # -0.9 is Maintained
    ("grad", 2018, "S", "ALL", 200, 200, 94.9, 0.9, {}, (4, 3, 4, 80)),
    ("grad", 2018, "S", "ALL", 200, 200, 95.0, 1.0, {}, (5, 4, 5, 40)),
    ("grad", 2018, "S", "ALL", 200, 200, 90.0, -5.0, {}, (4, 2, 3, 70)),    # -5.0 is Declined
    ("grad", 2018, "S", "ALL", 200, 200, 90.0, -5.1, {}, (4, 1, 2, 60)),    # below -5.0 is Declined Significantly
    ("grad", 2018, "S", "ALL", 200, 200, 85.0, 4.9, {}, (3, 4, 4, 140)),
    ("grad", 2018, "S", "ALL", 200, 200, 85.0, 5.0, {}, (3, 5, 4, 150)),
    # safety net: population 149 folds Increased Significantly into Increased; 150 does not
    ("grad", 2018, "S", "ALL", 149, 149, 85.0, 6.0, {}, (3, 4, 4, 140)),
    ("grad", 2018, "S", "ALL", 150, 150, 85.0, 6.0, {}, (3, 5, 4, 150)),
    ("grad", 2018, "S", "SWD", 149, 149, 85.0, 6.0, {}, (3, 4, 4, 140)),   # 2018+: every student group
    # DASS table (2018): Low 67.0-69.9, Medium 70.0-79.9; change -10.0 to -3.0 Declined, -2.9 to 2.9 Maintained
    ("grad", 2018, "S", "ALL", 200, 200, 69.9, -10.0, {"dass": True}, (2, 2, 2, 170)),
    ("grad", 2018, "S", "ALL", 200, 200, 70.0, -10.1, {"dass": True}, (3, 1, 2, 110)),
    ("grad", 2018, "S", "ALL", 200, 200, 70.0, 2.9, {"dass": True}, (3, 3, 3, 130)),
    ("grad", 2018, "S", "ALL", 200, 200, 70.0, 3.0, {"dass": True}, (3, 4, 4, 140)),
    ("grad", 2018, "D", "ALL", 200, 200, 70.0, 0.0, {"coe": True}, (3, 3, 3, 130)),   # COE district: DASS cuts
    ("grad", 2018, "D", "ALL", 200, 200, 70.0, 0.0, {}, (2, 3, 2, 180)),              # other district: traditional
    # Foster and Homeless: colour from n = 15 at LEA and state level, 30 at schools
    ("grad", 2018, "D", "FOS", 15, 15, 90.0, 0.0, {}, (4, 3, 4, 80)),
    ("grad", 2018, "D", "FOS", 14, 15, 90.0, 0.0, {}, (4, 3, 0, 0)),
    ("grad", 2018, "D", "HOM", 15, 14, 90.0, 0.0, {}, (4, 3, 0, 0)),
    ("grad", 2018, "X", "HOM", 15, 15, 90.0, 0.0, {}, (4, 3, 4, 80)),
    ("grad", 2018, "S", "FOS", 15, 15, 90.0, 0.0, {}, (4, 3, 0, 0)),
    ("grad", 2018, "S", "ALL", 30, 29, 90.0, 0.0, {}, (4, 3, 0, 0)),     # prior n 29: change level, no colour
    ("grad", 2018, "S", "ALL", 29, 30, 90.0, 0.0, {}, (4, 3, 0, 0)),     # n 29: status level, no colour
    ("grad", 2018, "S", "ALL", 10, 30, None, None, {}, (0, 0, 0, 0)),    # n 10: no status published
    # graduation Fall 2017: the safety net applied to All Students only; Low 67.0-84.9, Medium 85.0-89.9
    ("grad", 2017, "S", "ALL", 100, 100, 85.0, 6.0, {}, (3, 4, 4, 140)),
    ("grad", 2017, "S", "SWD", 100, 100, 85.0, 6.0, {}, (3, 5, 4, 150)),
    ("grad", 2017, "S", "ALL", 200, 200, 84.9, 0.0, {}, (2, 3, 2, 180)),
    # chronic absenteeism (lower is better: level 5 = Very Low, change level 1 = Increased Significantly)
    ("chronic", 2019, "S", "ALL", 200, 200, 2.5, 0.0, {}, (5, 3, 5, 30)),
    ("chronic", 2019, "S", "ALL", 200, 200, 2.6, 0.0, {}, (4, 3, 4, 80)),
    ("chronic", 2019, "S", "ALL", 200, 200, 20.0, 3.0, {}, (2, 2, 2, 170)),   # 2019: 0.5 to 3.0 is Increased
    ("chronic", 2019, "S", "ALL", 200, 200, 20.1, 3.1, {}, (1, 1, 1, 210)),
    ("chronic", 2019, "S", "ALL", 200, 200, 10.0, -0.5, {}, (3, 4, 4, 140)),
    ("chronic", 2019, "S", "ALL", 200, 200, 10.1, -3.0, {}, (2, 5, 3, 200)),
    ("chronic", 2019, "S", "ALL", 200, 200, 2.5, 3.0, {}, (5, 2, 4, 20)),
    ("chronic", 2018, "S", "ALL", 200, 200, 2.5, 3.0, {}, (5, 1, 3, 10)),     # 2018: 3.0 or more is Inc. Sig.
    ("chronic", 2018, "S", "ALL", 200, 200, 5.0, 0.4, {}, (4, 3, 4, 80)),
    # 2022: Status only, and no status level below 30 students
    # 2022: Status only; CDE's files give a status level from n = 11 (real 2022 samples), accountability from 30
    ("chronic", 2022, "S", "ALL", 10, None, None, None, {}, (0, None, None, None)),   # under 11: no status
    ("chronic", 2022, "S", "ALL", 11, None, 10.0, None, {}, (3, None, None, None)),
    ("chronic", 2022, "S", "ALL", 30, None, 10.0, None, {}, (3, None, None, None)),
    # suspension: six tables by type (lower is better)
    ("susp", 2019, "S", "ALL", 300, 300, 0.5, 0.0, {"type": "ES"}, (5, 3, 5, 30)),
    ("susp", 2019, "S", "ALL", 300, 300, 0.6, 0.0, {"type": "ES"}, (4, 3, 4, 80)),
    ("susp", 2019, "S", "ALL", 300, 300, 6.0, 3.0, {"type": "HS"}, (3, 2, 2, 120)),   # HS: 0.3-3.0 Increased
    ("susp", 2019, "S", "ALL", 300, 300, 6.1, 3.1, {"type": "HS"}, (2, 1, 1, 160)),   # HS: above 3.0 Inc. Sig.
    ("susp", 2019, "D", "ALL", 300, 300, 2.0, 2.1, {"type": "UD"}, (4, 1, 2, 60)),    # UD Low / Inc. Sig.: Orange
    ("susp", 2019, "S", "ALL", 300, 300, 0.6, 2.1, {"type": "ES"}, (4, 1, 0, 0)),     # ES Low / Inc. Sig.: N/A
    ("susp", 2019, "S", "ALL", 300, 300, 12.1, -3.0, {"type": "MS"}, (1, 5, 3, 250)),
    # ELA 2019: grades 3-8 and high-school tables
    *[("ela", 2019, "S", "ALL", 200, 200, s, 0.0, {"hs": False}, (lv, 3, c, box)) for s, lv, c, box in
      ((-70.1, 1, 1, 230), (-70.0, 2, 2, 180), (-5.1, 2, 2, 180), (-5.0, 3, 3, 130), (9.9, 3, 3, 130),
       (10.0, 4, 4, 80), (44.9, 4, 4, 80), (45.0, 5, 5, 30))],
    *[("ela", 2019, "S", "ALL", 200, 200, 20.0, ch, {"hs": False}, (4, lv, c, box)) for ch, lv, c, box in
      ((-15.1, 1, 4, 60), (-15.0, 2, 4, 70), (-3.0, 2, 4, 70), (-2.9, 3, 4, 80), (2.9, 3, 4, 80), (3.0, 4, 4, 90),
       (14.9, 4, 4, 90), (15.0, 5, 5, 100))],
    ("ela", 2019, "S", "ALL", 200, 200, -45.1, 0.0, {"hs": True}, (1, 3, 1, 230)),
    ("ela", 2019, "S", "ALL", 200, 200, -45.0, 0.0, {"hs": True}, (2, 3, 2, 180)),
    ("ela", 2019, "S", "ALL", 200, 200, 75.0, 0.0, {"hs": True}, (5, 3, 5, 30)),
    ("ela", 2019, "S", "ALL", 200, 200, -80.0, 3.0, {"hs": False}, (1, 4, 2, 240)),   # Very Low / Increased: Orange
    # ELPI Fall 2017: Very Low < 60.0; change -10.0 to -1.5 Declined, -1.4 to 1.4 Maintained
    ("elpi", 2017, "S", "EL", 100, 100, 59.9, -1.5, {}, (1, 2, 1, 220)),
    ("elpi", 2017, "S", "EL", 100, 100, 60.0, -1.4, {}, (2, 3, 2, 180)),
    ("elpi", 2017, "S", "EL", 100, 100, 60.0, 1.5, {}, (2, 4, 3, 190)),
    ("elpi", 2017, "S", "EL", 100, 29, 60.0, 1.5, {}, (2, 4, 0, 0)),     # prior-year testers 29: no colour
    ("elpi", 2017, "S", "EL", 100, 100, 60.0, 1.5, {"testers": (29, 100)}, (2, 4, 0, 0)),  # 100 students, 29 testers
    ("elpi", 2017, "S", "EL", 100, 100, 60.0, 1.5, {"testers": (30, 30)}, (2, 4, 3, 190)),
    # ---- rules_audit.md part A and C, each on both sides of its boundary
    # A8 graduation 2019+: Medium 80.0-90.4, High from 90.5
    ("grad", 2019, "S", "ALL", 200, 200, 90.4, 0.0, {}, (3, 3, 3, 130)),
    ("grad", 2019, "S", "ALL", 200, 200, 90.5, 0.0, {}, (4, 3, 4, 80)),
    ("grad", 2024, "S", "ALL", 200, 200, 90.4, 0.0, {}, (3, 3, 3, 130)),
    ("grad", 2024, "S", "ALL", 200, 200, 90.5, 0.0, {}, (4, 3, 4, 80)),
    # A9 DASS schools and COE districts: the DASS table in 2019, the traditional one from 2022
    ("grad", 2019, "S", "ALL", 200, 200, 94.7, 0.0, {"dass": True}, (5, 3, 5, 30)),
    ("grad", 2024, "S", "ALL", 200, 200, 94.7, 0.0, {"dass": True}, (4, 3, 4, 80)),
    ("grad", 2019, "S", "ALL", 200, 200, 70.0, -7.1, {"dass": True}, (3, 2, 2, 120)),
    ("grad", 2024, "S", "ALL", 200, 200, 70.0, -7.1, {"dass": True}, (2, 1, 1, 160)),
    ("grad", 2019, "D", "ALL", 200, 200, 70.0, 0.0, {"coe": True}, (3, 3, 3, 130)),
    ("grad", 2024, "D", "ALL", 200, 200, 70.0, 0.0, {"coe": True}, (2, 3, 2, 180)),
    ("grad", 2022, "S", "ALL", 200, None, 71.7, None, {"dass": True}, (2, None, None, None)),
    # A10 suspension, high-school districts: status 1.5 / 3.5 / 6.0 / 9.0, change +-0.5 and +-3.0
    ("susp", 2019, "D", "ALL", 300, 300, 1.5, 0.0, {"type": "HD"}, (5, 3, 5, 30)),
    ("susp", 2019, "D", "ALL", 300, 300, 1.6, 0.0, {"type": "HD"}, (4, 3, 4, 80)),
    ("susp", 2019, "D", "ALL", 300, 300, 3.5, 0.0, {"type": "HD"}, (4, 3, 4, 80)),
    ("susp", 2019, "D", "ALL", 300, 300, 3.6, 0.0, {"type": "HD"}, (3, 3, 3, 130)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, 0.4, {"type": "HD"}, (3, 3, 3, 130)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, 0.5, {"type": "HD"}, (3, 2, 2, 120)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, 3.0, {"type": "HD"}, (3, 2, 2, 120)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, 3.1, {"type": "HD"}, (3, 1, 2, 110)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, -0.5, {"type": "HD"}, (3, 4, 4, 140)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, -2.9, {"type": "HD"}, (3, 4, 4, 140)),
    ("susp", 2024, "D", "ALL", 300, 300, 5.0, -3.0, {"type": "HD"}, (3, 5, 4, 150)),
    # C4: HD Low / Increased Significantly is Orange, as UD (ES: N/A, case above)
    ("susp", 2024, "D", "ALL", 300, 300, 3.4, 3.1, {"type": "HD"}, (4, 1, 2, 60)),
    # A11 CCI safety net: folded from 2024 (n 41 < 150; 150 not); 2019 folds the colour and box only
    ("cci", 2024, "D", "FI", 41, 41, 65.9, -13.3, {}, (4, 2, 3, 70)),
    ("cci", 2024, "D", "FI", 150, 150, 65.9, -13.3, {}, (4, 1, 2, 60)),
    ("cci", 2019, "S", "ALL", 100, 100, 65.9, -13.3, {}, (4, 1, 3, 70)),
    ("cci", 2018, "S", "ALL", 100, 100, 65.9, -13.3, {}, (4, 1, 2, 60)),    # 2018: no CCI safety net
    # A12 ELO, RFP, EO, SBA, CAA: levels but no colour; EL beside them is coloured
    ("ela", 2019, "S", "ELO", 200, 200, 20.0, 0.0, {}, (4, 3, 0, 0)),
    ("ela", 2019, "S", "EO", 200, 200, 20.0, 0.0, {}, (4, 3, 0, 0)),
    ("math", 2019, "S", "CAA", 200, 200, 20.0, 0.0, {}, (4, 3, 0, 0)),
    ("ela", 2019, "S", "EL", 200, 200, 20.0, 0.0, {}, (4, 3, 4, 80)),
    # A13 science 2025: status 35 / 45 / 55 / 65, change -5.0 Declined, -5.1 Declined Significantly, 5.0 Inc. Sig.
    ("science", 2025, "S", "ALL", 200, 200, 43.4, 1.9, {}, (2, 3, 2, 180)),
    ("science", 2025, "S", "ALL", 200, 200, 34.9, 0.0, {}, (1, 3, 1, 230)),
    ("science", 2025, "S", "ALL", 200, 200, 35.0, 0.0, {}, (2, 3, 2, 180)),
    ("science", 2025, "S", "ALL", 200, 200, 45.0, 0.0, {}, (3, 3, 3, 130)),
    ("science", 2025, "S", "ALL", 200, 200, 50.0, 5.0, {}, (3, 5, 4, 150)),
    ("science", 2025, "S", "ALL", 200, 200, 50.0, 4.9, {}, (3, 4, 4, 140)),
    ("science", 2025, "S", "ALL", 200, 200, 50.0, -5.0, {}, (3, 2, 3, 120)),
    ("science", 2025, "S", "ALL", 200, 200, 50.0, -5.1, {}, (3, 1, 3, 110)),
    ("science", 2025, "S", "CAA", 200, 200, 50.0, 0.0, {}, (3, 3, 0, 0)),
    # A15 graduation small denominators 2023+: the unfolded change level published, colour and box folded
    ("grad", 2024, "S", "ALL", 100, 100, 85.0, 13.7, {}, (3, 5, 4, 140)),
    ("grad", 2024, "S", "ALL", 150, 150, 85.0, 13.7, {}, (3, 5, 4, 150)),
    ("grad", 2019, "S", "ALL", 100, 100, 85.0, 13.7, {}, (3, 4, 4, 140)),
    # A17 suspension non-certifiers are assigned a High status
    ("susp", 2022, "S", "ALL", 300, None, 0.5, None, {"type": "ES", "certify": "Y"}, (2, None, None, None)),
    ("susp", 2022, "S", "ALL", 300, None, 0.5, None, {"type": "ES"}, (5, None, None, None)),
    ("susp", 2024, "S", "ALL", 300, 300, 0.5, 0.0, {"type": "ES", "certify": "Y"}, (2, 3, 2, 180)),
    # ELPI 2019 and 2022: flag95pct = Y caps the status level at Low, wherever a status is published
    ("elpi", 2019, "S", "EL", 100, None, 96.3, None, {"flag95": "Y"}, (2, None, None, None)),
    ("elpi", 2019, "S", "EL", 100, None, 96.3, None, {}, (5, None, None, None)),
    ("elpi", 2019, "S", "EL", 100, None, 17.6, None, {"flag95": "Y"}, (1, None, None, None)),
    ("elpi", 2022, "S", "EL", 6, None, 33.3, None, {"flag95": "Y"}, (1, None, None, None)),
    ("elpi", 2022, "S", "EL", 6, None, None, None, {}, (0, None, None, None)),   # unflagged under 11: no status
    # C2 ELPI change: -10.0 is Declined, -10.1 Declined Significantly; C3 CCI: -9.0 Declined, -9.1 Dec. Sig.
    ("elpi", 2024, "S", "EL", 100, 100, 50.0, -10.0, {}, (3, 2, 2, 120)),
    ("elpi", 2024, "S", "EL", 100, 100, 50.0, -10.1, {}, (3, 1, 2, 110)),
    ("cci", 2024, "S", "ALL", 200, 200, 50.0, -9.0, {}, (3, 2, 2, 120)),
    ("cci", 2024, "S", "ALL", 200, 200, 50.0, -9.1, {}, (3, 1, 2, 110)),
    # Long-Term English Learners 2024: colour from n = 15 at LEA level, 30 at schools
    ("elpi", 2024, "D", "LTEL", 29, 21, 62.1, 5.3, {}, (4, 4, 4, 90)),
    ("elpi", 2024, "D", "LTEL", 14, 21, 62.1, 5.3, {}, (4, 4, 0, 0)),
    ("elpi", 2024, "S", "LTEL", 29, 44, 62.1, 5.3, {}, (4, 4, 0, 0)),
    ("elpi", 2024, "D", "EL", 29, 44, 62.1, 5.3, {}, (4, 4, 0, 0)),
]


def _case_rows():
    per_file: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for number, (ind, year, rtype, group, n, prior_n, status, change, extra, _expected) in enumerate(CASES):
        school = f"{1000000 + number:07d}" if rtype == "S" else "0000000"
        district = f"{61000 + number:05d}"
        cds = "00000000000000" if rtype == "X" else f"{CASES_COUNTY}{district}{school}"
        row = {
            "cds": cds, "rtype": rtype, "schoolname": f"Case {number}" if rtype == "S" else None,
            "districtname": None if rtype == "X" else f"District {number}", "countyname": "Alameda",
            "charter_flag": None, "coe_flag": "Y" if extra.get("coe") else None,
            "dass_flag": "Y" if extra.get("dass") else None, "type": extra.get("type"),
            "studentgroup": group, "currdenom": n, "priordenom": prior_n,
            # ELPI 2017f counts its colour n-size on annual testers (by default here: the denominators)
            "currtesters": extra.get("testers", (n, prior_n))[0], "priortesters": extra.get("testers", (n, prior_n))[1],
            "currstatus": None if status is None else round(status * 10),
            "change": None if change is None else round(change * 10),
            "priorstatus": None if change is None else round((status - change) * 10),
            "hscutpoints": "Y" if extra.get("hs") else "N",
            "certifyflag": extra.get("certify"), "flag95pct": extra.get("flag95"),
            "statuslevel": 0, "changelevel": 0, "color": 0, "box": 0,
            "reportingyear": "2017f" if year == 2017 else str(year),
        }
        per_file[(ind, year)].append(row)
    return per_file


# the county code (the CDS code's first two digits) of each fixture set in the module's one build
CASES_COUNTY, SWEEP_COUNTY, CONTRADICTED_COUNTY = "01", "02", "03"


def _layout(indicator: str, year: int):
    return next(lay for lay in LAYOUTS if lay.stem == indicator and lay.report_year == year
                and lay.variant in ("all", "grades_3_8"))


COUNTS = ("currdenom", "priordenom", "currstatus", "change", "priorstatus", "currtesters", "priortesters",
          "statuslevel", "changelevel", "color", "box")


def _frame(records: list[dict]) -> pd.DataFrame:
    """Rows of several fixture sets with different columns in one frame: blanks (not NaN) where a set has none."""
    frame = pd.DataFrame(records)
    for col in frame.columns:
        if col in COUNTS:
            frame[col] = pd.array([None if pd.isna(v) else int(v) for v in frame[col]], dtype="Int64")
        else:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


@pytest.fixture(scope="module")
def levels_build(tmp_path_factory) -> Path:
    """One `cadash build` of three fixture sets written into the same release files, each in its own county so
    that no CDS code of one is another's: the hand-worked cases (county 01), the boundary sweep (02) and the
    graduation rows whose reported colours contradict the rules (03). Its folder holds w.duckdb and build.log."""
    folder = tmp_path_factory.mktemp("levels")
    per_file: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for (ind, year), rows in _case_rows().items():
        per_file[(ind, year)] += rows + required_group_rows(_layout(ind, year), rows)
    sweep_records, _expected = _sweep_records()
    for key, rows in sweep_records.items():
        per_file[key] += rows
    per_file[("grad", 2018)] += _contradicted_rows(county=CONTRADICTED_COUNTY)
    con = duckdb.connect()
    for (ind, year), rows in per_file.items():
        layout = _layout(ind, year)
        write_layout(con, _frame(rows), layout, folder / "raw" / str(year) / "public" / layout.file_names[0])
    build_logged(folder, folder / "raw", "the hand-worked level cases, the boundary sweep and the contradicted rows")
    return folder


@pytest.fixture(scope="module")
def cases_warehouse(levels_build) -> Path:
    return levels_build / "w.duckdb"


def test_hand_worked_cases(cases_warehouse):
    con = duckdb.connect(str(cases_warehouse), read_only=True)
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in con.execute(
        "select indicator, report_year, cds, student_group, status_level_computed, change_level_computed, "
        "color_computed, box_computed from marts.fct_indicator_results").fetchall()}
    con.close()
    failures = []
    for number, (ind, year, rtype, group, n, prior_n, status, change, extra, expected) in enumerate(CASES):
        school = f"{1000000 + number:07d}" if rtype == "S" else "0000000"
        cds = "00000000000000" if rtype == "X" else f"{CASES_COUNTY}{61000 + number:05d}{school}"
        got_row = got[(ind, year, cds, group)]
        if got_row != expected:
            failures.append(f"case {number} {ind} {year} {rtype} {group} n={n}/{prior_n} status={status} "
                            f"change={change} {extra}: got {got_row}, want {expected}")
    assert failures == []


def test_reasons_for_no_colour(cases_warehouse):
    con = duckdb.connect(str(cases_warehouse), read_only=True)
    reasons = dict(con.execute(
        "select cds || '/' || student_group, color_ineligible_reason from marts.fct_indicator_results "
        "where indicator = 'grad' and report_year = 2018").fetchall())
    chronic22 = {r[0] for r in con.execute(
        "select color_ineligible_reason from marts.fct_indicator_results where report_year = 2022 "
        f"and cds like '{CASES_COUNTY}%'").fetchall()}
    con.close()

    def reason(number: int, group: str, rtype: str = "S") -> str:
        school = f"{1000000 + number:07d}" if rtype == "S" else "0000000"
        return reasons[f"{CASES_COUNTY}{61000 + number:05d}{school}/{group}"]

    def case(*fields) -> int:
        return next(i for i, c in enumerate(CASES) if c[:8] == fields)

    assert reason(case("grad", 2018, "D", "FOS", 14, 15, 90.0, 0.0), "FOS", "D") == "n = 14 is below 15 for a colour"
    assert reason(case("grad", 2018, "S", "FOS", 15, 15, 90.0, 0.0), "FOS") == "n = 15 is below 30 for a colour"
    assert reason(case("grad", 2018, "S", "ALL", 30, 29, 90.0, 0.0), "ALL") == "prior-year n = 29 is below 30"
    assert reason(case("grad", 2018, "S", "ALL", 10, 30, None, None), "ALL") == "no status published (n = 10)"
    assert chronic22 == {"status only in 2022"}


def test_uncoloured_groups_say_why(cases_warehouse):
    con = duckdb.connect(str(cases_warehouse), read_only=True)
    got = dict(con.execute(
        "select student_group, color_ineligible_reason from marts.fct_indicator_results "
        "where indicator = 'ela' and report_year = 2019 and student_group in ('ELO', 'EO', 'EL') "
        "and cds like '0161%' and curr_denominator = 200").fetchall())
    con.close()
    assert got == {"ELO": "ELO gets status and change levels but no colour (seed uncoloured_student_groups)",
                   "EO": "EO gets status and change levels but no colour (seed uncoloured_student_groups)",
                   "EL": None}


# ------------------------------------------------------------------ the real CDE files


@pytest.fixture(scope="module")
def real(bundled_warehouse):
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    yield con
    con.close()


def _exceptions() -> set[tuple[str, str, str]]:
    with (FIXTURES / "reconciliation_exceptions.csv").open(newline="") as handle:
        return {(r["source_file"], r["cds"], r["student_group"]) for r in csv.DictReader(handle)}


@pytest.mark.parametrize("source_file", ["graddownload2017f.txt", "elpidownload2017f.txt"])
def test_real_2017_files_reconcile(real, source_file):
    coloured, agree = real.execute(
        "select count(*), count(*) filter (where status_level = status_level_computed and "
        "change_level = change_level_computed and color = color_computed and box = box_computed) "
        "from marts.fct_indicator_results where source_file = ? and color > 0", [source_file]).fetchall()[0]
    assert coloured > 5000 and agree / coloured >= 0.995
    disagreeing = {(source_file, r[0], r[1]) for r in real.execute(
        "select cds, student_group from marts.fct_level_disagreements where source_file = ?", [source_file]
    ).fetchall()}
    assert disagreeing == {e for e in _exceptions() if e[0] == source_file}  # each one explained in the fixture


def test_real_2017_cci_status_levels(real):
    rows, agree = real.execute(
        "select count(*), count(*) filter (where status_level = status_level_computed) "
        "from marts.fct_indicator_results where source_file = 'ccidownload2017f.txt'").fetchall()[0]
    assert rows == 22978 and agree == rows


def test_lower_is_better_indicators_run_the_right_way(cases_warehouse):
    con = duckdb.connect(str(cases_warehouse), read_only=True)
    rows = con.execute(
        "select curr_status, status_level_computed, color_computed from marts.fct_indicator_results "
        f"where indicator = 'chronic' and report_year = 2019 and change = 0 and cds like '{CASES_COUNTY}%' "
        "order by curr_status").fetchall()
    con.close()
    # the higher the absenteeism, the lower the level and the colour
    assert [r[1] for r in rows] == sorted([r[1] for r in rows], reverse=True)
    assert rows[0][1:] == (5, 5)  # 2.5 %: Very Low, Blue


def _contradicted_rows(county: str) -> list[dict]:
    """40 graduation 2018 schools whose reported colour contradicts the rules (a Very Low rate reported Blue)."""
    return [{"cds": f"{county}61259{1000000 + i:07d}", "rtype": "S", "schoolname": f"School {i}",
             "districtname": "Oakland Unified", "countyname": "Alameda", "studentgroup": "ALL",
             "currdenom": 200, "priordenom": 200, "currstatus": 600, "priorstatus": 600, "change": 0,
             "statuslevel": 1, "changelevel": 3, "color": 5, "box": 230, "reportingyear": "2018"} for i in range(40)]


def test_a_cde_release_below_its_reconciliation_threshold_publishes_with_a_warning(levels_build):
    """Reported colours that contradict the rules, in CDE's files (the module's build; its other rows are
    uncoloured, so the 40 contradicted ones are the whole grad 2018 count): the release must not be refused (the
    determinations use CDE's levels): the check `level_reconciliation` warns and the build publishes, saying so
    in its summary."""
    out = (levels_build / "build.log").read_text()
    warnings = out[out.index("WARNINGS ("):]
    assert "marts/fct_level_reconciliation / level_reconciliation (WARN)" in warnings
    assert "published anyway (CDE's levels decide)" in warnings and "2018-public grad: 0/40 < 0.995" in warnings
    assert (levels_build / "published" / "2018-public" / "manifest.json").is_file()


def test_a_generated_release_below_its_reconciliation_threshold_fails(tmp_path, capsys):
    """The same rows in generated releases (our own rules made the levels): the difference is a defect, the
    check blocks and the build fails."""
    from orchestration import settings as app_settings

    raw, layout = tmp_path / "raw", _layout("grad", 2018)
    write_layout(duckdb.connect(), pd.DataFrame(_contradicted_rows(county=CASES_COUNTY)), layout,
                 raw / "2018" / "public" / layout.file_names[0])
    (raw / app_settings.GENERATED_MARKER).write_text("{}")
    code = main(["build", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w.duckdb")])
    _out, err = capsys.readouterr()
    assert code == 1
    assert "check failed: marts/fct_level_reconciliation / level_reconciliation" in err


# ------------------------------------------------------------------ every boundary of every indicator, table and year

SELECTORS = {  # a row's selector values that choose each cut-point table
    "grades_3_8": {"hscutpoints": "N"}, "high_school": {"hscutpoints": "Y"},
    "ES": {"type": "ES"}, "MS": {"type": "MS"}, "HS": {"type": "HS"}, "UD": {"type": "UD"}, "ED": {"type": "ED"},
    "HD": {"type": "HD"}, "traditional": {}, "dass": {"dass_flag": "Y"}, "all": {},
}


def _boundaries(rows, indicator, table, year) -> list[int]:
    from orchestration.rules import to_tenths

    values = set()
    for r in rows:
        if r["indicator"] == indicator and r["cut_table"] in (table, "*") \
                and int(r["first_year"]) <= year <= int(r["last_year"]):
            for bound in (r["min_value"], r["max_value"]):
                if bound != "":
                    b = to_tenths(float(bound))
                    values.update((b - 1, b, b + 1))
    return sorted(values)


def _sweep_rows():
    from orchestration.rules import default_rules

    rules = default_rules()
    tables = {(r["indicator"], r["cut_table"], y) for r in rules.status_rows
              for y in range(int(r["first_year"]), int(r["last_year"]) + 1)}
    per_file: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for indicator, table, year in sorted(tables):
        reporting = rules.reporting(indicator, year)
        if reporting not in ("colour", "status_only"):
            continue
        if rules.cut_table(indicator, year, hscutpoints=SELECTORS[table].get("hscutpoints"),
                           type_code=SELECTORS[table].get("type"),
                           dass_flag=SELECTORS[table].get("dass_flag")) != table:
            continue  # e.g. the DASS table before 2018
        mid = next(b for b in _boundaries(rules.status_rows, indicator, table, year))  # a status with a level
        pairs = [(s, 0) for s in _boundaries(rules.status_rows, indicator, table, year)]
        if reporting == "colour":
            pairs += [(mid + 50, c) for c in _boundaries(rules.change_rows, indicator, table, year)]
        for status, change in pairs:
            if indicator in ("chronic", "susp", "grad", "elpi", "cci") and not (0 <= status <= 1000
                                                                                 and 0 <= status - change <= 1000):
                continue  # a rate outside 0-100 % cannot occur
            per_file[(indicator, year)].append({
                "table": table, "currstatus": status, "change": change if reporting == "colour" else None,
                "priorstatus": status - change if reporting == "colour" else None, **SELECTORS[table]})
    return per_file


@cache   # the build writes the rows, the sweep test reads what each is: one computation
def _sweep_records() -> tuple[dict[tuple[str, int], list[dict]], list[tuple]]:
    """The sweep's rows per (indicator, year) file, in SWEEP_COUNTY, and what each row is: (indicator, year, cds,
    group, cut table, status, change). Callers do not change them."""
    number = 0
    per_file: dict[tuple[str, int], list[dict]] = defaultdict(list)
    expected_rows = []
    for (indicator, year), rows in _sweep_rows().items():
        for row in rows:
            number += 1
            cds = f"{number // 10000000 + int(SWEEP_COUNTY):02d}61000{number % 10000000:07d}"
            group = "EL" if indicator == "elpi" else "ALL"
            per_file[(indicator, year)].append({
                "cds": cds, "rtype": "S", "schoolname": f"Sweep {number}", "districtname": "Sweep",
                "countyname": "Alpine", "studentgroup": group, "currdenom": 200, "priordenom": 200,
                "currtesters": 200, "priortesters": 200, "statuslevel": 0, "changelevel": 0, "color": 0, "box": 0,
                "reportingyear": "2017f" if year == 2017 else str(year),
                **{k: v for k, v in row.items() if k != "table"}})
            expected_rows.append((indicator, year, cds, group, row["table"], row["currstatus"], row["change"]))
    return per_file, expected_rows


@pytest.fixture(scope="module")
def sweep(levels_build):
    return levels_build / "w.duckdb", _sweep_records()[1]


def test_sql_and_numpy_engines_agree_at_every_boundary(sweep):
    """The SQL rules (dbt) and the numpy rules (generator) read the same seeds; at every boundary of every
    indicator, cut-point table and year they must give the same status level, change level and colour."""
    import numpy as np

    from orchestration.rules import assign_levels, default_rules

    warehouse, expected_rows = sweep
    con = duckdb.connect(str(warehouse), read_only=True)
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in con.execute(
        "select indicator, report_year, cds, student_group, cut_table, status_level_computed, "
        "change_level_computed, color_computed from marts.fct_indicator_results").fetchall()}
    con.close()
    rules = default_rules()
    by_key = defaultdict(list)
    for row in expected_rows:
        by_key[(row[0], row[1], row[4])].append(row)
    checked, failures = 0, []
    for (indicator, year, table), rows in by_key.items():
        n = len(rows)
        out = assign_levels(
            rules, indicator, year, cut_table=np.array([table] * n), entity_type=np.array(["school"] * n),
            student_group=np.array([r[3] for r in rows]), curr_denom=np.full(n, 200), prior_denom=np.full(n, 200),
            status=np.array([r[5] for r in rows]), status_known=np.ones(n, dtype=bool),
            change=np.array([r[6] or 0 for r in rows]), change_known=np.array([r[6] is not None for r in rows]))
        colour_year = rules.reporting(indicator, year) == "colour"
        for i, row in enumerate(rows):
            sql = got[(indicator, year, row[2], row[3])]
            want = (table, int(out["status_level"][i]),
                    int(out["change_level"][i]) if colour_year else None,
                    int(out["color"][i]) if colour_year else None)
            checked += 1
            if sql != want:
                failures.append(f"{indicator} {year} {table} status={row[5]} change={row[6]}: sql {sql}, numpy {want}")
    assert failures == []
    assert checked > 2000
    assert {k[0] for k in by_key} == {"ela", "math", "chronic", "susp", "grad", "elpi", "cci", "science"}
