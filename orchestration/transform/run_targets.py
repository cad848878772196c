"""The folders dagster-dbt leaves under dbt_project/target/, one per dbt command, and their removal (no dagster or
dbt import here, so the fast test lane reads it without loading them)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

# dagster-dbt gives every dbt command its own folder under target/ (compiled SQL, manifest, run_results.json,
# dbt.log: ~15 MB a build) and never removes one. The newest are kept to debug a run; the others go once they are
# a day old, so a folder a dbt command of another process (a test worker, `dagster dev`) is still writing is never
# removed.
DBT_ASSETS_NAME = "dashboard_dbt"       # the @dbt_assets op: its commands' folders are target/dashboard_dbt-*
KEEP_RUN_TARGETS = 10
RUN_TARGET_MAX_AGE_S = 24 * 3600


def prune_run_targets(target: Path, keep: int = KEEP_RUN_TARGETS, max_age_s: float = RUN_TARGET_MAX_AGE_S,
                      now: float | None = None) -> list[Path]:
    """Remove the per-command folders under `target` beyond the newest `keep` that are older than `max_age_s`
    (by modification time); dbt's own files there (manifest.json, partial_parse.msgpack, the server target
    folder) are left. Returns the folders removed."""
    now = time.time() if now is None else now
    runs = sorted((p for p in target.glob(f"{DBT_ASSETS_NAME}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime,
                  reverse=True)
    removed = []
    for path in runs[keep:]:
        if now - path.stat().st_mtime > max_age_s:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
