"""Where a build's time goes: the steps of a Dagster run named as the pipeline's steps, with their wall-clock
windows, so that `cadash build` can print them and `cadash bench` can give time and peak memory per step.

The steps, in run order: **ingest** (loading the files), **raw gates** (the raw GX suites; they run inside the
ingest step, on each release before its commit, so their time comes from the ingest assets' metadata and their
window is the ingest step's), **dbt** (models and dbt tests), **mart gates** (the mart suites and the
reconciliation checks), **publish** (Parquet, snapshot, manifest; PostgreSQL when configured) and **report**.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

STEPS = ("ingest", "raw gates", "dbt", "mart gates", "publish", "report")


@dataclass(frozen=True)
class StepTime:
    step: str          # one of STEPS, or "other"
    seconds: float
    start: float       # epoch seconds of the Dagster step's window (raw gates: the ingest step's)
    end: float

    def as_dict(self) -> dict:
        return asdict(self)


def pipeline_step(step_key: str) -> str:
    """The pipeline step a Dagster step key belongs to."""
    if step_key == "ingest_research_files":
        return "ingest"
    if step_key.endswith("_dbt"):       # dashboard_dbt
        return "dbt"
    if step_key == "published_mart_suites" or "reconciliation" in step_key:
        return "mart gates"
    if step_key == "publish__report":
        return "report"
    if step_key.startswith("publish__"):
        return "publish"
    return "other"


def run_step_times(instance, run_id: str) -> list[StepTime]:
    """The step times of one finished run, raw gates split out of ingest."""
    import dagster as dg

    from orchestration.ingest.assets import RAW_SUITE_SECONDS

    gate = 0.0
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in records:
        entry = record.event_log_entry.asset_materialization.metadata.get(RAW_SUITE_SECONDS)
        if entry is not None:
            gate = max(gate, float(entry.value))   # every raw table carries the run's total
    times = []
    for stats in instance.get_run_step_stats(run_id):
        if stats.start_time is None or stats.end_time is None:
            continue
        step, seconds = pipeline_step(stats.step_key), stats.end_time - stats.start_time
        if step == "ingest":
            times.append(StepTime("raw gates", round(gate, 2), stats.start_time, stats.end_time))
            seconds = max(seconds - gate, 0.0)
        times.append(StepTime(step, round(seconds, 2), stats.start_time, stats.end_time))
    return times


def totals(times: list[StepTime]) -> dict[str, float]:
    """Seconds per pipeline step (in STEPS order, `other` last when there is any)."""
    out = {step: 0.0 for step in STEPS}
    for t in times:
        out[t.step] = out.get(t.step, 0.0) + t.seconds
    return {k: round(v, 2) for k, v in out.items() if k in STEPS or v}


def describe(times: list[StepTime]) -> str:
    return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in totals(times).items())
