"""Great Expectations (GX 1.x) suites, committed as JSON under expectations/, run on frames read from the warehouse.

A suite names its table and lists expectations per *frame*. The frames are built here from the table, so a suite is
data only (expectations/README.md has the format):

| frame            | one row per                                     | what its expectations can say                   |
|------------------|-------------------------------------------------|-------------------------------------------------|
| `rows`           | row of the table in one release                 | keys, code lists, ranges, numerator <=          |
|                  |                                                 | denominator, box vs levels (`derived` columns), |
|                  |                                                 | suppression                                     |
| `entities`       | school / LEA / state of one release             | every entity has its ALL row                    |
| `release_size`   | release (x `size_by`), beside the previous one  | row count within a band of the previous release |
| `stage_coverage` | entity of a report year with both stages loaded | preview and public cover the same entities      |

Frames are read one release at a time (a statewide release of fct_indicator_results is ~0.7 M rows) and only the
columns the expectations name, so memory stays bounded. The connection may be read-only (the mart checks) or the
ingest transaction itself (the raw checks see the rows before they are committed).

GX is imported inside the functions: loading the Dagster definitions stays fast. GX's SQL datasource over DuckDB
returned empty results here (architecture notes), hence pandas frames.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings as app_settings
from orchestration.releases.discovery import Release

SAMPLE_ROWS = 10
FRAMES = ("rows", "entities", "release_size", "stage_coverage")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RELEASE = "report_year || '-' || stage"
# a release's rows by its two columns, not by the key built from them: DuckDB then skips the row groups of the other
# releases (zone maps) instead of building a string per row (measured: 0.53 s -> 0.09 s for a statewide raw.ela)
_IN_RELEASE = "report_year = ? and stage = ?"


def _release_params(release: str) -> list:
    parsed = Release.parse(release)
    return [parsed.report_year, parsed.stage]


class SuiteError(ValueError):
    """A suite file that cannot be run (names the file and what is wrong)."""


@dataclass
class ExpectationOutcome:
    frame: str
    release: str | None
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    sample: list = field(default_factory=list)      # failing values, or failing rows with the sample columns
    why: str | None = None

    def as_dict(self) -> dict:
        """JSON-safe, as an asset check's metadata carries it."""
        return {"frame": self.frame, "release": self.release, "expectation": self.expectation, "column": self.column,
                "unexpected_count": self.unexpected_count, "why": self.why, "sample": self.sample}

    def describe(self) -> str:
        return describe_failure(self.as_dict())


def describe_failure(failure: dict) -> str:
    """One line for a failed expectation (from an outcome or from a check's metadata): release, frame,
    expectation, column, count, two sample rows and the rule's source."""
    where = f"[{failure['release']}] " if failure.get("release") else ""
    column = f" ({failure['column']})" if failure.get("column") else ""
    count = f"{failure['unexpected_count']:,}" if failure.get("unexpected_count") else "n/a"
    why = f" -- {failure['why']}" if failure.get("why") else ""
    return (f"{where}{failure['frame']}: {failure['expectation']}{column}, {count} unexpected, "
            f"e.g. {failure['sample'][:2]}{why}")


@dataclass
class SuiteResult:
    suite: str
    table: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def load_suites(path: Path) -> list[dict]:
    """The suites a file defines: one, or one per table of its `tables` list (tables whose files share a layout, as
    ELA and math do, share one definition; each still gets its own suite, named and keyed by its table)."""
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    if "tables" not in definition:
        return [_checked_suite(definition, path)]
    if {"name", "table", "asset"} & set(definition):
        raise SuiteError(f"{path}: a suite with `tables` takes its name, table and asset from each table")
    tables = definition.pop("tables")
    return [_checked_suite({**copy.deepcopy(definition), "name": table, "table": table, "asset": table.split(".")},
                           path) for table in tables]


def _checked_suite(suite: dict, path: Path) -> dict:
    missing = {"name", "table", "frames"} - set(suite)
    if missing:
        raise SuiteError(f"{path}: a suite needs {', '.join(sorted(missing))}")
    unknown = set(suite["frames"]) - set(FRAMES)
    if unknown:
        raise SuiteError(f"{path}: unknown frame(s) {', '.join(sorted(unknown))}; known: {', '.join(FRAMES)}")
    if ({"entities", "stage_coverage"} & set(suite["frames"])) and "entity" not in suite:
        raise SuiteError(f"{path}: the entities and stage_coverage frames need an 'entity' section")
    suite["path"] = str(path)
    return suite


def suites(kind: str, directory: Path | None = None) -> list[dict]:
    """Every suite under expectations/<kind>/ ('raw' or 'marts'), in name order."""
    found = [s for p in sorted(((directory or app_settings.expectations_dir()) / kind).glob("*.json"))
             for s in load_suites(p)]
    return sorted(found, key=lambda s: s["name"])


def _columns_of(con, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, name]).fetchall()]


def _referenced(expectations: list[dict], available: list[str], extra: list[str]) -> list[str]:
    """Columns the expectations name (kwargs and row conditions), in table order, plus the sample columns."""
    names: set[str] = set(extra)
    for expectation in expectations:
        kwargs = expectation["kwargs"]
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                names.add(kwargs[key])
        for key in ("column_list",):
            names.update(kwargs.get(key, []))
        names.update(_IDENTIFIER.findall(kwargs.get("row_condition", "")))
    return [c for c in available if c in names]


def _release_scoped(columns: list[str]) -> bool:
    return "report_year" in columns and "stage" in columns


def _frames(con, suite: dict, releases: list[str]):
    """(frame name, release or None, pandas frame) for every frame the suite uses."""
    table, frames = suite["table"], suite["frames"]
    available = _columns_of(con, table)
    if not available:
        raise SuiteError(f"{suite['path']}: table {table} does not exist in the warehouse")
    # a reference table (suite "scope": "table") is validated whole, even when it has release lineage columns
    scoped = _release_scoped(available) and suite.get("scope") != "table"
    derived = suite.get("derived", {})
    sample_cols = [c for c in suite.get("sample_columns", []) if c in available]
    if "rows" in frames:
        cols = _referenced(frames["rows"], available, sample_cols)
        select = ", ".join([f'"{c}"' for c in cols] + [f"{sql} as {name}" for name, sql in derived.items()])
        for release in (releases if scoped else [None]):
            where, params = (f"where {_IN_RELEASE}", _release_params(release)) if release else ("", [])
            yield "rows", release, _compact(con.execute(f"select {select} from {table} {where}", params).df())
    entity = suite.get("entity", {})
    ids = ", ".join(entity.get("id", []))
    entity_where = f"and ({entity['where']})" if entity.get("where") else ""
    if "entities" in frames and scoped:
        required = entity.get("required_group", "true")
        for release in releases:
            yield "entities", release, con.execute(
                f"select {ids}, bool_or({required}) as has_required_group from {table} "
                f"where {_IN_RELEASE} {entity_where} group by all", _release_params(release)).df()
    if "release_size" in frames and scoped:
        # every release of the table (so a stage outside the code list is seen even though no release frame
        # selects it), each beside the previous release that has rows (per `size_by` part, e.g. per indicator:
        # a release that lacks a file must not look like a shrunken one); in_run marks the releases checked
        parts = suite.get("size_by", [])
        part_cols = "".join(f"{c}, " for c in parts)
        window = f"over (partition by {', '.join(parts)} order by report_year, stage)" if parts else \
            "over (order by report_year, stage)"
        frame = con.execute(
            f"""
            with counts as (select {part_cols}report_year, stage, count(*) as row_count from {table} group by all)
            select {part_cols}{_RELEASE} as release, stage, row_count, list_contains(?, {_RELEASE}) as in_run,
                   lag({_RELEASE}) {window} as previous_release,
                   lag(row_count) {window} as previous_row_count,
                   row_count / lag(row_count) {window} as ratio_to_previous
            from counts
            """, [releases]).df()
        if len(frame):
            yield "release_size", None, frame
    if "stage_coverage" in frames and scoped:
        years = sorted({int(r.split("-")[0]) for r in releases})
        for year in years:
            frame = con.execute(
                f"select {ids}, bool_or(stage = 'preview') as in_preview, bool_or(stage = 'public') as in_public "
                f"from {table} where report_year = ? {entity_where} group by all", [year]).df()
            if len(frame) and frame["in_preview"].any() and frame["in_public"].any():
                yield "stage_coverage", f"{year}-preview/public", frame


def _compact(frame):
    """Text columns as categories: a statewide release of fct_indicator_results drops from ~350 MB to ~80 MB."""
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype) in ("str", "string"):
            frame[column] = frame[column].astype("category")
    return frame


FRAMES_DATASOURCE, FRAME_ASSET, WHOLE_FRAME = "frames", "frame", "whole"


def gx_context():
    """An ephemeral GX context with one pandas datasource whose single dataframe asset takes every frame in turn.

    One datasource for the whole run: adding and deleting one per frame made GX re-serialize its project config
    each time (docs/benchmark.md). The frame is a batch parameter and the whole-dataframe batch keeps one id, so
    GX's batch cache holds only the frame being validated (memory stays bounded), and its metrics are computed
    again for each frame (a frame's nulls and row count are seen after a clean frame, and a clean one after a bad
    one: tests/unit/test_gx_runner.py)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    (context.data_sources.add_pandas(FRAMES_DATASOURCE).add_dataframe_asset(FRAME_ASSET)
     .add_batch_definition_whole_dataframe(WHOLE_FRAME))
    return context


def _validate(context, name: str, frame, expectations: list[dict], sample_cols: list[str]):
    """Validate with GX; the passing path computes only booleans (measured: 40 % faster at 166 k rows), and only
    the failing expectations run again to collect their counts and sample rows."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    batch_definition = (context.data_sources.get(FRAMES_DATASOURCE).get_asset(FRAME_ASSET)
                        .get_batch_definition(WHOLE_FRAME))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})

    def suite_of(configs):
        gx_suite = gx.ExpectationSuite(name=name)
        for config in configs:
            gx_suite.add_expectation_configuration(config)
        return gx_suite

    configs = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {}))
               for e in expectations]
    quick = batch.validate(suite_of(configs), result_format={"result_format": "BOOLEAN_ONLY"}).results
    # GX returns results in its own order: the failures are re-run from their own configurations
    failed = [ExpectationConfiguration(type=i.expectation_config.type, kwargs=i.expectation_config.kwargs,
                                       meta=i.expectation_config.meta) for i in quick if not i.success]
    if not failed:
        return quick
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    index_cols = [c for c in sample_cols if c in frame.columns]
    if index_cols:
        result_format["unexpected_index_column_names"] = index_cols
    detailed = batch.validate(suite_of(failed), result_format=result_format).results
    return [i for i in quick if i.success] + list(detailed)


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _outcomes(items, frame_name: str, release: str | None) -> list[ExpectationOutcome]:
    outcomes = []
    for item in items:
        details = item.result or {}
        config = item.expectation_config
        sample = details.get("partial_unexpected_index_list") or details.get("partial_unexpected_list") or []
        if not sample and not item.success and "observed_value" in details:
            sample = [f"observed {details['observed_value']}"]
        if item.exception_info and item.exception_info.get("raised_exception"):
            sample = [item.exception_info.get("exception_message")]
        outcomes.append(ExpectationOutcome(
            frame=frame_name, release=release, expectation=config.type, column=config.kwargs.get("column"),
            success=bool(item.success), unexpected_count=details.get("unexpected_count"),
            sample=[{k: _plain(v) for k, v in s.items()} if isinstance(s, dict) else str(_plain(s))
                    for s in sample][:SAMPLE_ROWS],
            why=(config.meta or {}).get("why"),
        ))
    return outcomes


def run_suite(con, suite: dict, releases: list[str], context=None) -> SuiteResult:
    """Run every frame of the suite for the given releases on the connection; never raises on a failing
    expectation (the result lists it with a sample), only on a suite that cannot run."""
    context = context or gx_context()
    outcomes: list[ExpectationOutcome] = []
    rows = 0
    for frame_name, release, frame in _frames(con, suite, releases):
        if frame_name == "rows":
            rows += len(frame)
        cols = suite.get("sample_columns", []) if frame_name == "rows" else list(frame.columns[:3])
        try:
            items = _validate(context, f"{suite['name']}_{frame_name}".replace(".", "_"), frame,
                              suite["frames"][frame_name], cols)
        except ValueError as exc:  # GX rejects an expectation's configuration (pydantic errors are ValueErrors)
            raise SuiteError(f"{suite.get('path', suite['name'])}, frame {frame_name}: {exc}") from None
        outcomes += _outcomes(items, frame_name, release)
    return SuiteResult(suite["name"], suite["table"], rows, outcomes)


def check_metadata(result: SuiteResult) -> dict:
    """What an asset check shows: rows validated, expectations run, failures with their samples (JSON-safe)."""
    return {
        "suite": result.suite,
        "rows_validated": result.rows,
        "expectations_run": len(result.outcomes),
        "expectations_failed": len(result.failures),
        "failures": [f.as_dict() for f in result.failures],
    }
