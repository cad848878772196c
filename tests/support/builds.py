"""Paths of the bundled inputs and the ways a test builds a warehouse: `cadash build` in isolation, once per
session for every worker (`built_once`), or logged to a file."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration import settings as app_settings

REPO = app_settings.REPO_ROOT
BUNDLED_RAW = REPO / "raw"                     # the real CDE files the tests use (nothing outside the repo is read)
FIXTURES = REPO / "tests" / "fixtures"          # real headers, samples and lists; golden screenshots


def instance_with_releases(*keys: str):
    """An in-memory Dagster instance whose release partitions are `keys` (as `cadash build` makes them)."""
    import dagster as dg

    from orchestration.partitions import sync_release_partitions

    instance = dg.DagsterInstance.ephemeral()
    sync_release_partitions(instance, keys)
    return instance


def copy_release_files(dest: Path, *relative: str) -> Path:
    """Copy bundled raw files (e.g. '2017/public/graddownload2017f.txt') into a new landing zone."""
    for rel in relative:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED_RAW / rel, target)
    return dest


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that `build(folder)` fills once per test session, however many pytest-xdist workers ask for it:
    the first one builds it under a lock, the others wait and use the same folder. Its users read it only (DuckDB
    files opened read-only, or copied). A failed build is recorded, so the other workers fail with its message
    instead of building again."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent      # pytest-N/, shared by this session's workers (each has pytest-N/popen-gwK/)
    folder, lock_path = base / f"shared-{name}", base / f"shared-{name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        failure = base / f"shared-{name}.failed"
        if failure.exists():
            pytest.fail(f"building the shared fixture {name} failed in another worker: {failure.read_text()}")
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException as exc:
                failure.write_text(f"{type(exc).__name__}: {exc}")
                raise
            (folder / ".built").touch()
    return folder


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


def build_logged(folder: Path, raw: Path, what: str) -> None:
    """`cadash build` of `raw` into folder/w.duckdb and folder/published, its output kept in folder/build.log; a
    failed build fails the fixture with the end of that output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = build_in_isolation(["--raw-dir", str(raw), "--warehouse", str(folder / "w.duckdb"),
                                   "--publish-dir", str(folder / "published")])
    (folder / "build.log").write_text(out.getvalue())
    assert code == 0, f"cadash build on {what} failed:\n{out.getvalue()[-3000:]}"


def quiet(_msg: str) -> None:
    """A log sink for the loaders and the generator, when a test does not read their progress lines."""
