"""Ingest assets: one raw.<stem> table per research-file stem, materialized per release partition.

No `from __future__ import annotations` here: Dagster checks the context annotation at definition time."""


import contextlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings as app_settings
from orchestration.ingest.cde_lists import CDE_LIST_TABLES
from orchestration.ingest.loader import load_release
from orchestration.ingest.reference import REFERENCE_INPUTS, load_reference_inputs, reference_names
from orchestration.partitions import RELEASES
from orchestration.quality.gx_checks import QualityGateError, RawGate, raw_check_specs
from orchestration.releases.discovery import Release, raw_dir_warnings
from orchestration.releases.registry import REFERENCE_STEMS, STEM_INDICATOR
from orchestration.transform.table_metadata import table_metadata

# Metadata key of the header differences of the files loaded (unknown columns kept, optional ones absent): the UI
# shows it on raw/<stem>; `cadash build` prints it in its summary.
LAYOUT_WARNINGS = "layout_warnings"


# the seconds the raw suites took in the run (every table and release), on each raw table's materialization: what a
# run's ingest step spent on the quality gate rather than the load (`cadash build --timings`)
RAW_SUITE_SECONDS = "raw_suite_seconds_in_run"


def _raw_spec(name: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["raw", name]), group_name="ingest", description=description, kinds={"duckdb"},
        skippable=True,   # not materialized when the quality gate rolls the ingest back
        owners=app_settings.ASSET_OWNERS,
    )


RAW_SPECS = [
    _raw_spec(stem, f"raw.{stem}: the '{stem}' research files of every release, typed by the registry, with lineage "
                    "columns (report_year, stage, layout_variant, source_file, source_sha256, loaded_at).")
    for stem in STEM_INDICATOR
] + [
    _raw_spec(ref.name, f"raw.{ref.name}: reference input {ref.relative_path} under the raw dir, loaded whole on every "
                        f"ingest run (raw/reference/README.md). {ref.source}.")
    for ref in REFERENCE_INPUTS
] + [
    _raw_spec(stem, f"raw.{stem}: reference input: the CDE research files of this stem under <raw dir>/reference/ "
                    "(raw/reference/README.md), loaded whole on every ingest run, read by name like a release file. "
                    f"{REFERENCE_STEMS[stem]}.")
    for stem in REFERENCE_STEMS
] + [
    _raw_spec(table, f"raw.{table}: optional reference input: {description}, from the workbooks under <raw dir>/"
                     "reference/ as CDE publishes them (raw/reference/README.md), loaded whole on every ingest run, "
                     "read by column name (orchestration/ingest/cde_lists.py); empty when there are none. Read by "
                     "the reconciliation marts (fct_cde_da_list_reconciliation, fct_cde_essa_list_reconciliation).")
    for table, description in CDE_LIST_TABLES.items()
]


@dg.multi_asset(
    specs=RAW_SPECS,
    check_specs=raw_check_specs(),
    partitions_def=RELEASES,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=False,
    name="ingest_research_files",
)
def ingest_research_files(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Load every file under raw/<year>/<stage>/ of the selected release(s) into the raw tables, replacing each
    release's rows atomically. A file the registry does not know, or one whose header, types or encoding are
    wrong, fails the run with the file, line and column, and leaves the warehouse as it was.

    The raw Great Expectations suites run on each release inside its transaction (the quality gate): if one fails,
    the release is rolled back, the failed checks are reported (gx_suite on raw/<stem>) and the step fails."""
    raw_dir = app_settings.load().raw_dir
    per_stem: dict[str, dict[str, int]] = {stem: {} for stem in STEM_INDICATOR}
    files: dict[str, list[str]] = {stem: [] for stem in STEM_INDICATOR}
    warnings: dict[str, list[str]] = {stem: [] for stem in (*STEM_INDICATOR, *reference_names())}
    for line in raw_dir_warnings(raw_dir):
        context.log.warning(line)
    gate = RawGate(log=context.log.info)
    try:
        # one connection: closing it checkpoints, so once per run. closing(): dagster-duckdb's get_connection does
        # not close the connection when the body raises, which would keep the file open in a long-lived process
        with duckdb.get_connection() as con, contextlib.closing(con):
            references = _ingest(con, raw_dir, context, gate, per_stem, files, warnings)
            # column schema and whole-table row count of each raw table, as the UI shows them
            tables = {name: table_metadata(con, "raw", name, "table", [])
                      for name in [*STEM_INDICATOR, *(ref.name for ref in references)]}
    except QualityGateError as exc:
        context.log.error(str(exc))
        yield from gate.check_results()   # the failed blocking checks fail the step; nothing is materialized
        return
    for stem in STEM_INDICATOR:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["raw", stem]),
            metadata={
                **tables[stem],
                "rows_loaded": dg.MetadataValue.int(sum(per_stem[stem].values())),
                "rows_by_release": dg.MetadataValue.json(per_stem[stem]),
                "files": dg.MetadataValue.json(files[stem]),
                LAYOUT_WARNINGS: dg.MetadataValue.json(warnings[stem]),
                RAW_SUITE_SECONDS: dg.MetadataValue.float(round(gate.seconds, 2)),
            },
        )
    for ref in references:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["raw", ref.name]),
            metadata={
                **tables[ref.name],
                "rows_loaded": dg.MetadataValue.int(ref.rows),
                "file": dg.MetadataValue.text(f"{ref.file_name} sha256:{ref.sha256[:12]}" if ref.file_name
                                              else "absent (empty table)"),
                LAYOUT_WARNINGS: dg.MetadataValue.json(list(ref.warnings)),
            },
        )
    yield from gate.check_results()


def _ingest(con, raw_dir, context: dg.AssetExecutionContext, gate: RawGate, per_stem: dict, files: dict,
            warnings: dict):
    """Reference inputs, then each release of the run, each in its own transaction behind the quality gate. Header
    differences (unknown columns kept, optional ones absent) are logged as warnings and collected per table."""
    references = load_reference_inputs(con, raw_dir, log=context.log.info, before_commit=gate.reference,
                                       warn=context.log.warning)
    for ref in references:
        warnings[ref.name] += list(ref.warnings)
    for key in context.partition_keys:
        release = Release.parse(key)
        context.log.info(f"[{key}] ingesting from {raw_dir}")
        loads = load_release(con, raw_dir, release, log=context.log.info, before_commit=gate.release,
                             warn=context.log.warning)
        if not loads:
            context.log.info(f"[{key}] no files under {raw_dir}/{release.report_year}/{release.stage}")
        for load in loads:
            per_stem[load.stem][key] = per_stem[load.stem].get(key, 0) + load.rows
            files[load.stem].append(f"{key}/{load.file_name} sha256:{load.sha256[:12]} ({load.encoding})")
            warnings[load.stem] += [f"[{key}] {w}" for w in load.warnings]
    return references
