"""The Dagster code location: assembles assets, checks, jobs and resources. Nothing else lives here."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings as app_settings
from orchestration.ingest.assets import ingest_research_files
from orchestration.instance import relax_sqlite_sync
from orchestration.jobs import build_release_job
from orchestration.publish.assets import published_release, server_assets
from orchestration.quality.freshness_check import check_freshness_job, freshness_daily, release_freshness_check
from orchestration.quality.gx_checks import published_mart_suites
from orchestration.quality.reconciliation import level_disagreements, level_reconciliation
from orchestration.report.assets import release_report
from orchestration.schedules import annual_release, preview_window, raw_files_changed, release_partitions
from orchestration.transform.assets import dashboard_dbt_assets
from orchestration.transform.project import dbt_resource


def build_definitions(config: app_settings.Settings | None = None) -> dg.Definitions:
    config = config or app_settings.load()
    relax_sqlite_sync()  # the run workers write the instance's SQLite event log (orchestration/instance.py)
    app_settings.export(config)  # the dbt subprocess reads DASHBOARD_WAREHOUSE from the environment
    config.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(
        assets=[ingest_research_files, dashboard_dbt_assets, published_release, release_report, *server_assets()],
        asset_checks=[level_reconciliation, level_disagreements, published_mart_suites, release_freshness_check],
        jobs=[build_release_job, check_freshness_job],
        schedules=[preview_window, annual_release, freshness_daily],
        sensors=[release_partitions, raw_files_changed],
        # A release's steps are a chain (ingest -> dbt -> gates -> publish -> report): a process per step would
        # only import Dagster, dbt and this code location again for each. So runs from the UI, schedules and
        # sensors execute like `cadash build` (execute_in_process): every step in the run's process.
        executor=dg.in_process_executor,
        resources={
            # Checkpoint (compress and write) once per run rather than after every release's commit; the WAL
            # keeps what is committed in between. The memory limit bounds DuckDB's buffer cache (default: 80 % of
            # RAM), which otherwise grows with the data; with the Dagster process's own memory the ingest step
            # stays under 1.5 GB at the state's size (docs/benchmark.md).
            "duckdb": DuckDBResource(database=str(config.warehouse),
                                     connection_config={"checkpoint_threshold": "1GB", "memory_limit": "700MB"}),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions()
