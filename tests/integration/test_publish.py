"""Atomic publication (issue 7, first part): Parquet per mart, a DuckDB snapshot of tables and manifest.json,
switched into place only when complete; a failure leaves the previous publication byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import settings as app_settings
from orchestration.publish import publisher, store
from orchestration.publish.publisher import PUBLISHED_MARTS, PublishError, publish_release
from orchestration.publish.store import tree_state

REPO = app_settings.REPO_ROOT


@pytest.fixture()
def published(bundled_warehouse, tmp_path) -> Path:
    out = tmp_path / "published"
    publish_release(bundled_warehouse, out, "2018-public", REPO, log=lambda _m: None)
    return out


def test_publication_files_manifest_and_snapshot(bundled_warehouse, published, tmp_path):
    release_dir = published / "2018-public"
    manifest = json.loads((release_dir / "manifest.json").read_text())
    assert manifest["release"] == "2018-public"
    assert set(manifest["dependencies"]) >= {"duckdb", "dbt-core", "dagster"}
    assert manifest["code_version"]
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    try:
        for entry in manifest["files"]:
            table = entry["table"]
            # the release's rows; the 2018 diff; no CDE list layout of 2018 exists (19, 22-25), so those are empty
            where = {"release": "where release_key = '2018-public'", "year": "where report_year = 2018",
                     "layout": "where false", "vocabulary": ""}[dict(PUBLISHED_MARTS)[table]]
            assert entry["rows"] == con.execute(f"select count(*) from {table} {where}").fetchall()[0][0]
            parquet = release_dir / entry["file"]
            assert hashlib.sha256(parquet.read_bytes()).hexdigest() == entry["sha256"]
            assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == entry["rows"]
    finally:
        con.close()
    rows = {e["table"]: e["rows"] for e in manifest["files"]}
    assert rows["marts.fct_indicator_results"] == 10366          # the real elpidownload2018.txt
    assert rows["marts.fct_da_eligibility"] > 900                # every LEA of the 2018 local indicators
    # the snapshot is tables only, so a copy under another name (a BI tool's download) still opens
    copy = tmp_path / "anything.duckdb"
    shutil.copyfile(release_dir / "snapshot.duckdb", copy)
    snap = duckdb.connect(str(copy), read_only=True)
    try:
        assert snap.execute("select count(*) from marts.fct_da_eligibility where is_method_2_met").fetchall() == [(11,)]
    finally:
        snap.close()
    assert os.readlink(published / "latest") == "2018-public"


def test_republishing_switches_atomically_and_keeps_one_version(bundled_warehouse, published):
    first = os.readlink(published / "2018-public")
    publish_release(bundled_warehouse, published, "2018-public", REPO, log=lambda _m: None)
    second = os.readlink(published / "2018-public")
    assert second != first and not (published / first).exists()
    assert len(list((published / store.VERSIONS_DIR).iterdir())) == 1
    assert not [p for p in published.iterdir() if p.name.startswith(".staging")]


def test_latest_is_the_newest_public_release(bundled_warehouse, published):
    publish_release(bundled_warehouse, published, "2017-public", REPO, log=lambda _m: None)
    assert os.readlink(published / "latest") == "2018-public"
    assert (published / "2017-public" / "manifest.json").is_file()


def test_a_failure_mid_write_leaves_the_previous_publication_byte_identical(bundled_warehouse, published,
                                                                             monkeypatch):
    before = tree_state(published)
    calls = {"n": 0}
    real = publisher.file_sha256

    def failing(path):
        calls["n"] += 1
        if calls["n"] == 3:    # two Parquet files are written and hashed, then the disk "fails"
            raise OSError(28, "No space left on device")
        return real(path)

    monkeypatch.setattr(publisher, "file_sha256", failing)
    with pytest.raises(PublishError, match="previous publication is unchanged.*No space left"):
        publish_release(bundled_warehouse, published, "2018-public", REPO, log=lambda _m: None)
    assert tree_state(published) == before
    assert not [p for p in published.iterdir() if p.name.startswith(".staging")]


def test_a_release_not_in_the_warehouse_publishes_nothing(bundled_warehouse, published):
    before = tree_state(published)
    with pytest.raises(PublishError, match="2023-public is not in"):
        publish_release(bundled_warehouse, published, "2023-public", REPO, log=lambda _m: None)
    with pytest.raises(ValueError):
        publish_release(bundled_warehouse, published, "2023-someday", REPO, log=lambda _m: None)
    assert tree_state(published) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_read_only_publish_dir_is_a_clear_error(bundled_warehouse, published):
    before = tree_state(published)
    published.chmod(0o555)
    try:
        with pytest.raises(PublishError, match="previous publication is unchanged"):
            publish_release(bundled_warehouse, published, "2018-public", REPO, log=lambda _m: None)
    finally:
        published.chmod(0o755)
    assert tree_state(published) == before


def test_a_publish_dir_that_cannot_be_a_directory_is_a_clear_error(bundled_warehouse, tmp_path):
    """As root the read-only case above is skipped; a publish path that is a file fails the same way."""
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the publish directory should be")
    with pytest.raises(PublishError, match="previous publication is unchanged"):
        publish_release(bundled_warehouse, blocked, "2018-public", REPO, log=lambda _m: None)
    assert blocked.read_text() == "a file where the publish directory should be"
