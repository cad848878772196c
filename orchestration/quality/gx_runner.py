"""Great Expectations (GX 1.x) suites, committed as JSON under expectations/, run on data frames read read-only
from the warehouse (GX's SQL datasource over DuckDB returned empty results here; see the architecture notes).

GX is imported inside the functions: loading the Dagster definitions stays fast. A suite file is
`{"name": ..., "table": "marts.x", "expectations": [{"type": "expect_...", "kwargs": {...}, "meta": {...}}]}`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings as app_settings

EXPECTATIONS_DIR = app_settings.REPO_ROOT / "expectations"
SAMPLE_ROWS = 10


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    sample: list = field(default_factory=list)


@dataclass
class SuiteResult:
    suite: str
    table: str
    rows: int
    success: bool
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def load_suite(path: Path) -> dict:
    suite = json.loads(path.read_text(encoding="utf-8"))
    missing = {"name", "table", "expectations"} - set(suite)
    if missing:
        raise ValueError(f"{path}: a suite needs {', '.join(sorted(missing))}")
    return suite


def validate_frame(frame, suite: dict) -> SuiteResult:
    """Run every expectation of the suite on the frame; a failing expectation keeps a sample of its bad values."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    batch_definition = (context.data_sources.add_pandas("frames")
                        .add_dataframe_asset(suite["name"])
                        .add_batch_definition_whole_dataframe("whole"))
    gx_suite = gx.ExpectationSuite(name=suite["name"])
    for expectation in suite["expectations"]:
        gx_suite.add_expectation_configuration(ExpectationConfiguration(
            type=expectation["type"], kwargs=expectation["kwargs"], meta=expectation.get("meta", {})))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY",
                                                     "partial_unexpected_count": SAMPLE_ROWS})
    outcomes = []
    for item in result.results:
        details = item.result or {}
        outcomes.append(ExpectationOutcome(
            expectation=item.expectation_config.type,
            column=item.expectation_config.kwargs.get("column"),
            success=bool(item.success),
            unexpected_count=details.get("unexpected_count"),
            sample=[str(v) for v in (details.get("partial_unexpected_list") or [])][:SAMPLE_ROWS],
        ))
    return SuiteResult(suite["name"], suite["table"], len(frame), bool(result.success), outcomes)


def validate_table(warehouse: Path, suite: dict, where: str | None = None) -> SuiteResult:
    """Read the suite's table read-only (optionally filtered) and validate it."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(f"select * from {suite['table']}" + (f" where {where}" if where else "")).df()
    finally:
        con.close()
    return validate_frame(frame, suite)
