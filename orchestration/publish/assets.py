"""The publish asset: what BI tools read, written only after every blocking check of the run passed.

It depends on every published mart, so Dagster runs it after dbt (whose failing tests fail the dbt step) and after
the blocking checks on those marts (the mart suites and the level reconciliation); if any failed, this asset is not
materialized and `published/` keeps the previous publication.

No `from __future__ import annotations` here: Dagster checks the context annotation at definition time.
"""

import dagster as dg

from orchestration import settings as app_settings
from orchestration.partitions import RELEASES
from orchestration.publish.publisher import PUBLISHED_MARTS, publish_release

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
                "place atomically; published/latest points to the newest public release (README: BI access).",
)
def published_release(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    config = app_settings.load()
    published = {}
    for key in context.partition_keys:
        publication = publish_release(config.warehouse, config.publish_dir, key, app_settings.REPO_ROOT,
                                      log=context.log.info)
        published[key] = {"path": str(publication.path),
                          "rows": {f["table"]: f["rows"] for f in publication.manifest["files"]}}
    return dg.MaterializeResult(metadata={
        "publish_dir": dg.MetadataValue.path(str(config.publish_dir)),
        "releases": dg.MetadataValue.json(published),
    })
