"""Jobs: build one release, or rebuild every release in one run (one dbt invocation)."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import RELEASES, range_tags
from orchestration.publish.assets import PUBLISHED_RELEASE

# every asset and check, except the calendar-dependent freshness check: a build's success must not depend on the
# date (that check has its own job and schedule, orchestration/quality/freshness_check.py)
FRESHNESS_CHECK = dg.AssetCheckKey(PUBLISHED_RELEASE, "release_freshness")
WAREHOUSE_ASSETS = dg.AssetSelection.all() - dg.AssetSelection.checks(FRESHNESS_CHECK)

build_release_job = dg.define_asset_job(
    name="build_release",
    selection=WAREHOUSE_ASSETS,
    description="Ingest one release (report year x stage) from raw/ and rebuild its rows in every mart.",
)

_keys = RELEASES.get_partition_keys()
rebuild_all_job = dg.define_asset_job(
    name="rebuild_all_releases",
    selection=WAREHOUSE_ASSETS,
    tags=range_tags(_keys[0], _keys[-1]),
    description="Re-ingest and rebuild every release the registry knows, as one run over the whole partition range.",
)
