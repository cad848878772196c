"""Freshness expectations per release: is each release's publication as new as its files, and has this season's
release arrived when CDE's calendar says it should?

Dagster's own freshness policies watch the last materialization of an asset; here an asset has one partition per
release, and the question is per release, so the expectation is evaluated per release by the asset check
`release_freshness` on `publish/release` (non-blocking: it warns, it never withholds a publication), run by
the daily `check_freshness` job (schedule `freshness_daily`, off by default) or alone from the UI; it is kept out
of the build jobs, whose success must not depend on the calendar.

Per release (report year x stage):

* **fresh**: published, and the publication was built after the newest file of the release landed;
* **pending**: files newer than the publication (or never published), landed less than `publish_within` ago;
* **overdue**: the same, but for longer than `publish_within`: a run failed or nobody started one;
* **not arrived**: no files for this season's release although CDE's calendar date (`due`) has passed;
* **unknown year**: the season's report year has no layouts in the registry yet, so its files could not be read.

Only the current season (the report year whose preview window has opened: October onwards) is expected by calendar;
earlier years' missing previews are not (CDE does not hand out old previews).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.publish.store import VersionedDir
from orchestration.releases.discovery import Release, release_dir
from orchestration.releases.registry import REPORT_YEARS


@dataclass(frozen=True)
class StageExpectation:
    stage: str
    due_month: int          # the release is expected by this date (month, day) of report year + year_offset
    due_day: int
    year_offset: int
    publish_within: timedelta
    source: str


# dashboard_methodology.md section 5 (release calendar): state indicator data arrive "on a rolling basis" in November
# with the preview (2019 letter: preview password sent 5 Nov 2019); public release 7 Dec 2017, week of 9 Dec 2019,
# 1 Dec 2024. A build takes minutes, so a release should be published the day its files land.
EXPECTATIONS: dict[str, StageExpectation] = {
    "preview": StageExpectation("preview", 12, 1, 0, timedelta(days=1),
                                "CDE preview: state indicator data on a rolling basis during November"),
    "public": StageExpectation("public", 1, 1, 1, timedelta(days=1),
                               "CDE public release: early-to-mid December (7 Dec 2017, 9 Dec 2019, 1 Dec 2024)"),
}
SEASON_OPENS_MONTH = 10     # the preview schedule's window starts in October


@dataclass(frozen=True)
class ReleaseFreshness:
    release: str
    status: str             # fresh | pending | overdue | not arrived | unknown year
    detail: str

    @property
    def is_problem(self) -> bool:
        return self.status in ("overdue", "not arrived", "unknown year")


def season_year(now: datetime) -> int:
    return now.year if now.month >= SEASON_OPENS_MONTH else now.year - 1


def due_date(release: Release) -> date:
    rule = EXPECTATIONS[release.stage]
    return date(release.report_year + rule.year_offset, rule.due_month, rule.due_day)


def _newest_file(folder: Path) -> datetime | None:
    if not folder.is_dir():
        return None
    times = [p.stat().st_mtime for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    return datetime.fromtimestamp(max(times), tz=UTC) if times else None


def _published_at(publish_dir: Path, release: Release) -> datetime | None:
    manifest = VersionedDir.publications(publish_dir).manifest(release.key)
    return None if manifest is None else datetime.fromisoformat(manifest["built_at"])


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def release_freshness(raw_dir: Path, publish_dir: Path, now: datetime) -> list[ReleaseFreshness]:
    """The freshness of every release that has files, and of this season's releases by calendar."""
    results: list[ReleaseFreshness] = []
    season = season_year(now)
    if season not in REPORT_YEARS:
        results.append(ReleaseFreshness(f"{season}-preview", "unknown year", (
            f"{season} is this season's report year but the registry has no layouts for it: add them (and the "
            f"year's cut points) before CDE's files arrive; {EXPECTATIONS['preview'].source}")))
    for year in REPORT_YEARS:
        for stage in ("preview", "public"):
            release = Release(year, stage)
            landed = _newest_file(release_dir(raw_dir, release))
            if landed is None:
                if year == season and now.date() >= due_date(release):
                    results.append(ReleaseFreshness(release.key, "not arrived", (
                        f"no files under {release_dir(raw_dir, release)}; expected by {due_date(release)} "
                        f"({EXPECTATIONS[stage].source})")))
                continue
            published = _published_at(publish_dir, release)
            if published is not None and published >= landed:
                results.append(ReleaseFreshness(release.key, "fresh", (
                    f"published {published:%Y-%m-%d %H:%M} UTC, files landed {landed:%Y-%m-%d %H:%M} UTC")))
                continue
            waited = now - landed
            state = "never published" if published is None else f"publication of {published:%Y-%m-%d %H:%M} UTC"
            status = "overdue" if waited > EXPECTATIONS[stage].publish_within else "pending"
            results.append(ReleaseFreshness(release.key, status, (
                f"files landed {_ago(waited)} ago ({landed:%Y-%m-%d %H:%M} UTC), {state}; expected within "
                f"{_ago(EXPECTATIONS[stage].publish_within)}")))
    return results
