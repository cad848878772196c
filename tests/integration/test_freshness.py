"""The freshness check through Dagster, in its own job, with its as-of date (the rules themselves:
tests/unit/test_freshness.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestration import settings as app_settings
from tests.support.inputs import land_at


def test_the_check_in_its_own_job(tmp_path, monkeypatch):
    import dagster as dg

    raw, pub = tmp_path / "raw", tmp_path / "pub"
    landed = datetime(2024, 11, 12, 8, tzinfo=UTC)
    land_at(raw, "2024-preview", landed)
    monkeypatch.setenv(app_settings.ENV_RAW_DIR, str(raw))
    monkeypatch.setenv(app_settings.ENV_PUBLISH_DIR, str(pub))
    from orchestration.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def("check_freshness")

    def run(as_of: datetime):
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"ops": {"publish__release_release_freshness": {"config": {"as_of": as_of.isoformat()}}}})
        assert result.success                       # a warning never fails the run
        (evaluation,) = result.get_asset_check_evaluations()
        return evaluation

    evaluation = run(landed + timedelta(hours=3))
    assert evaluation.passed and evaluation.metadata["statuses"].value == {"pending": 1}
    evaluation = run(landed + timedelta(days=3))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description == "2024-preview overdue"
    assert "| 2024-preview | overdue |" in evaluation.metadata["releases"].value
    # the build job leaves the calendar-dependent check out
    checks = {key.name for key in defs.resolve_job_def("build_release").asset_layer.asset_graph.asset_check_keys}
    assert "gx_suite" in checks and "release_freshness" not in checks
