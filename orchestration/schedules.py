"""When releases are built without anyone asking: the preview and annual schedules, and the raw-folder sensor.

* **preview schedule** (`preview_window`): every weekday morning from 1 October to 30 November, CDE's preview
  window for LEAs. It requests the build of `<year>-preview` for the current year when that release has files.
* **annual schedule** (`annual_release`): every weekday morning in December, the public release. It requests
  `<year>-public` when that release has files.
* **sensor** (`raw_files_changed`): every minute it fingerprints the files under the raw dir (name, size, mtime);
  a new or changed file requests a run for its release and for the releases of the same and later report years
  (they look back on it: releases/digest.py), never for earlier ones: a new preview runs alone, a corrected 2023
  file rebuilds 2023 onwards. Neighbouring releases run as one run over their range, keyed by the fingerprints, so
  an unchanged folder never runs twice and a corrected re-release runs again.
* **sensor** (`release_partitions`, running by default): keeps the release partitions equal to the releases whose
  files are under the raw dir (orchestration/partitions.py), so the UI lists a release soon after it lands. The
  other sensor and the schedules do the same before they request a run.

A schedule tick whose release has no files yet is skipped with the reason; the run itself is the same
`build_release` job the team starts by hand (one partition = one release). Runs queue one at a time (dagster.yaml).

No `from __future__ import annotations` here: Dagster checks the context annotations at definition time.
"""

import hashlib
import json
import os
from datetime import datetime

import dagster as dg

from orchestration import settings as app_settings
from orchestration.jobs import build_release_job
from orchestration.partitions import contiguous_blocks, partition_requests, range_tags, sync_release_partitions
from orchestration.releases.discovery import Release, discover_releases, release_dir
from orchestration.releases.registry import REPORT_YEARS, STAGES, RegistryError

TIMEZONE = "America/Los_Angeles"     # California: CDE's dates and every schedule of this project
PREVIEW_CRON = "0 7 * 10-11 1-5"     # 07:00 Pacific, weekdays, October and November
ANNUAL_CRON = "0 7 * 12 1-5"         # 07:00 Pacific, weekdays, December


def release_fingerprint(release: Release) -> str | None:
    """sha256 over (name, size, mtime) of the release's files; None when it has none."""
    folder = release_dir(app_settings.load().raw_dir, release)
    if not folder.is_dir():
        return None
    entries = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()
                     if p.is_file() and not p.name.startswith("."))
    if not entries:
        return None
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def present_release_keys() -> list[str]:
    """The releases with files under the raw dir (what the release partitions should be)."""
    return [r.key for r in discover_releases(app_settings.load().raw_dir)]


def affected_releases(changed: list[str], present: list[str]) -> list[str]:
    """The present releases a change to `changed` makes stale: those of the earliest changed report year and later
    (each release reads its own year's files, both stages, and the earlier years': releases/digest.py)."""
    if not changed:
        return []
    first_year = min(Release.parse(k).report_year for k in changed)
    return [k for k in present if Release.parse(k).report_year >= first_year]


def _run_request(release: Release, fingerprint: str, trigger: str) -> dg.RunRequest:
    """A build of one release, keyed by its files' fingerprint: the same files never run twice."""
    return dg.RunRequest(run_key=f"{release.key}:{fingerprint}", partition_key=release.key,
                         tags={"cadash/trigger": trigger})


def _block_request(first: str, last: str, fingerprints: dict[str, str], order: list[str]) -> dg.RunRequest:
    """A build of the neighbouring releases first..last in one run, keyed by their fingerprints."""
    if first == last:
        return _run_request(Release.parse(first), fingerprints[first], "raw files changed")
    keys = order[order.index(first): order.index(last) + 1]
    key = hashlib.sha256(json.dumps([[k, fingerprints[k]] for k in keys]).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=f"{first}..{last}:{key}", tags={**range_tags(first, last),
                                                                 "cadash/trigger": "raw files changed"})


def _scheduled_release(instance: dg.DagsterInstance, when: datetime, stage: str):
    """The release a tick at `when` asks for (its partition made present first), or the reason to skip."""
    year = when.year
    if year not in REPORT_YEARS:
        return dg.SkipReason(f"{year} is not a report year the registry knows (add its layouts first)")
    release = Release(year, stage)
    fingerprint = release_fingerprint(release)
    if fingerprint is None:
        return dg.SkipReason(f"no files yet under {release_dir(app_settings.load().raw_dir, release)}")
    try:
        sync_release_partitions(instance, present_release_keys())
    except RegistryError as exc:
        return dg.SkipReason(f"the raw dir cannot be read: {exc}")
    return _run_request(release, fingerprint, f"{stage} schedule")


def _release_schedule(name: str, cron: str, stage: str, description: str) -> dg.ScheduleDefinition:
    def evaluate(context: dg.ScheduleEvaluationContext):
        return _scheduled_release(context.instance, context.scheduled_execution_time, stage)

    return dg.schedule(job=build_release_job, cron_schedule=cron, execution_timezone=TIMEZONE, name=name,
                       default_status=dg.DefaultScheduleStatus.STOPPED, description=description)(evaluate)


preview_window = _release_schedule(
    "preview_window", PREVIEW_CRON, "preview",
    "Weekday mornings in October and November (CDE's preview window): build and publish this year's preview "
    "release once its files are under raw/<year>/preview/.")
annual_release = _release_schedule(
    "annual_release", ANNUAL_CRON, "public",
    "Weekday mornings in December (the public Dashboard): build and publish this year's public release once its "
    "files are under raw/<year>/public/.")


SENSOR_INTERVAL = int(os.environ.get(app_settings.ENV_SENSOR_INTERVAL, "60"))


@dg.sensor(name="release_partitions", minimum_interval_seconds=min(SENSOR_INTERVAL, 30),
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Keeps the release partitions equal to the releases whose files are under the raw dir, in "
                       "time order (orchestration/partitions.py). Starts no run.")
def release_partitions(context: dg.SensorEvaluationContext):
    try:
        wanted = present_release_keys()
    except RegistryError as exc:
        return dg.SkipReason(f"the raw dir cannot be read: {exc}")
    requests = partition_requests(context.instance.get_dynamic_partitions("releases"), wanted)
    if not requests:
        return dg.SkipReason(f"the release partitions are the {len(wanted)} release(s) under the raw dir")
    return dg.SensorResult(dynamic_partitions_requests=requests)


@dg.sensor(job=build_release_job, name="raw_files_changed", minimum_interval_seconds=SENSOR_INTERVAL,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="A new or changed file under the raw dir requests a build of its release and of the later "
                       "releases that look back on it.")
def raw_files_changed(context: dg.SensorEvaluationContext):
    seen = json.loads(context.cursor) if context.cursor else {}
    current = {}
    for year in REPORT_YEARS:
        for stage in STAGES:
            release = Release(year, stage)
            fingerprint = release_fingerprint(release)
            if fingerprint is not None:
                current[release.key] = fingerprint
    cursor = json.dumps(current, sort_keys=True)
    try:
        wanted = present_release_keys()
    except RegistryError as exc:
        return dg.SensorResult(skip_reason=f"the raw dir cannot be read: {exc}", cursor=context.cursor)
    partitions = partition_requests(context.instance.get_dynamic_partitions("releases"), wanted)
    changed = affected_releases([key for key in wanted if seen.get(key) != current.get(key)], wanted)
    runs = [_block_request(first, last, current, wanted) for first, last in contiguous_blocks(changed, wanted)]
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=partitions, cursor=cursor,
                           skip_reason=None if runs else "no new or changed files under the raw dir")
