"""The dbt project as Dagster sees it, and keeping its manifest current.

Dagster builds the dbt asset graph from target/manifest.json. `ensure_manifest()` runs `dbt parse` when the
manifest is missing or older than any file of the project, so a fresh clone, `dagster dev`, the CLI and the tests
all load definitions without a separate step.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import subprocess
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.transform.run_targets import prune_run_targets

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _newest_source_mtime() -> float:
    paths = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        paths.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in paths if p.exists())


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


class DashboardDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without the dbt adapter it opens in the Dagster process before every dbt command.

    `DbtCliResource.cli()` loads the project, its profile and its macros into an adapter (several seconds per
    command) that only its `fetch_row_counts()` / `fetch_column_metadata()` use; dagster-dbt already runs without
    it when that load fails. This project never calls them: table_metadata.py reads the schemas and row counts
    itself once dbt has exited (dbt holds the DuckDB file meanwhile). So the adapter is not made at all."""

    def _initialize_dbt_core_adapter(self, args):   # dagster-dbt 0.29: returns the adapter, or raises
        return None

    @cached_property
    def _cli_version(self) -> version.Version:      # dagster-dbt 0.29: `dbt --version` in a subprocess per run
        """The dbt beside this Python is this environment's dbt-core: its version is the package's, without the
        `dbt --version` subprocess (about 2 s) dagster-dbt would start for every run. Another dbt is asked."""
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _get_unique_target_path(self, *, context):  # dagster-dbt 0.29: target/<op>-<run id>-<uuid> per command
        path = super()._get_unique_target_path(context=context)
        # prune beside it: dagster-dbt's own target root (DBT_TARGET_PATH, else target/ of the project)
        prune_run_targets(path.parent if path.is_absolute() else DBT_PROJECT_DIR / path.parent)
        return path


def dbt_resource(**kwargs) -> DashboardDbtCli:
    """The dbt resource of this project (the DuckDB warehouse by default; `target=` for the server option)."""
    return DashboardDbtCli(project_dir=DBT_PROJECT, dbt_executable=dbt_executable(), **kwargs)


def _manifest_is_current() -> bool:
    return MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_source_mtime()


def ensure_manifest() -> Path:
    """Parse at most once at a time: processes that load the definitions together (the webserver and the daemon,
    `cadash build` beside `dagster dev`, the test workers) would otherwise write target/ at the same time. The
    lock is held only while parsing; whoever waited finds the manifest current and goes on."""
    if _manifest_is_current():
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _manifest_is_current():
            return MANIFEST
        result = subprocess.run(
            [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
             str(DBT_PROJECT_DIR), "--quiet"],
            capture_output=True, text=True, cwd=DBT_PROJECT_DIR,
        )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return MANIFEST
