"""The HTML report of a published release (issue 8): static pages that open from file:// without a server. The entry
points the Dagster asset (assets.py) and `cadash report` call.

    <publish dir>/reports/
      index.html                 the releases that have a report
      latest -> <newest public release>
      <release> -> .versions/<release>-<build id>/
        index.html               the state: DA and ESSA counts, the state's grids and trends, the preview -> public
                                 diff (when both stages of the year are published), the counties
        county/<CC>.html         a county (CDS county code): its LEAs with their DA determination and evidence, its
                                 ESSA schools, near misses and flips
        lea/<cds>.html           an LEA: its determination with the evidence, a 5x5 grid per indicator with each
                                 student group in its box, status trends, its ESSA schools, near misses and flips
        report.css

The parts: data.py reads what a report shows, model.py builds the page model, render.py writes the pages. This module
owns the publication folder's side, through store.VersionedDir: which releases are published, which publications the
report of one reads (Sources: the release, one per earlier report year for the trends, the holder of its year's
preview -> public diff), and the write, done like a publication: into a staging directory, moved to .versions/, then
made visible by switching the symlink reports/<release> atomically; a failure before the switch removes the staging
directory and leaves the previous report as it was. The releases of one build are written side by side in worker
processes (orchestration/workers.py), each into its own staged version; this process alone switches them, in
turn. The output depends only on the publication (no build time in the pages), so the same publication gives the
same files.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from orchestration.publish.store import BUILD_RECORD, StagedVersion, StagingFailed, SwitchFailed, VersionedDir
from orchestration.releases.discovery import Release
from orchestration.report.data import Sources, load
from orchestration.report.render import releases_page, render
from orchestration.workers import run_each


class ReportError(RuntimeError):
    """The report could not be built; the previous report is unchanged."""


@dataclass(frozen=True)
class ReportResult:
    release: str
    path: Path                     # the version directory reports/<release> now points to
    pages: dict[str, int]          # state / county / lea -> pages written
    seconds: float

    @property
    def total_pages(self) -> int:
        return sum(self.pages.values())


# --------------------------------------------------------------------------------------------------- publications
def trend_releases(available: list[str], release: Release) -> list[str]:
    """One publication per report year up to R's: R itself for its year, else the public release, else the
    preview."""
    by_year: dict[int, dict[str, str]] = defaultdict(dict)
    for key in available:
        r = Release.parse(key)
        by_year[r.report_year][r.stage] = key
    chosen = []
    for year in sorted(y for y in by_year if y <= release.report_year):
        if year == release.report_year:
            chosen.append(release.key)
        else:
            chosen.append(by_year[year].get("public") or by_year[year]["preview"])
    return chosen


def _diff_source(publications: VersionedDir, available: list[str], release: Release) -> str | None:
    """The publication holding the preview -> public diff of R's report year, when both stages are published: the
    later of the two (the one built when both stages were in the warehouse)."""
    year = release.report_year
    pair = [f"{year}-preview", f"{year}-public"]
    if not all(k in available for k in pair):
        return None
    built = {key: (publications.manifest(key) or {}).get("built_at", "") for key in pair}
    return max(pair, key=lambda k: (built[k], k.endswith("public")))


def _sources(publish_dir: Path, release: Release) -> Sources:
    """The publications the report of `release` reads; ReportError when the release is not published."""
    publications = VersionedDir.publications(publish_dir)
    available = [r.key for r in publications.releases()]
    if release.key not in available:
        raise ReportError(f"{release.key} is not published under {publish_dir} (published: "
                          f"{', '.join(available) or 'none'}); run `cadash build` first")

    def version(key: str) -> Path:   # one version throughout, even if republished meanwhile
        return Path(os.path.realpath(publications.path(key)))

    diff_source = _diff_source(publications, available, release)
    return Sources(release, version(release.key), {k: version(k) for k in trend_releases(available, release)},
                   diff_source or "", version(diff_source) if diff_source else None)


# --------------------------------------------------------------------------------------------------- atomic build
def _write_index(reports: VersionedDir) -> None:
    """reports/index.html: the releases that have a report."""
    reports.write_file("index.html", releases_page([r.key for r in reports.releases()[::-1]], reports.latest()))


def _render_and_record(data, staging: Path, log) -> dict[str, int]:
    """The pages, and build.json: the publication's inputs digest (releases/digest.py), so that `cadash build`
    can tell an up-to-date report from a stale one."""
    pages = render(data, staging, log)
    record = {"release": data.release.key, "inputs_digest": data.manifest.get("inputs_digest"),
              "publication": Path(data.version_dir).name}
    (staging / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return pages


def _stage_report(publish_dir: Path, release: str, log) -> tuple[StagedVersion, dict[str, int], float]:
    """Read the release's publications and write its pages into a staged version (not yet visible); ReportError
    when it cannot. Runs in a worker process when a build has several releases (orchestration/workers.py)."""
    started = time.monotonic()
    parsed = Release.parse(release)
    try:
        data = load(_sources(publish_dir, parsed))
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError(f"the report of {release} failed, the previous report is unchanged: "
                          f"{type(exc).__name__}: {exc}") from exc
    try:
        staged, pages = VersionedDir.reports(publish_dir).stage(
            release, lambda staging: _render_and_record(data, staging, log))
    except StagingFailed as exc:
        cause = exc.__cause__
        raise ReportError(f"the report of {release} failed, the previous report is unchanged: "
                          f"{type(cause).__name__}: {cause}") from cause
    return staged, pages, time.monotonic() - started


def build_report(publish_dir: Path, release: str, log=print) -> ReportResult:
    """Build the report of one published release into <publish_dir>/reports/<release>/, atomically (the folder's
    layout and switch: store.VersionedDir)."""
    return build_reports(publish_dir, [release], log)[0]


def build_reports(publish_dir: Path, releases: list[str] | None = None, log=print,
                  workers: int | None = None) -> list[ReportResult]:
    """The reports of the given releases (default: every published release), oldest first. The pages are written
    in worker processes (orchestration/workers.py: DASHBOARD_WORKERS), each release into a staged version; then
    this process switches them into place one by one, in release order, and writes reports/index.html. A release
    whose report fails keeps its previous report; the others are switched, then ReportError names the failures."""
    publish_dir = Path(publish_dir).resolve()
    keys = releases or [r.key for r in VersionedDir.publications(publish_dir).releases()]
    if not keys:
        raise ReportError(f"nothing is published under {publish_dir}; run `cadash build` first")
    for key in keys:
        Release.parse(key)   # a malformed key is an error before any worker starts
    reports = VersionedDir.reports(publish_dir)
    results, errors = [], []
    for outcome in run_each(partial(_stage_report, publish_dir), keys, log, workers):
        if outcome.error is not None:
            errors.append(outcome.error)
            continue
        staged, pages, seconds = outcome.value
        try:
            version_dir = reports.switch(staged)
        except SwitchFailed as exc:
            errors.append(ReportError(f"switching {reports.path(outcome.item)} to the new report failed: {exc}"))
            continue
        total = sum(pages.values())
        log(f"report {outcome.item}: {total:,} pages ({pages['state']} state, {pages['county']} county, "
            f"{pages['lea']:,} LEA) in {seconds:.1f} s: {reports.path(outcome.item) / 'index.html'}")
        results.append(ReportResult(outcome.item, version_dir, pages, seconds))
    if results:
        try:
            _write_index(reports)
        except OSError as exc:
            errors.append(ReportError(f"writing {reports.root / 'index.html'} failed: {exc}"))
    if errors:
        if len(errors) == 1 and isinstance(errors[0], ReportError):
            raise errors[0]
        raise ReportError("; ".join(f"{type(e).__name__}: {e}" if not isinstance(e, ReportError) else str(e)
                                    for e in errors))
    return results
