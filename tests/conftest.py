"""Shared fixtures. The real CDE files the tests use are bundled under raw/ (nothing outside the repository is read)."""

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
BUNDLED_RAW = REPO / "raw"


SETTINGS_ENV = (app_settings.ENV_WAREHOUSE, app_settings.ENV_RAW_DIR, app_settings.ENV_PUBLISH_DIR,
                app_settings.ENV_EXPECTATIONS)


@pytest.fixture(scope="session", autouse=True)
def _session_settings(tmp_path_factory):
    """Module- and session-scoped fixtures run before any test's own settings: point them at a temp warehouse and
    publish dir too, so that no fixture build publishes into the repository's data/ (where `make run` put the
    user's releases) or shares it with the other test worker."""
    session = tmp_path_factory.mktemp("session_settings")
    with pytest.MonkeyPatch.context() as patch:
        for name in (*SETTINGS_ENV, "DAGSTER_HOME"):
            patch.delenv(name, raising=False)
        patch.setenv(app_settings.ENV_WAREHOUSE, str(session / "warehouse.duckdb"))
        patch.setenv(app_settings.ENV_PUBLISH_DIR, str(session / "published"))
        yield


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """Every test starts from settings pointing at its own temp warehouse; the CLI may overwrite them."""
    for name in SETTINGS_ENV:
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


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory) -> Path:
    """The warehouse built by `cadash build` from every bundled real release (once per test session)."""

    def build(folder: Path) -> None:
        code = build_in_isolation(["--raw-dir", str(BUNDLED_RAW), "--warehouse", str(folder / "warehouse.duckdb"),
                                   "--publish-dir", str(folder / "published")])
        assert code == 0, "cadash build on the bundled real files failed"

    return built_once(tmp_path_factory, "bundled", build) / "warehouse.duckdb"


@pytest.fixture(scope="session")
def hand_worked_warehouse(tmp_path_factory) -> Path:
    """The hand-worked DA and ESSA releases (test_eligibility.hand_worked_releases) built by `cadash build`, once
    per session for test_eligibility and test_postgres; the raw files are beside it (raw/)."""
    from tests.test_eligibility import hand_worked_releases

    def build(folder: Path) -> None:
        raw = hand_worked_releases().write(folder / "raw")
        code = build_in_isolation(["--raw-dir", str(raw), "--warehouse", str(folder / "w.duckdb"),
                                   "--publish-dir", str(folder / "published")])
        assert code == 0, "cadash build on the hand-worked eligibility releases failed"

    return built_once(tmp_path_factory, "hand_worked", build) / "w.duckdb"


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


# `make test` runs the test files on two workers (pytest-xdist, --dist loadfile), each taking the next file in
# collection order. The longest files go first so that the workers finish together instead of one starting the
# longest file last (seconds in a one-worker run on the 2-core CI machine, 2026-12-01).
LONGEST_FIRST = (
    "test_eligibility_statewide.py",   # 670: generates and builds the statewide releases at scale 1
    "test_bad_input_catalogue.py",     # 610: 25 cases, most of them a build
    "test_season.py",                  # 505: a season through the webserver, daemon and PostgreSQL
    "test_levels.py",                  # 510: the hand-worked cases and the boundary sweep, one build each
    "test_eligibility.py",             # 450: the hand-worked DA and ESSA releases
    "test_postgres.py",                # 415: the same releases on a PostgreSQL server
    "test_synth.py",                   # 140
    "test_report.py",                  # 100
)


def _uses_a_shared_build(item) -> bool:
    """Whether the test needs a module- or session-scoped fixture of this suite: those are what build warehouses,
    generate releases and start servers (the settings fixtures, named with a leading _, excepted)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name, definitions in info.name2fixturedefs.items():
        for definition in definitions:
            if (not name.startswith("_") and definition.scope in ("module", "session")
                    and (definition.baseid or "").startswith("tests")):
                return True
    return False


def pytest_collection_modifyitems(items) -> None:
    # the fast lane (`make test-unit`, -m "not slow") leaves out every test that uses a shared build, so a new test
    # on a built warehouse cannot land in it by a forgotten marker; tests that build in their own body say `slow`
    for item in items:
        if _uses_a_shared_build(item):
            item.add_marker(pytest.mark.slow)
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: a file's tests keep their order
