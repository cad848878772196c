"""The research-file registry: layouts as data, recognition of real files, clear errors for the rest."""

from __future__ import annotations

from collections import Counter

import pytest

from orchestration.releases import registry
from orchestration.releases.discovery import Release, all_release_keys, discover_releases, release_files
from orchestration.releases.registry import LAYOUTS, RegistryError, check_header, layout_for_file

from .conftest import BUNDLED_RAW

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


def test_every_layout_column_has_a_declared_type():
    untyped = {(lay.key, c) for lay in LAYOUTS for c in lay.raw_columns if c not in registry.COLUMN_TYPES}
    assert untyped == set()


def test_layouts_are_unique_and_well_formed():
    keys = Counter(lay.key for lay in LAYOUTS)
    assert [k for k, n in keys.items() if n > 1] == []
    for lay in LAYOUTS:
        assert lay.report_year in registry.REPORT_YEARS, lay.key
        assert lay.stem in registry.STEM_INDICATOR, lay.key
        assert len(set(lay.raw_columns)) == len(lay.raw_columns), f"{lay.key} repeats a column"
        assert lay.encoding in ("utf-8", "cp1252")
        assert lay.source, lay.key
    names = Counter((lay.report_year, n.lower()) for lay in LAYOUTS for n in lay.file_names)
    assert [k for k, n in names.items() if n > 1] == []


def test_stem_availability_by_year_follows_the_methodology():
    assert "chronic" not in registry.stems_for_year(2017)  # first chronic absenteeism colours in 2018
    assert "cci" not in registry.stems_for_year(2022)  # CCI not reported in 2022
    assert [y for y in registry.REPORT_YEARS if "science" in registry.stems_for_year(y)] == [2025]
    for year in registry.REPORT_YEARS:
        assert {"ela", "math", "susp", "grad", "elpi", "localindperf"} <= set(registry.stems_for_year(year))


def test_documented_quirks_are_in_the_layouts():
    by_key = {lay.key: lay for lay in LAYOUTS}
    assert "changeLevel" in by_key["chronic/2024/all"].columns
    assert by_key["susp/2019/all"].columns[0] == "cdscode" and by_key["susp/2019/all"].raw_columns[0] == "cds"
    assert "dass_flag" not in by_key["grad/2017/all"].columns  # not in the Fall 2017 files
    assert "studentgroup" not in by_key["elpi/2023/all"].columns  # ELPI has no studentgroup before 2024
    assert "studentgroup" in by_key["elpi/2024/all"].columns
    assert "indicator" in by_key["grad/2023/all"].columns and "indicator" not in by_key["grad/2019/all"].columns
    assert "change" not in by_key["chronic/2022/all"].columns  # 2022 is Status only
    assert by_key["elpi/2017/all"].encoding == "cp1252"
    assert len(by_key["ela/2018/all"].columns) == 32


@pytest.mark.parametrize(("year", "name"), sorted(EXPECTED_BUNDLED))
def test_every_bundled_real_file_is_recognised_with_its_layout(year, name):
    stem, ncols = EXPECTED_BUNDLED[(year, name)]
    path = BUNDLED_RAW / year / "public" / name
    layout = layout_for_file(name, int(year))
    assert (layout.stem, len(layout.columns)) == (stem, ncols)
    header = path.read_bytes().split(b"\n", 1)[0].decode("ascii").rstrip("\r").split("\t")
    check_header(layout, header, name)  # raises on any difference


def test_bundled_raw_dir_has_exactly_the_real_releases():
    assert [r.key for r in discover_releases(BUNDLED_RAW)] == ["2017-public", "2018-public"]
    assert sorted(f.path.name for f in release_files(BUNDLED_RAW, Release(2018, "public"))) == [
        "LocalIndPerf2018.txt", "elpidownload2018.txt"]


def _grad_2018():
    return layout_for_file("graddownload2018.txt", 2018)


def test_renamed_column_is_reported_with_its_position():
    layout = _grad_2018()
    header = list(layout.columns)
    header[11] = "curr_status"
    with pytest.raises(RegistryError) as err:
        check_header(layout, header, "graddownload2018.txt")
    text = str(err.value)
    assert "missing column(s): currstatus" in text
    assert "unexpected column(s): curr_status" in text
    assert "column 12: expected 'currstatus', found 'curr_status'" in text


def test_missing_and_extra_columns_are_reported():
    layout = _grad_2018()
    with pytest.raises(RegistryError, match=r"missing column\(s\): box"):
        check_header(layout, [c for c in layout.columns if c != "box"], "f.txt")
    with pytest.raises(RegistryError, match=r"unexpected column\(s\): extra_col.*expected 22 columns, found 23"):
        check_header(layout, [*layout.columns, "extra_col"], "f.txt")


def test_reordered_columns_are_reported():
    layout = _grad_2018()
    header = list(layout.columns)
    header[1], header[2] = header[2], header[1]
    with pytest.raises(RegistryError, match="out of order.*column 2: expected 'rtype', found 'schoolname'"):
        check_header(layout, header, "f.txt")


def test_a_difference_in_letter_case_only_is_accepted():
    layout = layout_for_file("chronicdownload2024.txt", 2024)
    check_header(layout, [c.lower() for c in layout.columns], "chronicdownload2024.txt")


def test_unknown_file_and_misplaced_year_give_clear_errors():
    with pytest.raises(RegistryError, match="not a research file the registry knows for 2018.*graddownload2018.txt"):
        layout_for_file("attendance2018.txt", 2018)
    with pytest.raises(RegistryError, match="this is the 2017 file name, but it sits under the 2019 folder"):
        layout_for_file("graddownload2017f.txt", 2019)
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
    (tmp_path / "2018" / "draft").mkdir(parents=True)
    (tmp_path / "reference").mkdir()  # not a year folder: not a release, skipped
    with pytest.raises(RegistryError) as err:
        discover_releases(tmp_path)
    assert "2021 is not a Dashboard report year" in str(err.value)
    assert "stage folders are 'preview' or 'public'" in str(err.value)


def test_an_unknown_file_in_a_release_folder_is_an_error(tmp_path):
    folder = tmp_path / "2018" / "public"
    folder.mkdir(parents=True)
    (folder / "notes.xlsx").write_text("x")
    (folder / ".DS_Store").write_text("x")  # hidden files are ignored
    with pytest.raises(RegistryError, match="notes.xlsx: not a research file the registry knows for 2018"):
        release_files(tmp_path, Release(2018, "public"))
