"""What a release is built from (issue 20): the digest chain that decides which releases a build redoes, and the
scope of each published mart that makes the chain true (a folder reads nothing of a later year)."""

from __future__ import annotations

import shutil

import pytest

from orchestration.publish.publisher import PUBLISHED_MARTS, scope_filter
from orchestration.releases.digest import code_digest, release_digests
from orchestration.releases.discovery import Release

KEYS = ("2022-preview", "2022-public", "2023-preview", "2023-public", "2024-public")


@pytest.fixture()
def landing(tmp_path):
    raw = tmp_path / "raw"
    for key in KEYS:
        release = Release.parse(key)
        folder = raw / str(release.report_year) / release.stage
        folder.mkdir(parents=True)
        (folder / f"elpidownload{release.report_year}.txt").write_text(f"cds\trtype\n{key}\n", encoding="utf-8")
    (raw / "reference").mkdir()
    (raw / "reference" / "title_i_status.txt").write_text("cds\ttitle_i\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "orchestration").mkdir(parents=True)
    (repo / "orchestration" / "rules.py").write_text("CUT = 1\n", encoding="utf-8")
    (repo / "dbt_project" / "seeds").mkdir(parents=True)
    (repo / "dbt_project" / "seeds" / "cut_points.csv").write_text("indicator,cut\nela,-5\n", encoding="utf-8")
    return raw, repo


def _digests(raw, repo):
    return release_digests(raw, [Release.parse(k) for k in KEYS], repo)


def test_the_digests_are_stable_and_one_per_year(landing):
    raw, repo = landing
    first = _digests(raw, repo)
    assert first == _digests(raw, repo)
    # a year's two stages read the same files (the year's diff reads both), so they share a digest; years differ
    assert first["2022-preview"] == first["2022-public"] and first["2023-preview"] == first["2023-public"]
    assert len({first["2022-public"], first["2023-public"], first["2024-public"]}) == 3
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in first.values())


def test_a_changed_file_changes_its_year_and_the_later_years_only(landing):
    raw, repo = landing
    before = _digests(raw, repo)
    (raw / "2023" / "public" / "elpidownload2023.txt").write_text("cds\trtype\ncorrected\n", encoding="utf-8")
    after = _digests(raw, repo)
    changed = {k for k in KEYS if before[k] != after[k]}
    # both 2023 stages (the year's preview -> public diff reads both), 2024 (looks back); 2022 untouched
    assert changed == {"2023-preview", "2023-public", "2024-public"}


def test_a_new_release_leaves_the_earlier_years_alone(landing):
    raw, repo = landing
    before = _digests(raw, repo)
    folder = raw / "2025" / "preview"
    folder.mkdir(parents=True)
    (folder / "elpidownload2025.txt").write_text("cds\n", encoding="utf-8")
    after = release_digests(raw, [Release.parse(k) for k in (*KEYS, "2025-preview")], repo)
    assert {k: after[k] for k in KEYS} == before


def test_the_rules_code_and_reference_inputs_change_every_digest(landing):
    raw, repo = landing
    before = _digests(raw, repo)
    (repo / "dbt_project" / "seeds" / "cut_points.csv").write_text("indicator,cut\nela,-6\n", encoding="utf-8")
    by_rule = _digests(raw, repo)
    assert all(by_rule[k] != before[k] for k in KEYS)
    (raw / "reference" / "title_i_status.txt").write_text("cds\ttitle_i\n01\tY\n", encoding="utf-8")
    by_reference = _digests(raw, repo)
    assert all(by_reference[k] != by_rule[k] for k in KEYS)


def test_caches_do_not_count_as_code(landing):
    _, repo = landing
    before = code_digest(repo)
    cache = repo / "orchestration" / "__pycache__"
    cache.mkdir()
    (cache / "rules.cpython-311.pyc").write_bytes(b"\0compiled")
    (repo / "orchestration" / ".rules.py.swp").write_bytes(b"editor")
    assert code_digest(repo) == before
    shutil.rmtree(cache)
    (repo / "orchestration" / "rules.py").write_text("CUT = 2\n", encoding="utf-8")
    assert code_digest(repo) != before


def test_each_published_mart_reads_its_release_or_year_never_a_later_one():
    scopes = dict(PUBLISHED_MARTS)
    assert scope_filter("marts.fct_indicator_results", scopes["marts.fct_indicator_results"], "2023-preview") == (
        "where release_key = $release", {"release": "2023-preview"})
    assert scope_filter("marts.fct_preview_public_result_changes",
                        scopes["marts.fct_preview_public_result_changes"], "2023-public") == (
        "where report_year = $year", {"year": 2023})
    assert scope_filter("marts.cde_essaassistance23", scopes["marts.cde_essaassistance23"], "2023-public") == ("", {})
    assert scope_filter("marts.cde_essaassistance23", scopes["marts.cde_essaassistance23"], "2024-public") == (
        "where false", {})
    assert scope_filter("marts.dim_indicator", scopes["marts.dim_indicator"], "2019-public") == ("", {})
    with pytest.raises(ValueError, match="unknown publication scope"):
        scope_filter("marts.dim_indicator", "all", "2019-public")
    assert {scope for _, scope in PUBLISHED_MARTS} == {"release", "vocabulary", "year", "layout"}
