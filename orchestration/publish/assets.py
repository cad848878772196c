"""The publish assets: what BI tools read, written only after every blocking check of the run passed.

publish/release depends on every published mart, so Dagster runs it after dbt (whose failing tests fail the dbt step)
and after the blocking checks on those marts (the mart suites and the level reconciliation); if any failed, this
asset is not materialized and `published/` keeps the previous publication. publish/postgres, defined only when the
environment names a PostgreSQL server, follows publish/release and rebuilds the marts on that server.

No `from __future__ import annotations` here: Dagster checks the context annotation at definition time.
"""

import os

import dagster as dg

from orchestration import settings as app_settings
from orchestration.partitions import RELEASES
from orchestration.publish.publisher import PUBLISHED_MARTS, publish_release
from orchestration.releases.digest import release_digests
from orchestration.releases.discovery import discover_releases

PUBLISHED_RELEASE = dg.AssetKey(["publish", "release"])

# what every asset of the publish group shares: one partition per release, a backfill of many releases in one run
PUBLISH_GROUP = {
    "group_name": "publish",
    "partitions_def": RELEASES,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "owners": app_settings.ASSET_OWNERS,
}


@dg.asset(
    key=PUBLISHED_RELEASE,
    deps=[dg.AssetKey(table.split(".")) for table, _scope in PUBLISHED_MARTS],
    kinds={"parquet", "duckdb"},
    **PUBLISH_GROUP,
    description="published/<release>/: Parquet per mart, snapshot.duckdb (tables) and manifest.json, switched into "
                "place atomically; published/latest points to the newest public release (docs/bi.md).",
)
def published_release(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    config = app_settings.load()
    # what each release is built from: the manifest records it, and `cadash build` skips a release whose
    # publication carries its current digest
    digests = release_digests(config.raw_dir, discover_releases(config.raw_dir), app_settings.REPO_ROOT)
    published = {}
    for key in context.partition_keys:
        publication = publish_release(config.warehouse, config.publish_dir, key, app_settings.REPO_ROOT,
                                      log=context.log.info, inputs_digest=digests.get(key))
        published[key] = {"path": str(publication.path),
                          "rows": {f["table"]: f["rows"] for f in publication.manifest["files"]}}
    return dg.MaterializeResult(metadata={
        "publish_dir": dg.MetadataValue.path(str(config.publish_dir)),
        "releases": dg.MetadataValue.json(published),
    })


# ---- the server warehouse option (docs/postgres.md) -------------------------------
PUBLISHED_POSTGRES = dg.AssetKey(["publish", "postgres"])


@dg.asset(
    key=PUBLISHED_POSTGRES,
    deps=[PUBLISHED_RELEASE],
    kinds={"postgres", "dbt"},
    **PUBLISH_GROUP,
    description="The marts on the PostgreSQL server named by DASHBOARD_PG_HOST (and _PORT, _USER, _PASSWORD, "
                "_DBNAME): the warehouse's sources copied in one transaction, dbt build --target postgres (models "
                "and tests), every published mart checked against DuckDB's row count. After publish/release, so "
                "only a build whose blocking checks passed reaches the server; each run replaces the server's copy "
                "of every release (docs/postgres.md).",
)
def published_postgres(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.publish.postgres import PostgresError, PostgresTarget, publish_to_postgres

    config = app_settings.load()
    try:
        target = PostgresTarget.from_env()
        publication = publish_to_postgres(config.warehouse, target, log=context.log.info)
    except PostgresError as exc:
        raise dg.Failure(
            description=f"{', '.join(context.partition_keys)} published to {config.publish_dir}, but the PostgreSQL "
                        f"server was not updated (it keeps its previous copy): {exc}") from None
    return dg.MaterializeResult(metadata={
        "server": dg.MetadataValue.text(target.describe()),
        "source_rows": dg.MetadataValue.int(sum(t.rows for t in publication.copied)),
        "dbt": dg.MetadataValue.json(publication.dbt.counts),
        "dbt_seconds": dg.MetadataValue.float(round(publication.dbt.seconds, 1)),
        "mart_rows": dg.MetadataValue.json(publication.mart_rows),
    })


def server_assets() -> list[dg.AssetsDefinition]:
    """publish/postgres when the code location's environment names a server (DASHBOARD_PG_HOST), else none: the
    server is an option, and a build without one must not fail for want of it."""
    from orchestration.publish.postgres import ENV

    return [published_postgres] if os.environ.get(ENV["host"]) else []
