"""Fixtures shared by the test folders, and the folder rule of the two lanes.

tests/unit/ (`make test-unit`): no warehouse build, no dbt, no servers; seconds. tests/integration/: everything that
builds through dbt or Dagster, starts a server or opens a browser; every test there is marked `slow` by its folder.
Helpers live in tests/support/ (no test module imports another or this file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration import settings as app_settings
from tests.support.builds import BUNDLED_RAW, build_in_isolation, build_logged, built_once

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


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory) -> Path:
    """The warehouse built by `cadash build` (once per test session) from every bundled real release in raw/ (2017
    and 2018, with raw/reference/title_i_status.txt) plus two of CDE's published lists under reference/
    (assistancestatus19-rev.xlsx and the ESSA cut), which test_list_reconciliation reconciles against. The raw dir
    and the build's output (build.log) are beside it."""
    from tests.support.inputs import DA_19, ESSA_22_CUT, land_workbooks

    def build(folder: Path) -> None:
        raw = land_workbooks(shutil.copytree(BUNDLED_RAW, folder / "raw"), DA_19, ESSA_22_CUT)
        build_logged(folder, raw, "the real 2017/2018 files with CDE's lists")

    return built_once(tmp_path_factory, "bundled", build) / "w.duckdb"


@pytest.fixture(scope="session")
def hand_worked_warehouse(tmp_path_factory) -> Path:
    """The hand-worked DA and ESSA releases (tests/support/hand_worked.py) built by `cadash build`, once
    per session for test_eligibility and test_postgres; the raw files are beside it (raw/)."""
    from tests.support.hand_worked import hand_worked_releases

    def build(folder: Path) -> None:
        raw = hand_worked_releases().write(folder / "raw")
        code = build_in_isolation(["--raw-dir", str(raw), "--warehouse", str(folder / "w.duckdb"),
                                   "--publish-dir", str(folder / "published")])
        assert code == 0, "cadash build on the hand-worked eligibility releases failed"

    return built_once(tmp_path_factory, "hand_worked", build) / "w.duckdb"


# Half the state's size (~500 LEAs, ~5,000 schools): the generator draws every LEA and school from the same model at
# any scale, so the shares the statewide test checks are scale 1's up to sampling noise, for half the build's time.
STATEWIDE_SCALE = 0.5


@pytest.fixture(scope="session")
def statewide_warehouse(tmp_path_factory) -> Path:
    """Every generated release (2017-2025, both stages, every layout) made by `cadash generate` at STATEWIDE_SCALE
    and built by `cadash build`, once per session for test_eligibility_statewide and test_synth."""

    def build(folder: Path) -> None:
        from orchestration.cli import main

        assert main(["generate", "--out", str(folder / "raw"), "--scale", str(STATEWIDE_SCALE), "--seed", "2017"]) == 0
        code = build_in_isolation(["--raw-dir", str(folder / "raw"), "--warehouse", str(folder / "warehouse.duckdb"),
                                   "--publish-dir", str(folder / "published")])
        assert code == 0, "the statewide build (ingest, dbt models and tests, blocking checks) failed"

    return built_once(tmp_path_factory, "statewide", build) / "warehouse.duckdb"


# `make test` runs the test files on TEST_WORKERS workers (pytest-xdist, --dist loadfile), each taking the next
# file in collection order. The longest files go first (as measured by `--durations`, figures in
# docs/benchmark.md), so that the workers finish together instead of one starting a long file last.
LONGEST_FIRST = (
    "test_eligibility_statewide.py",   # generates and builds every release at STATEWIDE_SCALE
    "test_season.py",                  # a season through the webserver, daemon and PostgreSQL
    "test_bad_input_catalogue.py",     # the bad-input cases, most of them a build
    "test_eligibility.py",             # the hand-worked DA and ESSA releases
    "test_postgres.py",                # the same releases on a PostgreSQL server
    "test_levels.py",                  # the hand-worked cases and the boundary sweep (one build), the real files
    "test_cli.py",                     # a build, an unchanged rebuild, a changed one and --force
    "test_real_samples.py",            # the real samples of every year
    "test_report.py",
)


INTEGRATION = Path(__file__).parent / "integration"
SHARED_BUILDS = {"bundled_warehouse", "hand_worked_warehouse", "statewide_warehouse"}   # the session builds above


def pytest_collection_modifyitems(items) -> None:
    # the lane is the folder: every test under tests/integration/ is marked `integration` (so `-m "not
    # integration"` is the fast lane too), and a test under tests/unit/ that asks for a warehouse build is refused
    misplaced = []
    for item in items:
        if INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.integration)
        elif SHARED_BUILDS & set(getattr(item, "fixturenames", ())):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError("tests that use a warehouse build belong in tests/integration/: "
                                + ", ".join(misplaced))
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: a file's tests keep their order
