"""The `release_freshness` asset check on publish/release, its job and its daily schedule (freshness.py has the
rules). No `from __future__ import annotations` here: Dagster checks the context annotation at definition time."""

from datetime import UTC, datetime

import dagster as dg

from orchestration import settings as app_settings
from orchestration.publish.assets import PUBLISHED_RELEASE
from orchestration.quality.freshness import EXPECTATIONS, release_freshness
from orchestration.schedules import TIMEZONE


@dg.asset_check(
    asset=PUBLISHED_RELEASE,
    name="release_freshness",
    blocking=False,
    # "as of" date for drills and tests ("what will the check say on 1 December?"); empty = now
    config_schema={"as_of": dg.Field(str, default_value="", description="ISO date-time to evaluate at; empty = now")},
    description="Per release: the publication is newer than the release's files (within "
                f"{EXPECTATIONS['preview'].publish_within}), and this season's preview and public releases arrived "
                "by CDE's calendar dates. Warns; never withholds a publication (orchestration/quality/freshness.py).",
)
def release_freshness_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    config = app_settings.load()
    as_of = context.op_execution_context.op_config["as_of"]
    now = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    results = release_freshness(config.raw_dir, config.publish_dir, now)
    problems = [r for r in results if r.is_problem]
    for result in results:
        (context.log.warning if result.is_problem else context.log.info)(
            f"freshness {result.release}: {result.status} - {result.detail}")
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{r.release} {r.status}" for r in problems) or "every release with files is "
                    "published from its newest files",
        metadata={
            "releases": dg.MetadataValue.md("| release | status | detail |\n|---|---|---|\n" + "\n".join(
                f"| {r.release} | {r.status} | {r.detail} |" for r in results)),
            "statuses": dg.MetadataValue.json(counts),
        },
    )


check_freshness_job = dg.define_asset_job(
    name="check_freshness",
    selection=dg.AssetSelection.checks(release_freshness_check),
    description="Evaluate the per-release freshness expectations (no build).",
)

freshness_daily = dg.ScheduleDefinition(
    name="freshness_daily",
    job=check_freshness_job,
    cron_schedule="0 9 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every morning at 09:00 Pacific: is every release published from its newest files, and has this "
                "season's release arrived by CDE's calendar? (warns only)",
)
