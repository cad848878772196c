"""Time and memory per pipeline step (issue 20): Dagster step keys named as the pipeline's steps, and the bench's
per-step peak memory taken from the samples inside each step's window."""

from __future__ import annotations

from orchestration.bench import step_figures
from orchestration.run_steps import STEPS, StepTime, describe, pipeline_step, totals


def test_every_step_of_the_build_job_has_its_pipeline_name():
    assert pipeline_step("ingest_research_files") == "ingest"
    assert pipeline_step("dashboard_dbt") == "dbt"
    assert pipeline_step("published_mart_suites") == "mart gates"
    assert pipeline_step("marts__fct_level_reconciliation_level_disagreements") == "mart gates"
    assert pipeline_step("publish__release") == "publish" and pipeline_step("publish__postgres") == "publish"
    assert pipeline_step("publish__report") == "report"
    assert pipeline_step("check_freshness") == "other"


def test_totals_keep_the_pipeline_order_and_add_other_only_when_there_is_some():
    times = [StepTime("dbt", 10.0, 5, 15), StepTime("ingest", 3.0, 0, 5), StepTime("raw gates", 2.0, 0, 5),
             StepTime("dbt", 1.5, 20, 21.5)]
    assert list(totals(times)) == list(STEPS)
    assert totals(times)["dbt"] == 11.5 and totals(times)["report"] == 0.0
    assert "other" in totals([*times, StepTime("other", 0.5, 30, 30.5)])
    assert describe(times).startswith("ingest 3.0 s, raw gates 2.0 s, dbt 11.5 s")


def test_each_steps_peak_is_the_largest_sample_inside_its_windows():
    steps = [{"step": "ingest", "seconds": 4.0, "start": 10.0, "end": 20.0},
             {"step": "raw gates", "seconds": 6.0, "start": 10.0, "end": 20.0},
             {"step": "dbt", "seconds": 10.0, "start": 20.5, "end": 30.5},
             {"step": "report", "seconds": 5.0, "start": 40.0, "end": 45.0},
             {"step": "report", "seconds": 5.0, "start": 50.0, "end": 55.0}]
    mb = 1024
    samples = [(1.0, 300 * mb), (15.0, 900 * mb), (20.2, 2000 * mb), (25.0, 1200 * mb), (42.0, 700 * mb),
               (52.0, 800 * mb), (60.0, 100 * mb)]
    figures = step_figures(steps, samples, total_seconds=62.0)
    assert figures["ingest"] == {"seconds": 4.0, "peak_rss_mb": 900.0}
    assert figures["raw gates"]["peak_rss_mb"] == 900.0          # the ingest step's window
    assert figures["dbt"] == {"seconds": 10.0, "peak_rss_mb": 1200.0}
    assert figures["report"] == {"seconds": 10.0, "peak_rss_mb": 800.0}   # both runs' windows
    assert figures["publish"] == {"seconds": 0.0, "peak_rss_mb": 0.0}
    # 20.2 s is between steps: start-up and other holds it, and the time no step accounts for
    assert figures["start-up and other"] == {"seconds": 32.0, "peak_rss_mb": 2000.0}
