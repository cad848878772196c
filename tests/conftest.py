"""Shared fixtures. The real CDE files the tests use are bundled under raw/ (nothing outside the repository is read)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration import settings as app_settings

REPO = app_settings.REPO_ROOT
BUNDLED_RAW = REPO / "raw"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """Every test starts from settings pointing at its own temp warehouse; the CLI may overwrite them."""
    for name in (app_settings.ENV_WAREHOUSE, app_settings.ENV_RAW_DIR, app_settings.ENV_PUBLISH_DIR,
                 app_settings.ENV_EXPECTATIONS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(app_settings.ENV_WAREHOUSE, str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv(app_settings.ENV_PUBLISH_DIR, str(tmp_path / "published"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield


def copy_release_files(dest: Path, *relative: str) -> Path:
    """Copy bundled raw files (e.g. '2017/public/graddownload2017f.txt') into a new landing zone."""
    for rel in relative:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED_RAW / rel, target)
    return dest


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory) -> Path:
    """The warehouse built by `cadash build` from every bundled real release (once per test session)."""
    path = tmp_path_factory.mktemp("bundled") / "warehouse.duckdb"
    code = build_in_isolation(["--raw-dir", str(BUNDLED_RAW), "--warehouse", str(path), "--publish-dir",
                               str(path.parent / "published")])
    assert code == 0, "cadash build on the bundled real files failed"
    return path


def build_in_isolation(args: list[str]) -> int:
    """`cadash build ARGS` for a module- or session-scoped fixture: the environment the CLI writes (paths,
    DAGSTER_HOME) is restored afterwards, since no per-test monkeypatch is there to undo it."""
    from orchestration.cli import main

    saved = dict(os.environ)
    try:
        os.environ.pop("DAGSTER_HOME", None)
        return main(["build", *args])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def publication_state(path: Path) -> dict[str, str]:
    """Every file under a publish dir (links followed) with its sha256, and where each link points: two equal
    states mean the publication is byte for byte the same."""
    import hashlib

    state = {}
    if not path.exists():
        return state
    for root, _dirs, files in os.walk(path, followlinks=True):
        for name in files:
            full = Path(root) / name
            state[str(full.relative_to(path))] = hashlib.sha256(full.read_bytes()).hexdigest()
    for link in path.iterdir():
        if link.is_symlink():
            state[f"{link.name} ->"] = os.readlink(link)
    return state
