"""The Dagster code location: it loads and has the expected assets, checks, jobs and partitions (a release
materialized into a temp warehouse, twice, is test_asset_metadata.py's)."""

from __future__ import annotations

import pytest

from orchestration import settings as app_settings

EXPECTED_ASSETS = {
    *(f"raw/{s}" for s in ("ela", "math", "chronic", "susp", "grad", "elpi", "cci", "science",
                            "censusenrollrates", "localindperf")),
    *(f"staging/stg_dashboard__{s}" for s in ("ela", "math", "chronic", "susp", "grad", "elpi", "cci", "science",
                                               "censusenrollrates", "localindperf")),
    "intermediate/int_indicator_results__unioned",
    "marts/fct_indicator_results", "marts/dim_entity", "marts/dim_student_group", "marts/dim_indicator",
    "marts/dim_release", "reference/student_groups", "reference/indicators",
    "intermediate/int_indicator_results__levels_computed", "marts/fct_level_reconciliation",
    "marts/fct_level_disagreements", "reference/status_cut_points", "reference/color_grids",
    # issue 6: the determinations, their reference input and rule seeds
    "raw/title_i_status", "staging/stg_reference__title_i_status",
    "raw/graduation_cohorts", "staging/stg_reference__graduation_cohorts",
    "raw/grad_dassonly", "staging/stg_dashboard__grad_dassonly",   # issue 17: a reference input from CDE
    "marts/fct_da_student_group_priorities",
    "marts/fct_da_eligibility", "marts/fct_essa_school_determinations", "marts/fct_eligibility_near_misses",
    "intermediate/int_da__ratings", "intermediate/int_essa__group_criteria",
    *(f"marts/cde_assistancestatus{y}" for y in (19, 22, 23, 24, 25)),
    *(f"marts/cde_essaassistance{y}" for y in (22, 23, 24, 25)),
    "reference/da_state_criteria", "reference/essa_criteria", "reference/cde_list_layouts",
    # CDE's published lists (optional reference inputs) and the reconciliation of ours with them
    *(f"raw/{t}" for t in ("cde_da_list", "cde_da_list_priorities", "cde_essa_list", "cde_essa_list_groups")),
    *(f"staging/stg_reference__{t}" for t in ("cde_da_list", "cde_da_list_priorities", "cde_essa_list",
                                              "cde_essa_list_groups")),
    "marts/fct_cde_list_inputs", "marts/fct_cde_da_list_reconciliation", "marts/fct_cde_essa_list_reconciliation",
    "marts/fct_cde_list_reconciliation_summary", "reference/da_assistance_statuses", "reference/programs",
    "reference/determination_inputs",
    "publish/release",  # issue 7
    "publish/report",   # issue 8: the HTML report, after publication
}


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import build_definitions

    return build_definitions()


def test_expected_asset_keys(defs):
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert EXPECTED_ASSETS <= keys


def test_dbt_tests_are_asset_checks(defs):
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert ("marts/fct_indicator_results",
            "unique_combination_of_columns_fct_indicator_results_report_year__stage__indicator__cds__student_group"
            ) in checks
    assert len(checks) >= 60
    assert {("marts/fct_level_reconciliation", "level_reconciliation"),
            ("marts/fct_level_reconciliation", "level_disagreements")} <= checks


def test_every_suite_is_a_blocking_check_on_its_asset_and_publication_waits_for_them(defs):
    import dagster as dg

    from orchestration.ingest.cde_lists import CDE_LIST_TABLES
    from orchestration.publish.publisher import PUBLISHED_MARTS
    from orchestration.quality import gx_runner
    from orchestration.releases import registry

    graph = defs.resolve_asset_graph()
    suites = gx_runner.suites("raw") + gx_runner.suites("marts")
    # ten research-file stems, the DASS-only graduation files, the Title I and graduation-cohort reference inputs
    # and CDE's lists
    assert {s["table"] for s in gx_runner.suites("raw")} == {
        f"raw.{t}" for t in (*registry.STEM_INDICATOR, *registry.REFERENCE_STEMS, "title_i_status",
                             "graduation_cohorts", *CDE_LIST_TABLES)}
    # the marts with rules beyond structure (the rest are dbt's alone, expectations/README.md); CDE layouts are views
    assert {s["table"] for s in gx_runner.suites("marts")} == {
        t for t, _scope in PUBLISHED_MARTS if not t.startswith("marts.cde_")} - {
        "marts.dim_indicator", "marts.dim_student_group", "marts.fct_eligibility_near_misses",
        "marts.fct_preview_public_result_changes", "marts.fct_preview_public_determination_flips",
        "marts.fct_da_student_group_priorities"}
    for suite in suites:
        key = dg.AssetCheckKey(dg.AssetKey(suite["asset"]), "gx_suite")
        assert key in graph.asset_check_keys, key
        assert graph.get_check_spec(key).blocking, key
    publish = graph.get(dg.AssetKey(["publish", "release"]))
    assert publish.group_name == "publish"
    assert {dg.AssetKey(t.split(".")) for t, _ in PUBLISHED_MARTS} <= set(publish.parent_keys)
    report = graph.get(dg.AssetKey(["publish", "report"]))   # the report reads the publication, nothing else
    assert (report.group_name, set(report.parent_keys)) == ("publish", {dg.AssetKey(["publish", "release"])})
    assert report.partitions_def == publish.partitions_def and report.owners == publish.owners


def test_loading_the_definitions_does_not_import_great_expectations():
    import subprocess
    import sys

    code = "import sys; import orchestration.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_jobs_and_partitions(defs):
    import dagster as dg

    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {"build_release", "check_freshness"} <= jobs
    job = defs.resolve_job_def("build_release")
    # the job that publishes also writes the report
    assert dg.AssetKey(["publish", "report"]) in job.asset_layer.executable_asset_keys
    assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition) and job.partitions_def.name == "releases"
    # every release at once is a backfill of all partitions, which the single-run policy makes one run
    graph = defs.resolve_asset_graph()
    for key in job.asset_layer.executable_asset_keys:
        node = graph.get(key)
        if node.is_partitioned:
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), key.to_user_string()
    # every job, the UI's asset jobs too, runs its steps in the run's process, as `cadash build` does
    for job_def in defs.resolve_all_job_defs():
        assert job_def.executor_def is dg.in_process_executor, job_def.name


def test_the_server_asset_is_defined_only_when_a_server_is_named(monkeypatch):
    import dagster as dg

    from orchestration.definitions import build_definitions

    server = dg.AssetKey(["publish", "postgres"])
    for unset in (None, ""):
        if unset is None:
            monkeypatch.delenv("DASHBOARD_PG_HOST", raising=False)
        else:
            monkeypatch.setenv("DASHBOARD_PG_HOST", unset)
        assert server not in build_definitions().resolve_asset_graph().get_all_asset_keys()
    monkeypatch.setenv("DASHBOARD_PG_HOST", "db.example.org")
    defs = build_definitions()
    node = defs.resolve_asset_graph().get(server)
    assert node.group_name == "publish" and node.parent_keys == {dg.AssetKey(["publish", "release"])}
    # every run that publishes also updates the server
    assert server in defs.resolve_job_def("build_release").asset_layer.executable_asset_keys


def test_sources_are_the_ingest_assets(defs):
    graph = defs.resolve_asset_graph()
    import dagster as dg

    fct_parents = graph.get(dg.AssetKey(["staging", "stg_dashboard__grad"])).parent_keys
    assert dg.AssetKey(["raw", "grad"]) in fct_parents
    assert graph.get(dg.AssetKey(["raw", "grad"])).group_name == "ingest"
    assert graph.get(dg.AssetKey(["marts", "fct_indicator_results"])).group_name == "marts"
    assert graph.get(dg.AssetKey(["raw", "title_i_status"])).group_name == "ingest"
    for key in (["marts", "fct_da_eligibility"], ["intermediate", "int_da__ratings"],
                ["marts", "cde_essaassistance24"]):
        assert graph.get(dg.AssetKey(key)).group_name == "eligibility"


def test_the_instance_runs_one_run_at_a_time(tmp_path):
    """dagster.yaml (copied into DAGSTER_HOME by the Makefile) queues runs: they all write the one warehouse."""
    import os
    import shutil
    import subprocess
    import sys

    shutil.copyfile(app_settings.REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    code = ("import dagster as dg; print(dg.DagsterInstance.get().get_concurrency_config()"
            ".run_queue_config.max_concurrent_runs)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert out.stdout.strip() == "1"


def test_the_dbt_resource_knows_its_dbt_version_without_a_subprocess(monkeypatch, tmp_path):
    """dagster-dbt asks `dbt --version` in a subprocess for every run; the dbt beside this Python is this
    environment's dbt-core, whose version the resource reads from the package instead. Another dbt is still asked."""
    import importlib.metadata

    import dagster_dbt.core.resource as dagster_dbt_resource

    from orchestration.transform.project import DBT_PROJECT, DashboardDbtCli, dbt_resource

    asked = []
    monkeypatch.setattr(dagster_dbt_resource, "check_output",
                        lambda args, **_: asked.append(args) or b"Core:\n  - installed: 9.8.7\n")
    assert str(dbt_resource()._cli_version) == importlib.metadata.version("dbt-core") and asked == []
    elsewhere = tmp_path / "dbt"
    elsewhere.write_text("#!/bin/sh\n")
    elsewhere.chmod(0o755)
    other = DashboardDbtCli(project_dir=DBT_PROJECT, dbt_executable=str(elsewhere))
    assert str(other._cli_version) == "9.8.7" and asked == [[str(elsewhere), "--version"]]
