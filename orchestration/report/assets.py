"""The report asset: the static HTML report of each release, written after the release is published.

It depends on publish/release only, so a run builds it after publication, i.e. after every blocking check passed;
it reads nothing but the publication (reports/<release>/ under the publish dir, switched into place atomically).

No `from __future__ import annotations` here: Dagster checks the context annotation at definition time.
"""

import dagster as dg

from orchestration import settings as app_settings
from orchestration.publish.assets import PUBLISH_GROUP, PUBLISHED_RELEASE

PUBLISHED_REPORT = dg.AssetKey(["publish", "report"])


@dg.asset(
    key=PUBLISHED_REPORT,
    deps=[PUBLISHED_RELEASE],
    kinds={"html"},
    **PUBLISH_GROUP,
    description="published/reports/<release>/: the HTML report of the published release, static files that open "
                "from file:// (state page, a page per county and per LEA: DA and ESSA determinations with their "
                "evidence, 5x5 grids, status trends, near misses, the preview-to-public flips), switched into place "
                "atomically; reports/latest points to the newest public release (README: Report).",
)
def release_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.report.builder import build_reports  # jinja2 and the page code only when a report is built

    config = app_settings.load()
    reports = {}
    # the releases' pages are written in worker processes, then switched into place in release order
    for result in build_reports(config.publish_dir, list(context.partition_keys), log=context.log.info):
        key = result.release
        reports[key] = {"path": str(result.path), "index": str(config.publish_dir / "reports" / key / "index.html"),
                        "pages": result.pages, "seconds": round(result.seconds, 1)}
    return dg.MaterializeResult(metadata={
        "pages_written": dg.MetadataValue.int(sum(sum(r["pages"].values()) for r in reports.values())),
        "path": dg.MetadataValue.path(str(config.publish_dir / "reports")),
        "reports": dg.MetadataValue.json(reports),
    })
