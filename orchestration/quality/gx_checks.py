"""The Great Expectations suites as blocking Dagster asset checks.

* Raw suites (expectations/raw/*.json) run **inside the ingest transaction**, on the rows just loaded for each
  release, before they are committed: a failing suite rolls the release back (the warehouse stays as it was) and
  the ingest step yields the failed check (`gx_suite` on raw/<stem>) and fails, so nothing downstream runs.
* Mart suites (expectations/marts/*.json) run after dbt, on the warehouse opened read-only, as one blocking
  multi-asset check (`gx_suite` on each published mart that has a suite). The publish asset depends on those
  marts, so a failing suite stops the publication; the previous publication stays as it was.

Each check's metadata lists the failing expectations with a sample of failing rows. GX is imported only when a suite
runs (gx_runner), so loading the definitions stays fast; the suite files are read at definition time (JSON only).
"""

import time

import dagster as dg
import duckdb

from orchestration import settings as app_settings
from orchestration.partitions import releases_of_run
from orchestration.quality import gx_runner
from orchestration.releases.registry import STEM_INDICATOR

CHECK_NAME = "gx_suite"
# DuckDB's buffer cache for the read-only session of the mart checks (the frames themselves are per release)
READ_ONLY_MEMORY = "300MB"


class QualityGateError(RuntimeError):
    """A blocking suite failed; names the suite, the expectation and a sample."""

    def __init__(self, results: list[gx_runner.SuiteResult]):
        self.results = results
        lines = [f"{r.suite}: {f.describe()}" for r in results for f in r.failures]
        super().__init__("quality gate failed, nothing was committed or published:\n  " + "\n  ".join(lines))


def _spec(suite: dict) -> dg.AssetCheckSpec:
    frames = ", ".join(suite["frames"])
    count = sum(len(v) for v in suite["frames"].values())
    return dg.AssetCheckSpec(
        name=CHECK_NAME, asset=dg.AssetKey(suite["asset"]), blocking=True,
        description=f"Great Expectations suite {suite['path'].split('expectations/')[-1]}: {count} expectations "
                    f"over the frames {frames} (orchestration/quality/gx_runner.py).")


def raw_suites() -> list[dict]:
    return gx_runner.suites("raw")


def mart_suites() -> list[dict]:
    return gx_runner.suites("marts")


def raw_check_specs() -> list[dg.AssetCheckSpec]:
    return [_spec(s) for s in raw_suites()]


def check_result(suite: dict, result: gx_runner.SuiteResult) -> dg.AssetCheckResult:
    meta = gx_runner.check_metadata(result)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(suite["asset"]), check_name=CHECK_NAME, passed=result.success,
        metadata={
            "suite": dg.MetadataValue.text(meta["suite"]),
            "rows_validated": dg.MetadataValue.int(meta["rows_validated"]),
            "expectations_run": dg.MetadataValue.int(meta["expectations_run"]),
            "expectations_failed": dg.MetadataValue.int(meta["expectations_failed"]),
            "failures": dg.MetadataValue.json(meta["failures"]),
        },
    )


class RawGate:
    """Runs the raw suites on a release inside its ingest transaction and remembers the outcomes per suite."""

    def __init__(self, log=print):
        self.suites = {s["table"]: s for s in raw_suites()}
        self.results: dict[str, gx_runner.SuiteResult] = {}
        self.seconds = 0.0      # time spent in the suites, so a run can tell the gate from the load
        self.log = log
        self._context = None

    def _run(self, con, tables: list[str], releases: list[str]) -> None:
        started = time.perf_counter()
        try:
            self._validate(con, tables, releases)
        finally:
            self.seconds += time.perf_counter() - started

    def _validate(self, con, tables: list[str], releases: list[str]) -> None:
        self._context = self._context or gx_runner.gx_context()
        failed = []
        rows = expectations = 0
        for table in tables:
            suite = self.suites.get(table)
            if suite is None:
                continue
            result = gx_runner.run_suite(con, suite, releases, self._context)
            rows, expectations = rows + result.rows, expectations + len(result.outcomes)
            previous = self.results.get(table)
            if previous is not None:
                result = gx_runner.SuiteResult(result.suite, result.table, previous.rows + result.rows,
                                               previous.outcomes + result.outcomes)
            self.results[table] = result
            if not result.success:
                failed.append(result)
        self.log(f"quality gate: {len(tables)} raw suite(s) on {', '.join(releases) or 'reference inputs'} "
                 f"({rows:,} rows, {expectations:,} expectations): "
                 + ("passed" if not failed else f"{len(failed)} failed"))
        if failed:
            raise QualityGateError(failed)

    def release(self, con, release) -> None:
        """before_commit hook of load_release: every release-scoped raw suite, for this release."""
        self._run(con, [f"raw.{stem}" for stem in STEM_INDICATOR], [release.key])

    def reference(self, con, name: str) -> None:
        """before_commit hook of load_reference_inputs."""
        self._run(con, [f"raw.{name}"], [])

    def check_results(self) -> list[dg.AssetCheckResult]:
        return [check_result(self.suites[t], r) for t, r in self.results.items()]


@dg.multi_asset_check(
    specs=[_spec(s) for s in mart_suites()],
    name="published_mart_suites",
    description="The Great Expectations suites of every published mart (expectations/marts), run read-only after "
                "dbt on the releases of the run. Blocking: the publish asset does not run unless all pass.",
)
def published_mart_suites(context: dg.AssetCheckExecutionContext):
    releases = releases_of_run(context.run.tags, context.instance)
    config = app_settings.load()
    con = duckdb.connect(str(config.warehouse), read_only=True, config={"memory_limit": READ_ONLY_MEMORY})
    try:
        gx_context = gx_runner.gx_context()
        for suite in mart_suites():
            result = gx_runner.run_suite(con, suite, releases, gx_context)
            context.log.info(f"{suite['name']}: {result.rows:,} rows, {len(result.outcomes)} expectations, "
                             f"{len(result.failures)} failed")
            for failure in result.failures:
                context.log.error(f"{suite['name']}: {failure.describe()}")
            yield check_result(suite, result)
    finally:
        con.close()
