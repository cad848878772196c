"""The research-file registry: every CDE Dashboard research file the warehouse knows, by stem and report year.

One `Layout` per (stem, report year, variant) says which file names carry it, the exact header (column order and
spelling as CDE publishes it), the delimiters and text encoding to expect, and where the layout comes from. Column
types are declared once, by column name, in `COLUMN_TYPES`; a layout naming a column without a type is a defect
caught by the tests.

Sources are the sections of `dashboard_methodology.md` (copied facts, not code). Where the methodology gives only
part of a layout, the rest is inferred and the layout's `source` says so: when a real file disagrees, the loader
reports the exact difference (position, expected name, found name), and the fix is a change to this table.

Conventions
- report_year is an integer; Fall 2017 is 2017 (its files carry the suffix `2017f` and reportingyear '2017f').
- Raw tables are `raw.<stem>`; their columns are the union, lower-cased, of every layout of the stem, so one table
  holds all years. Header names are matched exactly, except that a difference in letter case only is accepted
  (DuckDB column names are case-insensitive and CDE's capitalisation wanders: `changeLevel`, `ReportingYear`).
- `renames` maps a published header name to the raw column it fills (the 2019 suspension file's `cdscode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPORT_YEARS: tuple[int, ...] = (2017, 2018, 2019, 2022, 2023, 2024, 2025)
STAGES: tuple[str, ...] = ("preview", "public")

# The stems the warehouse loads, with the Dashboard indicator each one feeds (None: reference data, not an indicator).
STEM_INDICATOR: dict[str, str | None] = {
    "ela": "ela",
    "math": "math",
    "chronic": "chronic",
    "susp": "susp",
    "grad": "grad",
    "elpi": "elpi",
    "cci": "cci",
    "science": "science",
    "censusenrollrates": None,
    "localindperf": None,
}

# ---------------------------------------------------------------------------------------------------------------
# Column types, declared once by (lower-case) column name. Codes and flags are text; counts are BIGINT; rates,
# averages and changes are DOUBLE; levels, colours and boxes are INTEGER. Columns whose meaning the methodology
# could not settle (adjustments, method codes, flags) are kept as text so that nothing CDE writes is lost.
# ---------------------------------------------------------------------------------------------------------------
_TEXT = "VARCHAR"
_COUNT = "BIGINT"
_RATE = "DOUBLE"
_CODE = "INTEGER"

COLUMN_TYPES: dict[str, str] = {
    # envelope
    "cds": _TEXT, "rtype": _TEXT, "schoolname": _TEXT, "districtname": _TEXT, "countyname": _TEXT,
    "charter_flag": _TEXT, "coe_flag": _TEXT, "dass_flag": _TEXT, "type": _TEXT, "studentgroup": _TEXT,
    "reportingyear": _TEXT, "indicator": _TEXT,
    # common measures
    "currnumer": _COUNT, "currdenom": _COUNT, "currstatus": _RATE,
    "priornumer": _COUNT, "priordenom": _COUNT, "priorstatus": _RATE, "change": _RATE,
    "statuslevel": _CODE, "changelevel": _CODE, "color": _CODE, "box": _CODE,
    # flags (text: 'Y' / 'N' / blank, or codes whose meaning is not settled)
    "safetynet": _TEXT, "smalldenom": _TEXT, "currnsizemet": _TEXT, "priornsizemet": _TEXT,
    "accountabilitymet": _TEXT, "certifyflag": _TEXT, "dataerrorflag": _TEXT, "hscutpoints": _TEXT,
    "pairshare_method": _TEXT, "curradjustment": _TEXT, "prioradjustment": _TEXT, "flag50pct": _TEXT,
    "flag95pct": _TEXT, "nsize_met": _TEXT, "cal_method": _TEXT,
    # academic
    "currdenom_swd": _COUNT, "priordenom_swd": _COUNT,
    "caa_denom": _COUNT, "caa_level1_num": _COUNT, "caa_level1_pct": _RATE, "caa_level2_num": _COUNT,
    "caa_level2_pct": _RATE, "caa_level3_num": _COUNT, "caa_level3_pct": _RATE,
    "currprate_enrolled": _COUNT, "currprate_tested": _COUNT, "currprate": _RATE, "currnumprloss": _COUNT,
    "currdenom_withoutprloss": _COUNT, "currstatus_withoutprloss": _RATE,
    "priorprate_enrolled": _COUNT, "priorprate_tested": _COUNT, "priorprate": _RATE, "priornumprloss": _COUNT,
    "priordenom_withoutprloss": _COUNT, "priorstatus_withoutprloss": _RATE,
    # graduation
    "fiveyrnumer": _COUNT,
    "prioryear1_numer": _COUNT, "prioryear1_denom": _COUNT, "prioryear1_status": _RATE,
    "prioryear2_numer": _COUNT, "prioryear2_denom": _COUNT, "prioryear2_status": _RATE,
    "prioryear3_numer": _COUNT, "prioryear3_denom": _COUNT, "prioryear3_status": _RATE,
    # English learner progress
    "currtesters": _COUNT, "curradvanced": _COUNT, "currmaintained": _COUNT, "currrfeps": _COUNT,
    "currltels": _COUNT, "priortesters": _COUNT, "prioradvanced": _COUNT, "priormaintained": _COUNT,
    "priorrfeps": _COUNT, "priorltels": _COUNT,
    "pl_1": _COUNT, "pl1_pct": _RATE, "pl_2": _COUNT, "pl2_pct": _RATE, "pl_3": _COUNT, "pl3_pct": _RATE,
    "pl_4": _COUNT, "pl4_pct": _RATE, "pltotct": _COUNT,
    "currprogressed": _COUNT, "pctcurrprogressed": _RATE, "currmaintainpl4": _COUNT,
    "pctcurrmaintainpl4": _RATE, "currmaintainoth": _COUNT, "pctcurrmaintainoth": _RATE,
    "currdeclined": _COUNT, "pctcurrdeclined": _RATE, "currprogressed_alternate": _COUNT,
    # college/career
    "studentgroup_pct": _RATE,
    "curr_prep": _COUNT, "curr_prep_pct": _RATE, "curr_aprep": _COUNT, "curr_aprep_pct": _RATE,
    "curr_nprep": _COUNT, "curr_nprep_pct": _RATE,
    **{f"curr_prep_{m}": _COUNT for m in "abcde"}, **{f"curr_prep_{m}_pct": _RATE for m in "abcde"},
    **{f"curr_aprep_{m}": _COUNT for m in "abcd"}, **{f"curr_aprep_{m}_pct": _RATE for m in "abcd"},
    # census enrolment
    "totalenrollment": _COUNT, "subgrouptotal": _COUNT, "rate": _RATE,
    # local indicators
    "leaname": _TEXT, "localindicator": _TEXT, "performance": _TEXT,
}

# Lineage columns added to every raw table by the loader.
LINEAGE_COLUMNS: dict[str, str] = {
    "report_year": "INTEGER",
    "stage": "VARCHAR",
    "layout_variant": "VARCHAR",
    "source_file": "VARCHAR",
    "source_sha256": "VARCHAR",
    "loaded_at": "TIMESTAMP",
}


@dataclass(frozen=True)
class Layout:
    """One published record layout of one stem in one report year."""

    stem: str
    report_year: int
    file_names: tuple[str, ...]          # CDE file names carrying this layout (matched case-insensitively)
    columns: tuple[str, ...]             # header, exact order and spelling
    source: str                          # where the layout comes from (methodology section / inference)
    variant: str = "all"                 # sub-file of a stem in one year (Fall 2017 academic: grades_3_8, grade_11)
    encoding: str = "utf-8"              # utf-8 or cp1252 (single-byte Windows names)
    delimiters: tuple[str, ...] = ("\t", "|")  # CDE writes tabs; its pages say '|' for some years: both accepted
    renames: dict[str, str] = field(default_factory=dict)

    @property
    def raw_columns(self) -> tuple[str, ...]:
        """The raw-table column each header position fills."""
        return tuple(self.renames.get(c, c).lower() for c in self.columns)

    @property
    def key(self) -> str:
        return f"{self.stem}/{self.report_year}/{self.variant}"


def _cols(*parts: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in parts:
        out.extend(part.split())
    return tuple(out)


def _year_suffix(year: int) -> str:
    return "2017f" if year == 2017 else str(year)


def _download(stem: str, year: int) -> tuple[str, ...]:
    return (f"{stem}download{_year_suffix(year)}.txt",)


ENV_2017 = "cds rtype schoolname districtname countyname charter_flag coe_flag"
ENV_2018 = "cds rtype schoolname districtname countyname charter_flag coe_flag dass_flag"
CAA = "caa_denom caa_level1_num caa_level1_pct caa_level2_num caa_level2_pct caa_level3_num caa_level3_pct"
ACCOUNTABILITY_2023 = "currnsizemet priornsizemet accountabilitymet"

_M = "dashboard_methodology.md"

LAYOUTS: tuple[Layout, ...] = (
    # ---------------------------------------------------------------- Academic: ELA and mathematics
    *(
        lay
        for subj in ("ela", "math")
        for lay in (
            Layout(
                subj, 2017, (f"{subj}38download2017f.txt",),
                _cols(ENV_2017, "studentgroup currdenom currstatus priordenom priorstatus change",
                      "statuslevel changelevel color box", CAA, "reportingyear"),
                f"{_M} §1.3.2 (CDE elagr38fall17.asp) up to box; the columns between box and reportingyear are "
                "INFERRED from the grade-11 2017f file and the 2018 layout (CAA counts)",
                variant="grades_3_8",
            ),
            Layout(
                subj, 2017, (f"{subj}11download2017f.txt",),
                _cols(ENV_2017, "studentgroup currdenom currstatus priordenom priorstatus change", CAA,
                      "reportingyear"),
                f"{_M} §1.3.2; real file {subj}11download2017f.txt (grade 11: no status level or colour)",
                variant="grade_11",
            ),
            Layout(
                subj, 2018, _download(subj, 2018),
                _cols(ENV_2018, "studentgroup currdenom currdenom_swd currstatus priordenom priordenom_swd",
                      "priorstatus change statuslevel changelevel color box hscutpoints curradjustment",
                      "prioradjustment pairshare_method", CAA, "ReportingYear"),
                f"{_M} §1.3.2: 32 columns (3P xta column list; CDE ela18.asp fields 1-11)",
            ),
            Layout(
                subj, 2019, _download(subj, 2019),
                _cols(ENV_2018, "studentgroup currdenom currstatus priordenom priordenom_swd priorstatus change",
                      "statuslevel changelevel color box hscutpoints curradjustment prioradjustment",
                      "pairshare_method", CAA, "reportingyear"),
                f"{_M} §1.3.2 (CDE math19.asp) up to box; the rest INFERRED from the 2018 layout",
            ),
            Layout(
                subj, 2022, _download(subj, 2022),
                _cols(ENV_2018, "studentgroup currdenom currstatus statuslevel hscutpoints",
                      "currprate_enrolled currprate_tested currprate reportingyear"),
                f"INFERRED: {_M} §1.2 (2022 Status only; participation integrated into the file from 2022) "
                "following the 2022 chronic layout (status columns only)",
            ),
            *(
                Layout(
                    subj, year, _download(subj, year),
                    _cols(ENV_2018, "studentgroup currdenom currstatus priordenom priorstatus change",
                          "statuslevel changelevel color box", ACCOUNTABILITY_2023,
                          "hscutpoints pairshare_method currprate_enrolled currprate_tested currprate",
                          "currnumPRLOSS currdenom_withoutPRLOSS currstatus_withoutPRLOSS",
                          "priorprate_enrolled priorprate_tested priorprate priornumPRLOSS",
                          "priordenom_withoutPRLOSS priorstatus_withoutPRLOSS indicator reportingyear"),
                    f"{_M} §1.3.2: 2024 layout (3P SAS; CDE ela24.asp fields 1-13); CDE says the same layout "
                    "serves 2025; 2023 INFERRED equal (indicator and n-size columns date from 2023)",
                )
                for year in (2023, 2024, 2025)
            ),
        )
    ),
    # ---------------------------------------------------------------- Chronic absenteeism (from 2018)
    Layout(
        "chronic", 2018, _download("chronic", 2018),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus change",
              "safetynet statuslevel changeLevel color box certifyflag reportingyear"),
        f"{_M} §1.3.2 (3P SQL field set; order INFERRED from the 2019 page); `changeLevel` spelling per 3P parser",
    ),
    Layout(
        "chronic", 2019, _download("chronic", 2019),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus change",
              "safetynet statuslevel changeLevel color box certifyflag dataerrorflag reportingyear"),
        f"{_M} §1.3.2 (CDE chronic19.asp fields 10-18; the rest from 3P SQL)",
    ),
    Layout(
        "chronic", 2022, _download("chronic", 2022),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus statuslevel certifyflag dataerrorflag",
              "reportingyear"),
        f"{_M} §1.3.2 (CDE chronic22.asp; 3P SQL)",
    ),
    *(
        Layout(
            "chronic", year, _download("chronic", year),
            _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus change",
                  "statuslevel changeLevel color box smalldenom", ACCOUNTABILITY_2023, "indicator reportingyear"),
            f"{_M} §1.3.2 (CDE chronic24.asp up to currnsizemet; tail INFERRED from the 2024 grad layout); "
            "2023 INFERRED equal",
        )
        for year in (2023, 2024, 2025)
    ),
    # ---------------------------------------------------------------- Suspension (has the `type` column)
    Layout(
        "susp", 2017, _download("susp", 2017),
        _cols(ENV_2017, "type studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "safetynet change statuslevel changelevel color box reportingyear"),
        f"{_M} §1.3.2 (CDE suspindicatorfall17.asp up to changelevel; tail INFERRED)",
    ),
    Layout(
        "susp", 2018, _download("susp", 2018),
        _cols(ENV_2018, "type studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "safetynet change statuslevel changelevel color box reportingyear"),
        f"INFERRED from the Fall 2017 and 2019 layouts ({_M} §1.3.2)",
    ),
    Layout(
        "susp", 2019, _download("susp", 2019),
        _cols(ENV_2018.replace("cds", "cdscode", 1),
              "type studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "safetynet change statuslevel changelevel color box reportingyear"),
        f"{_M} §1.3.2 (CDE suspindicator19.asp: first column `cdscode`); tail INFERRED",
        renames={"cdscode": "cds"},
    ),
    Layout(
        "susp", 2022, _download("susp", 2022),
        _cols(ENV_2018, "type studentgroup currnumer currdenom currstatus statuslevel certifyflag reportingyear"),
        f"{_M} §1.3.2 (CDE suspindicator22.asp)",
    ),
    *(
        Layout(
            "susp", year, _download("susp", year),
            _cols(ENV_2018, "type studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
                  "change statuslevel changelevel color box smalldenom", ACCOUNTABILITY_2023,
                  "indicator reportingyear"),
            f"{_M} §1.3.2 (CDE suspindicator24.asp up to currnsizemet; tail INFERRED); 2023 INFERRED equal",
        )
        for year in (2023, 2024, 2025)
    ),
    # ---------------------------------------------------------------- Graduation
    Layout(
        "grad", 2017, _download("grad", 2017),
        _cols(ENV_2017, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "cal_method safetynet change prioryear1_numer prioryear1_denom prioryear1_status",
              "prioryear2_numer prioryear2_denom prioryear2_status prioryear3_numer prioryear3_denom",
              "prioryear3_status statuslevel changelevel color box reportingyear"),
        f"{_M} §1.3.2; real file graddownload2017f.txt",
    ),
    Layout(
        "grad", 2018, _download("grad", 2018),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "safetynet change statuslevel changelevel color box reportingyear"),
        f"{_M} §1.3.2 (real header of graddownload2018.txt, RCOE)",
    ),
    Layout(
        "grad", 2019, _download("grad", 2019),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
              "fiveyrnumer safetynet change statuslevel changelevel color box reportingyear"),
        f"{_M} §1.3.2 (CDE gradindicator19.asp up to statuslevel; tail INFERRED from 2018)",
    ),
    Layout(
        "grad", 2022, _download("grad", 2022),
        _cols(ENV_2018, "studentgroup currnumer currdenom currstatus fiveyrnumer statuslevel reportingyear"),
        f"INFERRED: 2022 Status only ({_M} §1.2), status columns of the 2019 layout",
    ),
    *(
        Layout(
            "grad", year, _download("grad", year),
            _cols(ENV_2018, "studentgroup currnumer currdenom currstatus priornumer priordenom priorstatus",
                  "change statuslevel changelevel color box smalldenom fiveyrnumer", ACCOUNTABILITY_2023,
                  "indicator reportingyear"),
            f"{_M} §1.3.2 (3P SAS; CDE gradindicator24.asp); 2023 INFERRED equal",
        )
        for year in (2023, 2024, 2025)
    ),
    # ---------------------------------------------------------------- English learner progress
    Layout(
        "elpi", 2017, _download("elpi", 2017),
        _cols(ENV_2017, "currtesters curradvanced currmaintained currrfeps currltels currnumer currdenom",
              "currstatus priortesters prioradvanced priormaintained priorrfeps priorltels priornumer",
              "priordenom priorstatus change statuslevel changelevel color box flag50pct nsize_met reportingyear"),
        f"{_M} §1.3.2; real file elpidownload2017f.txt (Windows-1252 names, no studentgroup: every row is EL)",
        encoding="cp1252",
    ),
    Layout(
        "elpi", 2018, _download("elpi", 2018),
        _cols("cds rtype schoolname districtname countyname dass_flag charter_flag coe_flag",
              "PL_1 PL1_Pct PL_2 PL2_Pct PL_3 PL3_Pct PL_4 PL4_Pct PLTotCt reportingyear"),
        f"{_M} §1.3.2; real file elpidownload2018.txt (flags in the order dass, charter, coe; ELPAC levels only)",
        encoding="cp1252",
    ),
    Layout(
        "elpi", 2019, _download("elpi", 2019),
        _cols(ENV_2018, "currdenom currnumer currprogressed currmaintainpl4 currmaintainoth currdeclined",
              "currstatus statuslevel flag95pct reportingyear"),
        f"{_M} §1.3.2 (3P SQL view)",
    ),
    Layout(
        "elpi", 2022, _download("elpi", 2022),
        _cols(ENV_2018, "currdenom currnumer currprogressed pctcurrprogressed currmaintainpl4 pctcurrmaintainpl4",
              "currmaintainoth pctcurrmaintainoth currdeclined pctcurrdeclined currstatus statuslevel flag95pct",
              "reportingyear"),
        f"{_M} §1.3.2 (3P SQL view: 2019 plus pct columns)",
    ),
    Layout(
        "elpi", 2023, _download("elpi", 2023),
        _cols(ENV_2018, "currdenom currnumer currprogressed currmaintainpl4 currmaintainoth currdeclined",
              "currstatus priordenom priorstatus change statuslevel changelevel color box", ACCOUNTABILITY_2023,
              "flag95pct indicator reportingyear"),
        f"INFERRED: 2019 counts + change and colour (colours return in 2023, {_M} §2.5); no studentgroup before 2024",
    ),
    *(
        Layout(
            "elpi", year, _download("elpi", year),
            _cols(ENV_2018, "studentgroup currdenom currnumer currprogressed currmaintainPL4 currmaintainOth",
                  "currdeclined currprogressed_Alternate currstatus priordenom priorstatus change",
                  "statuslevel changelevel color box", ACCOUNTABILITY_2023, "flag95pct indicator reportingyear"),
            f"{_M} §1.3.2 (CDE elpi24.asp: studentgroup EL/LTEL, progress counts); tail INFERRED",
        )
        for year in (2024, 2025)
    ),
    # ---------------------------------------------------------------- College/career (none in 2022)
    Layout(
        "cci", 2017, _download("cci", 2017),
        _cols(ENV_2017, "studentgroup studentgroup_pct currdenom currstatus curr_prep curr_prep_pct",
              *(f"curr_prep_{m} curr_prep_{m}_pct" for m in "abcde"), "curr_aprep curr_aprep_pct",
              *(f"curr_aprep_{m} curr_aprep_{m}_pct" for m in "abcd"), "curr_nprep curr_nprep_pct statuslevel",
              "reportingyear"),
        f"{_M} §1.3.2; real file ccidownload2017f.txt (status level only)",
    ),
    *(
        Layout(
            "cci", year, _download("cci", year),
            _cols(ENV_2018, "studentgroup currdenom currstatus priordenom priorstatus change curr_prep curr_prep_pct",
                  "curr_aprep curr_aprep_pct curr_nprep curr_nprep_pct statuslevel changelevel color box",
                  "reportingyear"),
            f"INFERRED: 2017f measures + change and colour (CCI coloured in 2018 and 2019, {_M} §2.6)",
        )
        for year in (2018, 2019)
    ),
    Layout(
        "cci", 2023, _download("cci", 2023),
        _cols(ENV_2018, "studentgroup currdenom currstatus curr_prep curr_prep_pct curr_aprep curr_aprep_pct",
              "curr_nprep curr_nprep_pct statuslevel currnsizemet indicator reportingyear"),
        f"INFERRED: 2023 CCI Status only ({_M} §2.6)",
    ),
    *(
        Layout(
            "cci", year, _download("cci", year),
            _cols(ENV_2018, "studentgroup currdenom currstatus priordenom priorstatus change curr_prep curr_prep_pct",
                  "curr_aprep curr_aprep_pct curr_nprep curr_nprep_pct statuslevel changelevel color box",
                  ACCOUNTABILITY_2023, "indicator reportingyear"),
            f"{_M} §1.3.2 (3P pacbard CCI.sql: changelevel color box accountabilitymet from 2024); rest INFERRED",
        )
        for year in (2024, 2025)
    ),
    # ---------------------------------------------------------------- Science (2025)
    Layout(
        "science", 2025, _download("science", 2025),
        _cols(ENV_2018, "studentgroup currdenom currstatus statuslevel currnsizemet indicator reportingyear"),
        f"INFERRED: record layout added 13 Nov 2025 was not readable; Status only until CDE publishes the 5x5 "
        f"({_M} §2.7)",
    ),
    # ---------------------------------------------------------------- Census enrolment (reference for n-size)
    *(
        Layout(
            "censusenrollrates", year, _download("censusenrollrates", year),
            _cols("cds rtype schoolname districtname countyname studentgroup totalenrollment subgrouptotal rate",
                  "reportingyear"),
            f"{_M} §1.1 (column list from 3P SAS, 2024); other years INFERRED equal",
        )
        for year in (2018, 2019, 2022, 2023, 2024, 2025)
    ),
    # ---------------------------------------------------------------- Local indicators (priorities 1,2,3,6,7,9,10)
    *(
        Layout(
            "localindperf", year, (f"LocalIndPerf{year}.txt",),
            _cols("CDS LEAname Countyname LocalIndicator Performance"),
            f"{_M} §1.3.2; real files LocalIndPerf2017.txt and LocalIndPerf2018.txt; later years INFERRED equal",
        )
        for year in REPORT_YEARS
    ),
)


class RegistryError(ValueError):
    """A file the registry does not know, or a layout that does not match the registry."""


def layouts_for_year(year: int) -> tuple[Layout, ...]:
    return tuple(lay for lay in LAYOUTS if lay.report_year == year)


def stems_for_year(year: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lay.stem for lay in LAYOUTS if lay.report_year == year))


def layout_for_file(file_name: str, year: int) -> Layout:
    """The layout of a file found under raw/<year>/<stage>/, or a RegistryError that says what is wrong."""
    lowered = file_name.lower()
    for lay in LAYOUTS:
        if lay.report_year == year and lowered in (n.lower() for n in lay.file_names):
            return lay
    other_years = sorted({lay.report_year for lay in LAYOUTS if lowered in (n.lower() for n in lay.file_names)})
    if other_years:
        raise RegistryError(
            f"{file_name}: this is the {'/'.join(map(str, other_years))} file name, but it sits under the "
            f"{year} folder. Move it to raw/{other_years[0]}/<stage>/ or check the file."
        )
    known = ", ".join(sorted({n for lay in layouts_for_year(year) for n in lay.file_names}))
    raise RegistryError(
        f"{file_name}: not a research file the registry knows for {year}. Known names for {year}: {known}. "
        "If CDE published a new stem or renamed a file, add its layout to orchestration/releases/registry.py."
    )


def raw_table_columns(stem: str) -> dict[str, str]:
    """Columns of raw.<stem>: the union of all its layouts (lower-case, first-seen order) plus lineage."""
    cols: dict[str, str] = {}
    for lay in LAYOUTS:
        if lay.stem != stem:
            continue
        for col in lay.raw_columns:
            cols.setdefault(col, COLUMN_TYPES[col])
    cols.update(LINEAGE_COLUMNS)
    return cols


def check_header(layout: Layout, found: list[str], file_label: str) -> None:
    """Compare a file's header with its layout; raise RegistryError naming every difference.

    A difference in letter case only is accepted (see the module docstring)."""
    expected = list(layout.columns)
    if [c.lower() for c in found] == [c.lower() for c in expected]:
        return
    exp_l, found_l = [c.lower() for c in expected], [c.lower() for c in found]
    missing = [c for c in expected if c.lower() not in found_l]
    extra = [c for c in found if c.lower() not in exp_l]
    problems: list[str] = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if extra:
        problems.append("unexpected column(s): " + ", ".join(extra))
    if not missing and not extra:
        problems.append("columns are out of order")
    for pos, (exp, got) in enumerate(zip(expected, found), start=1):
        if exp.lower() != got.lower():
            problems.append(f"first difference at line 1, column {pos}: expected '{exp}', found '{got}'")
            break
    else:
        if len(found) != len(expected):
            problems.append(f"expected {len(expected)} columns, found {len(found)}")
    raise RegistryError(
        f"{file_label}: header does not match the {layout.report_year} '{layout.stem}' layout "
        f"({layout.source}): " + "; ".join(problems)
    )
