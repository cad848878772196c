"""One release materialized by the Dagster job into a temp warehouse, as the UI does it: what the UI shows per asset
afterwards (issue 8: column schemas and row counts on the raw tables and on every dbt model, rows of the run's
release, the dbt progress lines in the run's event log), and a rerun of the same release, which changes nothing."""

from __future__ import annotations

import duckdb
import pytest

from orchestration import settings as app_settings
from tests.support.builds import copy_release_files, instance_with_releases

RELEASE = "2018-public"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metadata")
    raw = copy_release_files(tmp / "raw", "2018/public/elpidownload2018.txt", "2018/public/LocalIndPerf2018.txt")
    env = {app_settings.ENV_RAW_DIR: str(raw), app_settings.ENV_WAREHOUSE: str(tmp / "wh.duckdb"),
           app_settings.ENV_PUBLISH_DIR: str(tmp / "published")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        from orchestration.definitions import build_definitions

        job = build_definitions().resolve_job_def("build_release")
        instance = instance_with_releases(RELEASE)
        result = job.execute_in_process(partition_key=RELEASE, instance=instance)
        assert result.success
        messages = [record.user_message for record in instance.all_logs(result.run_id)]
    materializations = {e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
                        for e in result.get_asset_materialization_events()}
    return materializations, messages, result, env


def _columns(metadata) -> dict[str, str]:
    return {column.name: column.type for column in metadata["dagster/column_schema"].schema.columns}


def test_raw_tables_carry_their_schema_and_row_count(run):
    materializations, *_ = run
    elpi = materializations["raw/elpi"]
    assert elpi["dagster/row_count"].value == 10366 == elpi["rows_loaded"].value
    columns = _columns(elpi)
    assert columns["source_sha256"] == "varchar" and "studentgroup" in columns
    assert materializations["raw/localindperf"]["dagster/row_count"].value == 5081


def test_models_carry_schema_row_count_and_the_rows_of_the_release(run):
    materializations, *_ = run
    facts = materializations["marts/fct_indicator_results"]
    assert facts["dagster/row_count"].value == 10366
    assert facts["rows_by_release"].value == {"2018-public": 10366}
    columns = _columns(facts)
    assert columns["status_level"] in ("integer", "tinyint", "smallint", "bigint")
    assert {"release_key", "cds", "student_group", "color", "color_computed"} <= set(columns)
    # seeds are tables too; a staging view has its schema but is not counted (that would run its query)
    assert materializations["reference/status_cut_points"]["dagster/row_count"].value > 0
    view = materializations["staging/stg_dashboard__elpi"]
    assert "dagster/column_schema" in view and "dagster/row_count" not in view


def test_dbt_progress_in_the_run_log(run):
    materializations, messages, *_ = run
    progress = [m for m in messages if m.startswith("dbt ") and " models and seeds built: " in m]
    dbt_assets = [key for key in materializations if not key.startswith(("raw/", "publish/"))]
    assert len(progress) == len(dbt_assets)
    assert progress[0].startswith(f"dbt 1/{len(dbt_assets)} ")
    assert progress[-1].startswith(f"dbt {len(dbt_assets)}/{len(dbt_assets)} ")


def _counts(warehouse: str) -> list:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        return [con.execute("select count(*) from raw.elpi").fetchall(),
                con.execute("select release_key, indicator, count(*) from marts.fct_indicator_results "
                            "group by all").fetchall(),
                con.execute("select count(*) from raw.localindperf").fetchall()]
    finally:
        con.close()


def test_the_run_and_its_rerun_give_the_same_warehouse(run, monkeypatch):
    """Every asset of the release materialized with its checks passed; a rerun of the release is idempotent."""
    _, _, first, env = run
    materialized = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
    assert {"raw/elpi", "marts/fct_indicator_results", "marts/dim_entity", "publish/release",
            "publish/report"} <= materialized
    assert all(c.passed for c in first.get_asset_check_evaluations())
    expected = [[(10366,)], [(RELEASE, "elpi", 10366)], [(5081,)]]
    assert _counts(env[app_settings.ENV_WAREHOUSE]) == expected
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from orchestration.definitions import build_definitions

    again = build_definitions().resolve_job_def("build_release").execute_in_process(
        partition_key=RELEASE, instance=instance_with_releases(RELEASE))
    assert again.success and all(c.passed for c in again.get_asset_check_evaluations())
    assert {e.asset_key.to_user_string() for e in again.get_asset_materialization_events()} == materialized
    assert _counts(env[app_settings.ENV_WAREHOUSE]) == expected
