"""The publication folder (orchestration/publish/store.py) without a warehouse: versions written in staging and
switched in by link, `latest`, the release list, and failures that leave the previous version as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration import vocabulary
from orchestration.publish.store import (
    LATEST,
    MANIFEST,
    VERSIONS_DIR,
    StagingFailed,
    VersionedDir,
    tree_state,
    unwritable_reason,
)


def _writer(text: str):
    def write(staging):
        (staging / MANIFEST).write_text(f'{{"built_at": "2024-12-01T00:00:00+00:00", "text": "{text}"}}')
        return text
    return write


def test_a_version_is_switched_in_and_the_one_it_left_is_removed(tmp_path):
    store = VersionedDir.publications(tmp_path)
    first, result = store.replace("2024-preview", _writer("one"))
    assert result == "one" and first.parent.name == VERSIONS_DIR
    second, _ = store.replace("2024-preview", _writer("two"))
    assert os.path.realpath(tmp_path / "2024-preview") == str(second)
    assert not first.exists() and [p.name for p in (tmp_path / VERSIONS_DIR).iterdir()] == [second.name]
    assert store.manifest("2024-preview")["text"] == "two"
    assert store.manifest("2023-public") is None


def test_latest_follows_the_newest_public_release_and_previews_do_not_move_it(tmp_path):
    store = VersionedDir.publications(tmp_path)
    store.replace("2023-public", _writer("a"))
    store.replace("2024-preview", _writer("b"))
    assert store.latest() == "2023-public"
    store.replace("2022-public", _writer("c"))
    assert store.latest() == "2023-public"
    assert [r.key for r in store.releases()] == ["2022-public", "2023-public", "2024-preview"]
    assert os.readlink(tmp_path / LATEST) == "2023-public"


def test_a_failed_write_leaves_the_previous_version_and_no_staging_dir(tmp_path):
    store = VersionedDir.publications(tmp_path)
    store.replace("2024-public", _writer("kept"))

    def failing(staging):
        (staging / "half.parquet").write_bytes(b"PAR1")
        raise OSError(28, "No space left on device")

    with pytest.raises(StagingFailed, match="No space left") as caught:
        store.replace("2024-public", failing)
    assert isinstance(caught.value.__cause__, OSError)
    assert store.manifest("2024-public")["text"] == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == [VERSIONS_DIR, "2024-public", LATEST]


def test_a_staged_version_is_not_seen_until_it_is_switched(tmp_path):
    store = VersionedDir.publications(tmp_path)
    store.replace("2024-public", _writer("old"))
    staged, result = store.stage("2024-public", _writer("new"))
    assert result == "new" and staged.version.parent.name == VERSIONS_DIR
    assert store.manifest("2024-public")["text"] == "old"     # readers still see the previous version
    other, _ = store.stage("2025-public", _writer("next"))
    assert [r.key for r in store.releases()] == ["2024-public"] and store.latest() == "2024-public"
    assert store.switch(staged) == staged.version and store.manifest("2024-public")["text"] == "new"
    store.switch(other)
    assert store.latest() == "2025-public"
    assert sorted(p.name for p in (tmp_path / VERSIONS_DIR).iterdir()) == sorted(
        [staged.version.name, other.version.name])             # the version the link left is removed


def test_names_that_are_not_releases_are_not_listed(tmp_path):
    store = VersionedDir.reports(tmp_path)
    store.replace("2024-public", lambda staging: (staging / "index.html").write_text("<html>"))
    (store.root / "notes").mkdir()
    os.symlink("notes", store.root / "2O24-public")
    assert [r.key for r in store.releases()] == ["2024-public"]
    with pytest.raises(ValueError):
        store.replace("2024-final", _writer("x"))


def test_the_vocabularies_come_from_their_seeds():
    assert vocabulary.indicators() == ("ela", "math", "chronic", "susp", "grad", "elpi", "cci", "science")
    assert vocabulary.points_indicators() == {"ela", "math", "science"}
    assert set(vocabulary.programs()) == {"da", "essa"}
    assert vocabulary.da_statuses()[0] == "Differentiated Assistance"
    assert vocabulary.da_statuses()[-1] == "General Assistance" and len(vocabulary.da_statuses()) == 4
    assert vocabulary.essa_statuses() == ("CSI Low Graduation Rate", "CSI Low Performing", "ATSI", "TSI",
                                          "General Assistance")


def test_a_publish_dir_that_cannot_be_written_is_named_before_a_build(tmp_path, monkeypatch):
    assert unwritable_reason(tmp_path) is None                              # an existing folder
    assert unwritable_reason(tmp_path / "new" / "published") is None        # made on first publish
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert unwritable_reason(blocker) == f"{blocker} exists and is not a directory"
    assert unwritable_reason(blocker / "published") == \
        f"{blocker} (on the way to {blocker / 'published'}) is not a directory"
    # root writes anywhere (the tests run as root), so the permission answer is the operating system's, stubbed
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert unwritable_reason(tmp_path) == f"{tmp_path} is not writable"
    assert unwritable_reason(tmp_path / "published") == \
        f"{tmp_path} is not writable, so {tmp_path / 'published'} cannot be made"


def test_the_tree_state_sees_bytes_and_links(tmp_path):
    (tmp_path / ".versions" / "a").mkdir(parents=True)
    (tmp_path / ".versions" / "a" / "f.parquet").write_bytes(b"one")
    os.symlink(".versions/a", tmp_path / "2024-public")
    first = tree_state(tmp_path)
    assert first["2024-public ->"] == ".versions/a" and "2024-public/f.parquet" in first
    (tmp_path / ".versions" / "a" / "f.parquet").write_bytes(b"two")
    assert tree_state(tmp_path) != first
    assert tree_state(tmp_path / "missing") == {}
