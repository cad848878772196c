"""The hand-worked DA and ESSA releases: LEAs and schools for every rule and year variant, on both sides of each
condition (dashboard_methodology.md §3 and §4), written as small fixture releases. Built once per test session by
conftest's `hand_worked_warehouse` for the eligibility and PostgreSQL tests.

Colours: 1 Red, 2 Orange, 3 Yellow, 4 Green, 5 Blue; status levels 1 = worst (Very Low, or Very High for chronic
absenteeism and suspension). Each case says the rule it exercises."""

from __future__ import annotations

from tests.support.eligibility_fixtures import FixtureReleases

RED, ORANGE, YELLOW, GREEN, BLUE = 1, 2, 3, 4, 5


def lea(n: int) -> str:
    return f"01{61000 + n:05d}0000000"


def school(n: int, district: int = 900) -> str:
    return f"01{61000 + district:05d}{2000000 + n:07d}"


def _da_cases(f: FixtureReleases) -> None:
    # --- 2023 (colour year): Method 1 on both sides
    f.result(2023, lea(1), "ela", "SWD", RED)          # P4: Red + Orange
    f.result(2023, lea(1), "math", "SWD", ORANGE)
    f.result(2023, lea(1), "chronic", "SWD", RED)      # P5 -> two areas: eligible, code B
    f.result(2023, lea(2), "ela", "SWD", RED)          # P4 not met: Red + Yellow
    f.result(2023, lea(2), "math", "SWD", YELLOW)
    f.result(2023, lea(2), "chronic", "SWD", RED)      # P5 only: not eligible; near miss (math one worse)
    f.result(2023, lea(3), "elpi", "EL", RED)          # EL: P4 through ELPI
    f.result(2023, lea(3), "susp", "SED", RED)         # SED: P6 -> two groups, one area each: not eligible
    f.result(2023, lea(4), "cci", "AA", 1)             # 2023 CCI has Status only: Very Low = P8
    f.result(2023, lea(4), "susp", "AA", RED)          # P6 -> eligible, code G
    # --- local indicators (2023): Method 2 and Method 3, and Method 3's "different priority area"
    f.result(2023, lea(5), "ela", "WH", GREEN)
    f.local_indicator(2023, lea(5), 1, "Not Met for Two or More Years")
    f.local_indicator(2023, lea(5), 2, "Not Met for Two or More Years")   # two local: Method 2
    f.result(2023, lea(6), "chronic", "SWD", RED)                          # P5 ...
    f.local_indicator(2023, lea(6), 2, "Not Met for Two or More Years")   # ... + local P2: Method 3
    f.result(2023, lea(7), "susp", "SWD", RED)                             # P6 ...
    f.local_indicator(2023, lea(7), 6, "Not Met for Two or More Years")   # ... + local P6, same area: no
    f.result(2023, lea(8), "chronic", "SWD", RED)
    f.local_indicator(2023, lea(8), 2, "Not Met")                          # one year only: no
    # --- county office: priorities 9 and 10 (COE only)
    f.result(2023, lea(9), "ela", "ALL", GREEN, coe=True)
    f.local_indicator(2023, lea(9), 9, "Not Met for Two or More Years")
    f.local_indicator(2023, lea(9), 10, "Not Met for Two or More Years")
    # --- foster youth n-size: 15 at an LEA (colour), 30 at a school (a charter: no colour)
    f.result(2023, lea(10), "chronic", "FOS", RED, n=20)
    f.result(2023, lea(10), "susp", "FOS", RED, n=20)
    f.result(2023, school(10), "chronic", "FOS", RED, n=20, charter=True)
    f.result(2023, school(10), "susp", "FOS", RED, n=20, charter=True)
    # --- charters: two consecutive years (2022 Status only, then 2023)
    for year, rating in ((2022, 1), (2023, RED)):
        f.result(year, school(11), "chronic", "HI", rating, charter=True)
        f.result(year, school(11), "susp", "HI", rating, charter=True)
    f.result(2022, school(12), "chronic", "HI", 3, charter=True)    # 2022: not met
    f.result(2023, school(12), "chronic", "HI", RED, charter=True)  # 2023: met, one year only
    f.result(2023, school(12), "susp", "HI", RED, charter=True)
    # --- 2022 Status only: Very Low on ELA and math; Very High suspension
    f.result(2022, lea(13), "ela", "HI", 1)
    f.result(2022, lea(13), "math", "HI", 1)
    f.result(2022, lea(13), "susp", "HI", 1)           # eligible (P4 + P6), code D
    f.result(2022, lea(14), "ela", "HI", 1)
    f.result(2022, lea(14), "math", "HI", 2)           # Low: P4 not met in 2022 (both must be Very Low)
    f.result(2022, lea(14), "chronic", "HI", 1)        # P5 only: not eligible
    f.local_indicator(2022, lea(14), 1, "Not Met for Two or More Years")  # not used in 2022
    # --- 2024: LTEL academic and ELPI count; Year 2 for lea(1) (eligible 2023, not 2024)
    f.result(2024, lea(1), "ela", "SWD", GREEN)
    f.result(2024, lea(15), "ela", "LTEL", RED)
    f.result(2024, lea(15), "math", "LTEL", RED)
    f.result(2024, lea(15), "chronic", "LTEL", RED)    # P4 + P5 for LTEL in 2024: eligible
    # --- 2025: LTEL: ELA and math no longer count; ELPI Red or Orange counts
    f.result(2025, lea(16), "ela", "LTEL", RED)
    f.result(2025, lea(16), "math", "LTEL", RED)
    f.result(2025, lea(16), "chronic", "LTEL", RED)    # only P5: not eligible
    f.result(2025, lea(17), "elpi", "LTEL", ORANGE)
    f.result(2025, lea(17), "susp", "LTEL", RED)       # P4 (LTEL Orange) + P6: eligible
    f.result(2025, lea(18), "elpi", "EL", ORANGE)
    f.result(2025, lea(18), "susp", "EL", RED)         # EL Orange is not enough: not eligible
    # --- Fall 2017: ELPI Red (EL group) + graduation Red; CCI has Status only, so its Very Low is not P8
    f.result(2017, lea(21), "elpi", "EL", RED)
    f.result(2017, lea(21), "grad", "EL", RED)         # P4 + P5: eligible
    f.result(2017, lea(22), "cci", "SWD", 1)
    f.result(2017, lea(22), "grad", "SWD", RED)        # P5 only (no CCI colour in 2017): not eligible
    # --- 2018: local indicator Not Met in 2017 and 2018 counts as two years (the files say only Not Met)
    f.result(2018, lea(23), "chronic", "AA", RED)      # P5 ...
    for year in (2017, 2018):
        f.local_indicator(year, lea(23), 3, "Not Met")  # ... + P3 Not Met both years: Method 3
    f.result(2018, lea(24), "chronic", "AA", RED)
    f.local_indicator(2018, lea(24), 3, "Not Met")     # 2018 only: not two years
    # --- 2019: ELPI Status Very Low (EL), CCI Red
    f.result(2019, lea(19), "elpi", "EL", 1)
    f.result(2019, lea(19), "grad", "EL", RED)         # P4 + P5: eligible
    f.result(2019, lea(20), "cci", "SWD", RED)
    f.result(2019, lea(20), "chronic", "SWD", RED)     # P8 + P5: eligible, code F
    # --- county offices are not evaluated in 2017 (rules audit A7); the same results make one eligible in 2018
    f.result(2017, lea(25), "elpi", "EL", RED, coe=True)
    f.result(2017, lea(25), "grad", "EL", RED, coe=True)   # P4 + P5, but no 2017 row for a county office
    f.result(2018, lea(25), "ela", "EL", RED, coe=True)
    f.result(2018, lea(25), "math", "EL", RED, coe=True)
    f.result(2018, lea(25), "chronic", "EL", RED, coe=True)  # P4 + P5 in 2018: eligible


def _essa_cases(f: FixtureReleases) -> None:
    def all_students(year, n, ratings, title_i=True, group="ALL"):
        for indicator, rating in ratings.items():
            f.result(year, school(n, 800), indicator, group, rating)
        if group == "ALL":
            f.title(year, school(n, 800), title_i)

    red4 = {"ela": RED, "math": RED, "chronic": RED, "susp": RED}
    all_students(2023, 1, red4)                                              # all Red -> CSI LP
    all_students(2023, 2, red4, title_i=False)                               # not Title I -> GA
    all_students(2023, 3, {"ela": RED, "math": RED, "susp": ORANGE})         # all Red but one
    all_students(2023, 4, {"ela": RED, "math": ORANGE, "susp": ORANGE, "chronic": YELLOW})  # none; near miss
    all_students(2023, 5, {"ela": RED, "math": RED, "chronic": RED, "susp": GREEN, "elpi": BLUE})  # majority
    all_students(2023, 6, {"ela": RED, "math": RED, "chronic": GREEN, "susp": GREEN, "elpi": GREEN})  # 2 of 5
    all_students(2023, 7, {"ela": RED})                # All Students: one rated indicator, Red, is enough (A1)
    for year, rating in ((2022, 1), (2023, RED)):         # a student group needs two (A1): not ATSI
        f.result(year, school(23, 800), "ela", "SWD", rating)
    all_students(2023, 24, {"ela": RED, "math": RED})                        # CSI LP and ...
    f.result(2023, school(24, 800), "grad", "ALL", grad=(60, 100, 70, 100))  # ... CSI Grad: CSI Grad (A2)
    for indicator in ("ela", "math"):                                          # ATSI in 2022 (EL) ...
        f.result(2022, school(25, 800), indicator, "EL", 1)
    all_students(2023, 25, red4)                                               # ... CSI LP in 2023: ATSIEXIT (A3)
    for n in (26, 27):                                  # ATSI 2023 on SWD (2022 and 2023)
        for year, rating in ((2022, 1), (2023, RED)):
            for indicator in ("ela", "math"):
                f.result(year, school(n, 800), indicator, "SWD", rating)
        for indicator in ("ela", "math"):               # 2024: SWD no longer meets a criterion
            f.result(2024, school(n, 800), indicator, "SWD", GREEN)
    for indicator in ("ela", "math"):                   # school 26: HI meets one in 2024, so ATSI stays (A4);
        f.result(2024, school(26, 800), indicator, "HI", RED)    # school 27: none does, so it exits
    f.result(2022, school(28, 800), "grad", "ALL", grad=(60, 100, None, None))  # 2022: 2020, 2021 missing (A5)
    f.result(2022, school(32, 800), "grad", "ALL", grad=(60, 100, None, None))  # 60.0 alone, but with ...
    f.cohort(2020, school(32, 800), 100, 80)                                     # ... 2020 and 2021 from the
    f.cohort(2021, school(32, 800), 100, 80)                                     # reference input: 73.3, not CSI
    for n, elpi in ((29, 1), (31, 2)):                  # 2019: ELPI Very Low stands for Red (A14)
        all_students(2019, n, {"ela": RED, "math": RED, "chronic": GREEN, "susp": GREEN})
        f.result(2019, school(n, 800), "elpi", "EL", elpi)
    # graduation: pooled over two years
    f.result(2023, school(8, 800), "grad", "ALL", grad=(60, 100, 70, 100))   # 130/200 = 65.0 < 68: CSI Grad
    f.result(2023, school(9, 800), "grad", "ALL", grad=(30, 60, 170, 200))   # mean 67.5, pooled 76.9: no
    f.result(2023, school(10, 800), "grad", "ALL", grad=(10, 50, 5, 29))     # prior cohort 29: no
    f.result(2023, school(11, 800), "grad", "ALL", grad=(135, 200, 137, 200))  # 68.0: not below 68: no
    # ATSI 2023 needs the group in 2022 (Status) and 2023
    for year, rating in ((2022, 1), (2023, RED)):
        f.result(year, school(12, 800), "ela", "SWD", rating)
        f.result(year, school(12, 800), "math", "SWD", rating)
    f.result(2022, school(13, 800), "ela", "SWD", 3)
    f.result(2023, school(13, 800), "ela", "SWD", RED)                        # 2023 only: not ATSI
    f.result(2023, school(13, 800), "math", "SWD", RED)
    # 2022 entry year, Status only, one Dashboard: all Very Low but one
    f.result(2022, school(14, 800), "ela", "EL", 1)
    f.result(2022, school(14, 800), "math", "EL", 1)
    f.result(2022, school(14, 800), "susp", "EL", 3)                          # ATSI 2022 on EL
    f.result(2022, school(15, 800), "ela", "EL", 1)
    f.result(2022, school(15, 800), "math", "EL", 2)
    f.result(2022, school(15, 800), "susp", "EL", 3)                          # two not lowest: no
    # 2024 annual: CSI LP stays (school 1 still all Red), exits (school 3 improves); CSI Grad exit on three
    # cohorts; TSI for a group meeting the criteria in 2023 and 2024 (not in 2022, so not ATSI in 2023)
    all_students(2024, 1, red4)
    all_students(2024, 3, {"ela": YELLOW, "math": GREEN, "susp": GREEN})
    f.result(2024, school(8, 800), "grad", "ALL", grad=(90, 100, 60, 100))    # (90+60+70)/300 = 73.3: exits
    for year in (2023, 2024):
        f.result(year, school(16, 800), "ela", "HI", RED)
        f.result(year, school(16, 800), "math", "HI", RED)
    f.result(2024, school(17, 800), "ela", "HI", RED)                         # 2024 only: not TSI
    f.result(2024, school(17, 800), "math", "HI", RED)
    # 2025 annual: school 1 still all Red (CSI since 2023); TSI for a group meeting in 2024 and 2025
    all_students(2025, 1, red4)
    for year in (2024, 2025):
        f.result(year, school(18, 800), "chronic", "WH", RED)
        f.result(year, school(18, 800), "susp", "WH", ORANGE)
    # 2018 entry year: CSI on the 2018 Dashboard; ATSI needs the group in 2017 and 2018
    all_students(2018, 19, {"ela": RED, "math": RED, "grad": RED})
    for year in (2017, 2018):
        f.result(year, school(20, 800), "ela", "SWD", RED)
        f.result(year, school(20, 800), "math", "SWD", ORANGE)
    f.result(2018, school(21, 800), "ela", "SWD", RED)                        # 2018 only: not ATSI
    f.result(2018, school(21, 800), "math", "SWD", ORANGE)
    f.result(2018, school(22, 800), "grad", "ALL", grad=(130, 200, 135, 200))  # 66.3 < 67 (the 2018 threshold)


def hand_worked_releases() -> FixtureReleases:
    """The DA and ESSA cases above, and a 2023 preview: the public files, but for three entities whose
    determination flips between preview and public (read back from PostgreSQL by test_postgres). Built once per
    test session by conftest's `hand_worked_warehouse`; the cases here read the public stage."""
    f = FixtureReleases()
    _da_cases(f)
    _essa_cases(f)
    for (year, stage, stem), rows in list(f.rows.items()):
        if (year, stage) == (2023, "public"):
            f.rows[(2023, "preview", stem)] = [dict(row) for row in rows]
    f.local[(2023, "preview")] = list(f.local[(2023, "public")])
    for stage in ("preview", "public"):
        public = stage == "public"
        f.result(2023, lea(31), "ela", "SWD", RED, stage=stage)              # P4 in both ...
        f.result(2023, lea(31), "math", "SWD", ORANGE, stage=stage)
        f.result(2023, lea(31), "chronic", "SWD", ORANGE if public else RED, stage=stage)   # ... P5 in preview only
        f.result(2023, lea(32), "chronic", "SWD", RED, stage=stage)          # P5 in both ...
        f.result(2023, lea(32), "susp", "SWD", RED if public else ORANGE, stage=stage)     # ... P6 in public only
        for indicator in ("ela", "math"):                                     # 2 Red of 4 in preview, 4 in public
            f.result(2023, school(30, 800), indicator, "ALL", RED, stage=stage)
        for indicator in ("chronic", "susp"):
            f.result(2023, school(30, 800), indicator, "ALL", RED if public else YELLOW, stage=stage)
    f.title(2023, school(30, 800), True)
    return f
