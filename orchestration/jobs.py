"""The build job: one release, or any range of releases in one run (one dbt invocation).

Every release at once is a backfill of all partitions (UI: *Materialize all* or the job's *Launch backfill*, all
partitions): the assets' single-run backfill policy makes it one run over the whole range; `cadash build` does
the same from the command line. (A fixed "rebuild every release" job would need its partition range when the code
location loads, but the release partitions live in the instance and change as files land.)"""

from __future__ import annotations

import dagster as dg

from orchestration.publish.assets import PUBLISHED_RELEASE

# every asset and check, except the calendar-dependent freshness check: a build's success must not depend on the
# date (that check has its own job and schedule, orchestration/quality/freshness_check.py)
FRESHNESS_CHECK = dg.AssetCheckKey(PUBLISHED_RELEASE, "release_freshness")
WAREHOUSE_ASSETS = dg.AssetSelection.all() - dg.AssetSelection.checks(FRESHNESS_CHECK)

build_release_job = dg.define_asset_job(
    name="build_release",
    selection=WAREHOUSE_ASSETS,
    description="Ingest releases (report year x stage) from raw/ and rebuild their rows in every mart: one "
                "partition, or a backfill of several as one run.",
)
