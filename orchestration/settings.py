"""Paths and options of the warehouse, read from the environment at call time.

| variable                | meaning                                   | default (relative to the repository) |
|-------------------------|-------------------------------------------|--------------------------------------|
| DASHBOARD_WAREHOUSE     | the live DuckDB warehouse file            | data/warehouse.duckdb                |
| DASHBOARD_RAW_DIR       | the landing zone, <dir>/<year>/<stage>/.. | data/generated/raw/ (statewide       |
|                         |                                           | synthetic releases, `cadash generate`)|
| DASHBOARD_PUBLISH_DIR   | where published releases are written      | data/published/                      |
| DASHBOARD_EXPECTATIONS  | the Great Expectations suites' folder     | expectations/                        |

Values are read each time `load()` is called, so the CLI can set them (from --warehouse / --raw-dir) before
the Dagster definitions are built, and the dbt subprocess sees the same warehouse through the environment
(dbt_project/profiles.yml reads DASHBOARD_WAREHOUSE).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"               # the committed suites (override: DASHBOARD_EXPECTATIONS)
GENERATED_RAW_DIR = REPO_ROOT / "data" / "generated" / "raw"  # gitignored; the default data set

ASSET_OWNERS = ["team:data-engineering"]   # shown on every asset in the Dagster UI

# Written by `cadash generate` last into the raw dir it fills: its presence means the raw dir holds generated
# releases (made by our own rules), for which the level reconciliation is strict (orchestration/quality).
GENERATED_MARKER = ".generated.json"


def is_generated_raw_dir(raw_dir: Path) -> bool:
    """True when raw_dir holds releases written by `cadash generate` (any version), not CDE's files."""
    return (raw_dir / GENERATED_MARKER).is_file()

ENV_WAREHOUSE = "DASHBOARD_WAREHOUSE"
ENV_RAW_DIR = "DASHBOARD_RAW_DIR"
ENV_PUBLISH_DIR = "DASHBOARD_PUBLISH_DIR"
ENV_EXPECTATIONS = "DASHBOARD_EXPECTATIONS"
# how often the raw-folder sensor looks (seconds, default 60); the season test shortens it
ENV_SENSOR_INTERVAL = "DASHBOARD_SENSOR_INTERVAL"


def expectations_dir() -> Path:
    """The suites' folder: the committed expectations/, or DASHBOARD_EXPECTATIONS (a stricter or trial copy; the
    file names must stay those of expectations/, since they name the checks)."""
    value = os.environ.get(ENV_EXPECTATIONS)
    return Path(value).resolve() if value else EXPECTATIONS_DIR


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    raw_dir: Path
    publish_dir: Path


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


def load() -> Settings:
    return Settings(
        warehouse=_path_from_env(ENV_WAREHOUSE, REPO_ROOT / "data" / "warehouse.duckdb").resolve(),
        raw_dir=_path_from_env(ENV_RAW_DIR, GENERATED_RAW_DIR).resolve(),
        publish_dir=_path_from_env(ENV_PUBLISH_DIR, REPO_ROOT / "data" / "published").resolve(),
    )


def export(settings: Settings) -> None:
    """Write the settings back into the environment, as absolute paths, for subprocesses (dbt)."""
    os.environ[ENV_WAREHOUSE] = str(settings.warehouse)
    os.environ[ENV_RAW_DIR] = str(settings.raw_dir)
    os.environ[ENV_PUBLISH_DIR] = str(settings.publish_dir)
