"""The research-file registry: layouts as data checked against real CDE headers, name-based header matching,
recognition of real files, clear errors for the rest."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from orchestration.releases import registry
from orchestration.releases.discovery import (
    Release,
    all_release_keys,
    discover_releases,
    raw_dir_warnings,
    release_files,
)
from orchestration.releases.registry import (
    ALL_LAYOUTS,
    LAYOUTS,
    RegistryError,
    layout_for_file,
    match_header,
)
from tests.support.builds import BUNDLED_RAW, REPO
from tests.support.inputs import REAL_HEADERS, layout_key_of_real_header

BY_KEY = {lay.key: lay for lay in ALL_LAYOUTS}
EXPECTED_BUNDLED = {
    ("2017", "LocalIndPerf2017.txt"): ("localindperf", 5),
    ("2017", "ccidownload2017f.txt"): ("cci", 37),
    ("2017", "ela11download2017f.txt"): ("ela", 21),
    ("2017", "elpidownload2017f.txt"): ("elpi", 31),
    ("2017", "graddownload2017f.txt"): ("grad", 31),
    ("2017", "math11download2017f.txt"): ("math", 21),
    ("2018", "LocalIndPerf2018.txt"): ("localindperf", 5),
    ("2018", "elpidownload2018.txt"): ("elpi", 18),
}


def _header(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").rstrip("\r\n").split("\t"))


SECONDARY_EVIDENCE = {
    "cci_2018.txt": "cci/2018/all", "censusenrollrates_2024.txt": "censusenrollrates/2024/all",
    "chronic_2018.txt": "chronic/2018/all", "ela38_2017f_cde_fields1-15_plus_ace.txt": "ela/2017/grades_3_8",
    "ela_2018.txt": "ela/2018/all", "ela_2023_ace_subset.txt": "ela/2023/all", "ela_2024.txt": "ela/2024/all",
    "math_2018.txt": "math/2018/all", "math_2023_ace_subset.txt": "math/2023/all", "math_2024.txt": "math/2024/all",
    "science_2025_cde_fields1-13.txt": "science/2025/all", "susp_2017f.txt": "susp/2017/all",
    "susp_2018.txt": "susp/2018/all",
}


# ------------------------------------------------------------------ the registry against real headers


@pytest.mark.parametrize("name", sorted(p.name for p in REAL_HEADERS.glob("*.txt")))
def test_a_real_header_is_exactly_a_verified_layout(name):
    layout = BY_KEY[layout_key_of_real_header(name)]
    assert layout.provenance == "verified", layout.key
    assert layout.columns == _header(REAL_HEADERS / name)      # names, order and spelling


def test_every_verified_layout_has_its_real_header_in_the_fixtures():
    evidenced = {layout_key_of_real_header(p.name) for p in REAL_HEADERS.glob("*.txt")}
    verified = {lay.key for lay in ALL_LAYOUTS if lay.provenance == "verified"}
    assert verified == evidenced


@pytest.mark.parametrize("name", sorted(SECONDARY_EVIDENCE))
def test_a_secondary_source_agrees_with_its_layout(name):
    """A secondary list may leave columns out: every column it names is in the layout, in the same order."""
    layout = BY_KEY[SECONDARY_EVIDENCE[name]]
    assert layout.provenance == "secondary", layout.key
    listed = [c.lower() for c in _header(REAL_HEADERS / "secondary" / name)]
    ours = [c.lower() for c in layout.columns]
    assert set(listed) <= set(ours), set(listed) - set(ours)
    assert [c for c in ours if c in listed] == listed


def test_provenance_is_said_for_every_layout():
    assert {lay.provenance for lay in ALL_LAYOUTS} == {"verified", "secondary", "inferred"}
    for lay in ALL_LAYOUTS:
        assert lay.source, lay.key
        if lay.provenance == "verified":
            assert "real header" in lay.source, lay.key
        if lay.provenance == "inferred":
            assert "INFERRED" in lay.source and lay.inferred_from is not None, lay.key
            source = BY_KEY[f"{lay.stem}/{lay.inferred_from}/{lay.variant}"]
            assert source.provenance != "inferred" and source.header_file == lay.header_file, lay.key
        else:
            assert lay.inferred_from is None, lay.key
    counts = Counter(lay.provenance for lay in ALL_LAYOUTS)
    assert counts["verified"] == len(list(REAL_HEADERS.glob("*.txt"))) == 36


def test_every_column_has_a_type_and_unverified_columns_are_never_needed():
    for lay in ALL_LAYOUTS:
        assert set(lay.raw_columns) <= set(registry.COLUMN_TYPES), lay.key
        assert lay.unverified <= set(lay.raw_columns), lay.key
        assert not set(lay.needed_columns) & lay.unverified, lay.key
        assert {"cds"} <= set(lay.needed_columns), lay.key
    assert set(registry.COLUMN_TYPES.values()) == {"VARCHAR", "BIGINT", "DOUBLE", "INTEGER"}
    assert all(registry.COLUMN_MEANINGS[c] for c in registry.COLUMN_TYPES)
    used = {c for lay in ALL_LAYOUTS for c in lay.raw_columns}
    assert used == set(registry.COLUMN_TYPES)          # no column described that no layout has


def test_layouts_are_unique_and_well_formed():
    keys = Counter(lay.key for lay in ALL_LAYOUTS)
    assert [k for k, n in keys.items() if n > 1] == []
    for lay in LAYOUTS:
        assert lay.report_year in registry.REPORT_YEARS, lay.key
        assert lay.stem in registry.STEM_INDICATOR, lay.key
    for lay in ALL_LAYOUTS:
        assert len(set(lay.raw_columns)) == len(lay.raw_columns), f"{lay.key} repeats a column"
        assert lay.encoding in ("utf-8", "cp1252")
        assert all(rename.lower() in [c.lower() for c in lay.columns] for rename in lay.renames), lay.key
    names = Counter((lay.report_year, n.lower()) for lay in ALL_LAYOUTS for n in lay.file_names)
    assert [k for k, n in names.items() if n > 1] == []


def test_documented_quirks_are_in_the_layouts():
    assert BY_KEY["susp/2019/all"].columns[0] == "cds"                       # not CDE's page's cdscode
    assert "changeLevel" in BY_KEY["susp/2024/all"].columns
    assert "ReportingYear" in BY_KEY["ela/2019/all"].columns and "notestflag" in BY_KEY["ela/2019/all"].columns
    assert "priordenom_swd" not in BY_KEY["ela/2019/all"].columns and "caa_denom" not in BY_KEY["ela/2019/all"].columns
    ela22 = BY_KEY["ela/2022/all"]
    assert ela22.raw_column("prate_enrolled") == "currprate_enrolled" and "pairshare_method" in ela22.columns
    cci24 = BY_KEY["cci/2024/all"]
    assert len(cci24.columns) == 109 and "prior_aprep_statefedjobs_dass_pc" in cci24.columns
    assert cci24.raw_column("prior_aprep_statefedjobs_dass_pc") == "prior_aprep_statefedjobs_dass_pct"
    assert [len(BY_KEY[f"cci/{y}/all"].columns) for y in (2018, 2019, 2022, 2023)] == [84, 85, 44, 64]
    assert {"certifyflag", "priorcertifyflag", "dataerrorflag"} <= set(BY_KEY["chronic/2023/all"].columns)
    elpi23, elpi24 = BY_KEY["elpi/2023/all"], BY_KEY["elpi/2024/all"]
    assert len(elpi23.columns) == 39 and "studentgroup" not in elpi23.columns and "flag95pct" not in elpi23.columns
    assert len(elpi24.columns) == 41 and "studentgroup" in elpi24.columns
    assert BY_KEY["elpi/2019/all"].raw_column("nsizegroup") == "currnsizegroup"
    assert "dass_flag" not in BY_KEY["grad/2017/all"].columns                 # not in the Fall 2017 files
    assert BY_KEY["elpi/2017/all"].encoding == "cp1252"
    assert "statuslevel" not in BY_KEY["science/2024/all"].columns
    assert BY_KEY["science/2025/all"].unverified == {"statuslevel", "changelevel", "color", "box"}


def test_stem_availability_by_year():
    assert "chronic" not in registry.stems_for_year(2017)       # first chronic absenteeism colours in 2018
    assert "cci" in registry.stems_for_year(2022)               # counts only, but a real file
    assert [y for y in registry.REPORT_YEARS if "science" in registry.stems_for_year(y)] == [2024, 2025]
    for year in registry.REPORT_YEARS:
        assert {"ela", "math", "susp", "grad", "elpi", "localindperf"} <= set(registry.stems_for_year(year))
    assert [lay.key for lay in registry.REFERENCE_LAYOUTS] == ["grad_dassonly/2020/all", "grad_dassonly/2021/all"]


@pytest.mark.parametrize(("year", "name"), sorted(EXPECTED_BUNDLED))
def test_every_bundled_real_file_is_recognised_with_its_layout(year, name):
    stem, ncols = EXPECTED_BUNDLED[(year, name)]
    path = BUNDLED_RAW / year / "public" / name
    layout = layout_for_file(name, int(year))
    assert (layout.stem, len(layout.columns)) == (stem, ncols)
    header = path.read_bytes().split(b"\n", 1)[0].decode("ascii").rstrip("\r").split("\t")
    match = match_header(layout, header, name)
    assert match.warnings == [] and not match.reordered and None not in match.positions


def test_bundled_raw_dir_has_exactly_the_real_releases():
    assert [r.key for r in discover_releases(BUNDLED_RAW)] == ["2017-public", "2018-public"]
    assert sorted(f.path.name for f in release_files(BUNDLED_RAW, Release(2018, "public"))) == [
        "LocalIndPerf2018.txt", "elpidownload2018.txt"]
    assert raw_dir_warnings(BUNDLED_RAW) == []


# ------------------------------------------------------------------ matching a header by name


def _grad_2024():
    return layout_for_file("graddownload2024.txt", 2024)


def test_order_case_and_surrounding_spaces_do_not_matter():
    layout = _grad_2024()
    header = [f"  {c.upper()} " for c in reversed(layout.columns)]
    match = match_header(layout, header, "graddownload2024.txt")
    assert match.warnings == [] and match.reordered
    assert match.positions == tuple(reversed(layout.raw_columns))


def test_an_unknown_column_is_kept_and_named():
    layout = _grad_2024()
    header = [*layout.columns[:3], "newflag", *layout.columns[3:], "certifyflag"]
    match = match_header(layout, header, "graddownload2024.txt")
    assert match.unknown == ((4, "newflag"), (len(header), "certifyflag"))
    assert match.positions[3] is None and match.positions[-1] is None
    [warning] = match.warnings
    assert "2 column(s) not in the registry's grad 2024 layout (verified)" in warning
    assert "'newflag' (column 4)" in warning and "extra_columns" in warning
    assert f"'certifyflag' (column {len(header)}; in the" not in warning   # certifyflag is no grad column


def test_an_unknown_column_known_in_another_year_says_so():
    layout = layout_for_file("chronicdownload2022.txt", 2022)
    match = match_header(layout, [*layout.columns, "smalldenom"], "chronicdownload2022.txt")
    assert "'smalldenom' (column 17; in the 2023/2024/2025 layout)" in match.warnings[0]


def test_a_missing_needed_column_is_an_error_naming_the_closest_header():
    layout = _grad_2024()
    header = ["curr_status" if c == "currstatus" else c for c in layout.columns]
    with pytest.raises(RegistryError) as err:
        match_header(layout, header, "graddownload2024.txt")
    assert "missing needed column(s): 'currstatus' (closest header name found: 'curr_status')" in str(err.value)
    with pytest.raises(RegistryError, match=r"missing needed column\(s\): 'box'$"):
        match_header(layout, [c for c in layout.columns if c != "box"], "f.txt")


def test_a_missing_optional_column_is_a_warning():
    layout = _grad_2024()
    match = match_header(layout, [c for c in layout.columns if c != "fiveyrnumer"], "f.txt")
    assert match.absent == ("fiveyrnumer",)
    assert "1 optional column(s) of the grad 2024 layout (verified) are not in the file" in match.warnings[0]


def test_a_column_twice_and_a_one_field_header_are_errors():
    layout = _grad_2024()
    with pytest.raises(RegistryError, match=r"column 'BOX' appears twice \(columns 20 and 28\)"):
        match_header(layout, [*layout.columns, "BOX"], "f.txt")
    with pytest.raises(RegistryError, match="the header has one field only: the file is not tab or pipe-delimited"):
        match_header(layout, [",".join(layout.columns)], "f.txt")


def test_an_inferred_columns_absence_is_no_error():
    """science 2025's levels are inferred (rules audit A13): a 2025 file in the 2024 layout still loads."""
    layout = layout_for_file("sciencedownload2025.txt", 2025)
    match = match_header(layout, list(BY_KEY["science/2024/all"].columns), "sciencedownload2025.txt")
    assert set(match.absent) == {"statuslevel", "changelevel", "color", "box"}


# ------------------------------------------------------------------ file names, releases, the raw dir


def test_unknown_file_and_misplaced_year_give_clear_errors():
    with pytest.raises(RegistryError, match="not a research file the registry knows for 2018.*graddownload2018.txt"):
        layout_for_file("attendance2018.txt", 2018)
    with pytest.raises(RegistryError, match="this is the 2017 file name, but it sits under the 2019 folder"):
        layout_for_file("graddownload2017f.txt", 2019)
    with pytest.raises(RegistryError, match="reference input, not a release file .* Move it to <raw dir>/reference/"):
        layout_for_file("graddownload2020dassonly.txt", 2022)
    with pytest.raises(RegistryError, match="CDE's Excel copy of eladownload2023.txt; the warehouse reads the tab"):
        layout_for_file("ELADownload2023.xlsx", 2023)
    assert layout_for_file("GRADDOWNLOAD2019.TXT", 2019).stem == "grad"  # CDE's capitalisation varies


def test_release_keys():
    assert all_release_keys()[:3] == ["2017-preview", "2017-public", "2018-preview"]
    assert len(all_release_keys()) == 14
    assert Release.parse("2024-preview") == Release(2024, "preview")
    with pytest.raises(ValueError, match="no Dashboards in 2020 and 2021"):
        Release.parse("2020-public")
    with pytest.raises(ValueError, match="expected <report year>-<preview|public>"):
        Release.parse("2018-final")


def test_discovery_rejects_unknown_years_and_stages(tmp_path):
    (tmp_path / "2021" / "public").mkdir(parents=True)
    (tmp_path / "2021" / "public" / "graddownload2021dassonly.txt").write_text("cds\n")
    (tmp_path / "2018" / "draft").mkdir(parents=True)
    (tmp_path / "reference").mkdir()  # not a year folder: not a release
    with pytest.raises(RegistryError) as err:
        discover_releases(tmp_path)
    assert "2021 is not a Dashboard report year" in str(err.value)
    assert "graddownload2021dassonly.txt is a reference input (no Dashboard in 2021): move it to" in str(err.value)
    assert "stage folders are 'preview' or 'public'" in str(err.value)


def test_a_folder_that_is_not_a_report_year_is_named(tmp_path):
    for folder in ("2O24/public", "downloads", "2023/public", "reference"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "2023" / "public" / "graddownload2023.txt").write_text("x")
    (tmp_path / "gradownload2024.txt").write_text("x")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    warnings = raw_dir_warnings(tmp_path)
    assert len(warnings) == 3
    assert "2O24: not a report year folder" in warnings[0] and "misspelt year" in warnings[0]
    assert "downloads: not a report year folder" in warnings[1] and "misspelt" not in warnings[1]
    assert "gradownload2024.txt: not a report year folder, reference/ or a README, so nothing in this file" \
        in warnings[2]
    assert [r.key for r in discover_releases(tmp_path)] == ["2023-public"]


def test_an_unknown_file_in_a_release_folder_is_an_error(tmp_path):
    folder = tmp_path / "2018" / "public"
    folder.mkdir(parents=True)
    (folder / "notes.xlsx").write_text("x")
    (folder / ".DS_Store").write_text("x")  # hidden files are ignored
    with pytest.raises(RegistryError, match="notes.xlsx: not a research file the registry knows for 2018"):
        release_files(tmp_path, Release(2018, "public"))


def test_cadash_layouts_shows_how_each_layout_is_known(capsys):
    from orchestration.cli import main

    assert main(["layouts"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^cci\s+2024\s+all\s+ccidownload2024.txt\s+109\s+\d+\s+verified", out, re.M)
    assert re.search(r"^chronic\s+2025\s+all\s+\S+\s+29\s+\d+\s+inferred \(from 2024\)", out, re.M)
    assert re.search(r"^ela\s+2024\s+all\s+\S+\s+37\s+\d+\s+secondary", out, re.M)
    assert "67 layouts: 36 verified, 17 secondary, 14 inferred" in out
    assert main(["layouts", "--stem", "science", "--format", "markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| stem | year |") and len(table) == 4 and "real header" in table[2]


def test_the_layouts_page_is_current():
    from orchestration.cli import layouts_doc

    assert (REPO / "docs" / "layouts.md").read_text(encoding="utf-8") == layouts_doc(), \
        "run .venv/bin/cadash layouts --write docs/layouts.md"
