"""Reconciliation checks: do the levels and colours recomputed from the rule seeds agree with CDE's?

`level_reconciliation` fails when, for any indicator and report year of the run's releases, the share of coloured
rows whose recomputed colour equals the reported one is below its threshold in
seeds/rules/reconciliation_thresholds.csv.
How loudly depends on whose data it is:
- CDE's files (any raw dir that `cadash generate` did not write): a **warning** (severity WARN), never a refusal.
  Determinations use the levels CDE published, so a correct CDE release must publish even when our rule seeds are
  behind; the differences are in marts.fct_level_reconciliation / fct_level_disagreements, this check's metadata,
  the `cadash build` summary and the report.
- generated releases (the raw dir has settings.GENERATED_MARKER): our own rules made the levels, so a difference is
  a defect of ours: severity ERROR, and the check blocks publication.
`level_disagreements` warns (severity WARN) on any disagreeing row and shows a sample. Both read the warehouse
read-only after dbt has finished.

No `from __future__ import annotations` here: Dagster checks the context annotation at definition time.
"""


import dagster as dg
import duckdb

from orchestration import settings as app_settings
from orchestration.partitions import releases_of_run

RECONCILIATION = dg.AssetKey(["marts", "fct_level_reconciliation"])


def agreement_by_indicator_year(con: duckdb.DuckDBPyConnection, releases: list[str]) -> list[tuple]:
    """(release, indicator, year, coloured rows, agreeing, disagreeing rows, threshold) for the given releases."""
    return con.execute(
        """
        select r.release_key, r.indicator, r.report_year, sum(r.coloured_rows), sum(r.coloured_agree),
               sum(r.disagreeing_rows), any_value(t.min_color_agreement)
        from marts.fct_level_reconciliation as r
        left join reference.reconciliation_thresholds as t
            on t.indicator = r.indicator and r.report_year between t.first_year and t.last_year
        where list_contains(?, r.release_key)
        group by all
        order by 1, 2
        """,
        [releases],
    ).fetchall()


def _read_only():
    return duckdb.connect(str(app_settings.load().warehouse), read_only=True)


def _table(rows: list[tuple]) -> str:
    lines = ["| release | indicator | coloured rows | agree | rate | threshold |", "|---|---|---|---|---|---|"]
    for release, indicator, _year, coloured, agree, _dis, threshold in rows:
        rate = f"{agree / coloured:.4f}" if coloured else "-"
        lines.append(f"| {release} | {indicator} | {coloured:,} | {agree:,} | {rate} | {threshold} |")
    return "\n".join(lines)


@dg.asset_check(asset=RECONCILIATION, name="level_reconciliation", blocking=True,
                description="Recomputed colours agree with CDE's at least as often as the per indicator-year "
                            "threshold (seeds/rules/reconciliation_thresholds.csv). Blocks publication for "
                            "generated releases only; on CDE's files a shortfall is a warning (determinations use "
                            "CDE's published levels).")
def level_reconciliation(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    releases = releases_of_run(context.run.tags, context.instance)
    strict = app_settings.is_generated_raw_dir(app_settings.load().raw_dir)
    con = _read_only()
    try:
        rows = agreement_by_indicator_year(con, releases)
    finally:
        con.close()
    below = [r for r in rows if r[3] and r[6] is not None and r[4] / r[3] < r[6]]
    missing = [r for r in rows if r[3] and r[6] is None]
    return dg.AssetCheckResult(
        passed=not below and not missing,
        severity=dg.AssetCheckSeverity.ERROR if strict else dg.AssetCheckSeverity.WARN,
        description=None if not (below or missing) else (
            "recomputed levels disagree with CDE's beyond the threshold: "
            + ("a defect of the generator or the rules (generated data): publication blocked" if strict else
               "published anyway (CDE's levels decide); see marts.fct_level_disagreements")),
        metadata={
            "mode": dg.MetadataValue.text("strict: generated releases" if strict else
                                          "warning: CDE's files (determinations use CDE's levels)"),
            "releases": dg.MetadataValue.json(releases),
            "agreement": dg.MetadataValue.md(_table(rows)),
            "below_threshold": dg.MetadataValue.json([f"{r[0]} {r[1]}: {r[4]}/{r[3]} < {r[6]}" for r in below]),
            "without_threshold": dg.MetadataValue.json([f"{r[0]} {r[1]}" for r in missing]),
        },
    )


@dg.asset_check(asset=RECONCILIATION, name="level_disagreements",
                description="Warns when any recomputed level, colour or box differs from CDE's; shows a sample.")
def level_disagreements(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    releases = releases_of_run(context.run.tags, context.instance)
    con = _read_only()
    try:
        count = con.execute("select count(*) from marts.fct_level_disagreements where list_contains(?, release_key)",
                            [releases]).fetchall()[0][0]
        sample = con.execute(
            "select release_key, indicator, cds, student_group, differing_fields, status_level, "
            "status_level_computed, change_level, change_level_computed, color, color_computed "
            "from marts.fct_level_disagreements where list_contains(?, release_key) order by all limit 20",
            [releases],
        ).fetchall()
    finally:
        con.close()
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"disagreeing_rows": dg.MetadataValue.int(count),
                  "sample": dg.MetadataValue.json([list(map(str, r)) for r in sample])},
    )
