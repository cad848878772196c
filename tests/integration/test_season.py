"""A whole Dashboard season operated from the UI (issue 8), through the real webserver's GraphQL API (what the UI's
buttons call) with the real daemon running schedules, sensors and the run queue, then the report in a real browser:

1. the 2023 preview lands under raw/; the team turns on the `raw_files_changed` sensor; it requests a run for
   2023-preview only, which the daemon runs: published, with its report;
2. the team turns the sensor off and tests the schedules ("Test schedule" = scheduleDryRun): the preview schedule
   asks for 2023-preview in November, skips 2024 for want of files; the public files land; the annual schedule's
   December tick asks for 2023-public and the team launches that request (launchRun);
3. the public run publishes the preview-to-public diff: the hand-worked DA flips are in the published mart and on
   the team's PostgreSQL server (publish/postgres, a real server started here), and the report's state page in
   chromium names the LEAs, the flips and the colour changes behind them;
4. the UI shows each mart's column schema and row count, its passed blocking checks, and the freshness check run
   from its own job as of 5 December 2023;
5. the year is backfilled from the UI (both releases, every asset but the server copy of step 3): one run over
   the two partitions, and the publication says the same.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from orchestration import settings as app_settings
from tests.support.browser import launch_chromium
from tests.support.dagster_servers import LOCATION, REPOSITORY, dagster_servers, graphql
from tests.support.eligibility_fixtures import preview_public_season, season_lea
from tests.support.pg_server import postgres_server

PACIFIC = ZoneInfo("America/Los_Angeles")
# How long to wait for one run before calling it hung: a run here takes 1-3 minutes, more while the other test
# worker keeps the second core busy. A guard against hanging, not a speed check (speed is `make bench`'s).
RUN_TIMEOUT = 900.0
FLIPS = "select cds, program, flip, colour_changes from marts.fct_preview_public_determination_flips order by cds"
RUNS = ("query Runs($partition: String!) { runsOrError(filter: {tags: [{key: \"dagster/partition\", "
        "value: $partition}]}) { ... on Runs { results { runId status tags { key value } } } } }")


lea = season_lea


def _wait_for_run(port: int, partition: str, timeout: float = RUN_TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = graphql(port, RUNS, {"partition": partition})["runsOrError"]["results"]
        done = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if done:
            return done[0]
        time.sleep(2)
    pytest.fail(f"no finished run for {partition} within {timeout:.0f} s")


def _schedule_dry_run(port: int, name: str, when: datetime) -> dict:
    data = graphql(port, """mutation DryRun($selector: ScheduleSelector!, $ts: Float) {
        scheduleDryRun(selectorData: $selector, timestamp: $ts) {
          ... on DryRunInstigationTick { evaluationResult { skipReason error { message }
                runRequests { runKey tags { key value } runConfigYaml } } }
          ... on PythonError { message } } }""",
                   {"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY,
                                 "scheduleName": name}, "ts": when.timestamp()})
    return data["scheduleDryRun"]["evaluationResult"]


def _launch(port: int, job: str, tags: list[dict], run_config: dict | None = None) -> str:
    data = graphql(port, """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
          __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
          ... on InvalidStepError { invalidStepKey } ... on RunConfigValidationInvalid { errors { message } } } }""",
                   {"params": {"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY,
                                            "jobName": job},
                               "executionMetadata": {"tags": tags}, "runConfigData": run_config or {}}})
    launched = data["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _wait_for_run_id(port: int, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    query = "query R($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
    while time.monotonic() < deadline:
        status = graphql(port, query, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(2)
    pytest.fail(f"run {run_id} did not finish within {timeout:.0f} s")


def _backfill(port: int, asset_keys: list[str], partitions: list[str], timeout: float = RUN_TIMEOUT) -> dict:
    data = graphql(port, """mutation B($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
          __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
                   {"params": {"assetSelection": [{"path": key.split("/")} for key in asset_keys],
                               "partitionNames": partitions}})
    launched = data["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]
    query = """query Q($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill {
          status runs(limit: 10) { runId status tags { key value } } } } }"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = graphql(port, query, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["status"] in ("COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"):
            return backfill
        time.sleep(2)
    pytest.fail(f"backfill {backfill_id} did not finish within {timeout:.0f} s")


def _sensor(port: int, action: str) -> None:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": "raw_files_changed"}
    if action == "start":
        data = graphql(port, """mutation S($s: SensorSelector!) { startSensor(sensorSelector: $s) {
              __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }""",
                       {"s": selector})
        assert data["startSensor"]["sensorState"]["status"] == "RUNNING", data
    else:
        state = graphql(port, """query Q($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
              ... on Sensor { sensorState { id selectorId } } } }""", {"s": selector})["sensorOrError"]["sensorState"]
        data = graphql(port, """mutation S($o: String, $s: String) {
              stopSensor(jobOriginId: $o, jobSelectorId: $s) { __typename ... on StopSensorMutationResult {
              instigationState { status } } ... on PythonError { message } } }""",
                       {"o": state["id"], "s": state["selectorId"]})
        assert data["stopSensor"]["instigationState"]["status"] == "STOPPED", data


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("season")
    # test_diff.py works the 2023 flips out by hand: LEA 1 no longer identified, LEA 2 newly identified
    landing, raw, published = preview_public_season(2023).write(tmp / "landing"), tmp / "raw", tmp / "published"
    raw.mkdir()
    env = {app_settings.ENV_RAW_DIR: str(raw), app_settings.ENV_WAREHOUSE: str(tmp / "warehouse.duckdb"),
           app_settings.ENV_PUBLISH_DIR: str(published), app_settings.ENV_SENSOR_INTERVAL: "5"}
    home = tmp / "dagster_home"
    home.mkdir()
    with postgres_server() as server:
        target = server.create_database("season")
        env.update(target.environment())   # DASHBOARD_PG_*: the code location defines publish/postgres
        with dagster_servers(home, env, daemon=True) as port:
            yield _operate_the_season(port, landing, raw, published, target)


def _operate_the_season(port, landing, raw, published, target) -> dict:
    story: dict = {"port": port, "published": published}
    # 1. the preview lands; the sensor requests its run
    shutil.copytree(landing / "2023" / "preview", raw / "2023" / "preview")
    _sensor(port, "start")
    story["preview_run"] = _wait_for_run(port, "2023-preview")
    _sensor(port, "stop")
    # 2. the schedules, as "Test schedule" evaluates them; the public files land; launch the December request
    story["preview_tick"] = _schedule_dry_run(port, "preview_window", datetime(2023, 11, 6, 7, tzinfo=PACIFIC))
    story["preview_tick_2024"] = _schedule_dry_run(port, "preview_window",
                                                   datetime(2024, 11, 4, 7, tzinfo=PACIFIC))
    shutil.copytree(landing / "2023" / "public", raw / "2023" / "public")
    annual = _schedule_dry_run(port, "annual_release", datetime(2023, 12, 4, 7, tzinfo=PACIFIC))
    story["annual_tick"] = annual
    (request,) = annual["runRequests"]
    story["public_status"] = _wait_for_run_id(port, _launch(port, "build_release", request["tags"]))
    # 3. the diff, as the team's BI readers see it on the server
    con = target.connect()
    try:
        with con.cursor() as cur:
            cur.execute(FLIPS)
            story["server_flips"] = cur.fetchall()
    finally:
        con.close()
    # 4. the freshness check from its own job, as of 5 December 2023
    config = {"ops": {"publish__release_release_freshness": {"config": {"as_of": "2023-12-05T00:00:00"}}}}
    story["freshness_status"] = _wait_for_run_id(port, _launch(port, "check_freshness", [], config))
    story["nodes"] = {"/".join(n["assetKey"]["path"]): n for n in graphql(port, """{ assetNodes {
        assetKey { path }
        assetMaterializations(partitions: ["2023-public"]) { partition metadataEntries { label __typename
          ... on IntMetadataEntry { intValue } ... on JsonMetadataEntry { jsonString }
          ... on TableSchemaMetadataEntry { schema { columns { name } } } } }
        assetChecksOrError { ... on AssetChecks { checks { name
          executionForLatestMaterialization { status evaluation { severity description } } } } } } }""")[
        "assetNodes"]}
    # 5. a backfill of the year from the UI (both releases, every asset but the server copy, which step 3 checked
    # and which would only be copied again): one run, per the single-run policy
    story["backfill"] = _backfill(port, sorted(set(story["nodes"]) - {"publish/postgres"}),
                                  ["2023-preview", "2023-public"])
    return story


def test_the_sensor_builds_the_preview_when_it_lands(season):
    run = season["preview_run"]
    assert run["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["cadash/trigger"] == "raw files changed" and tags["dagster/sensor_name"] == "raw_files_changed"
    manifest = json.loads((season["published"] / "2023-preview" / "manifest.json").read_text())
    assert manifest["release"] == "2023-preview"
    assert (season["published"] / "reports" / "2023-preview" / "index.html").is_file()


def test_the_schedules_ask_for_the_right_release(season):
    (preview,) = season["preview_tick"]["runRequests"]
    assert {"key": "dagster/partition", "value": "2023-preview"} in preview["tags"]
    skipped = season["preview_tick_2024"]
    assert not skipped["runRequests"] and "no files yet" in skipped["skipReason"]
    (annual,) = season["annual_tick"]["runRequests"]
    assert {"key": "dagster/partition", "value": "2023-public"} in annual["tags"]
    assert annual["runKey"].startswith("2023-public:")
    assert season["public_status"] == "SUCCESS"


def test_the_public_run_publishes_the_diff(season):
    snapshot = season["published"] / "2023-public" / "snapshot.duckdb"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        flips = con.execute(FLIPS).fetchall()
    finally:
        con.close()
    assert flips == [(lea(1), "da", "no longer identified in public", "chronic SWD: Red -> Orange"),
                     (lea(2), "da", "newly identified in public", "susp SWD: Orange -> Red")]
    assert season["server_flips"] == flips                 # publish/postgres: the same rows on the server
    assert (season["published"] / "latest").resolve() == (season["published"] / "2023-public").resolve()


def test_the_report_shows_the_flip_in_a_browser(season):
    index = season["published"] / "reports" / "2023-public" / "index.html"
    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(index.as_uri())
        rows = [(row.get_attribute("data-cds"), row.inner_text())
                for row in page.query_selector_all("table.flips tr.flip")]
    flips = dict(rows)
    assert set(flips) == {lea(1), lea(2)}
    assert "no longer identified in public" in flips[lea(1)] and "Differentiated Assistance" in flips[lea(1)]
    assert "chronic SWD: Red" in flips[lea(1)] and "Orange" in flips[lea(1)]   # the colour change behind it
    assert "newly identified in public" in flips[lea(2)] and "susp SWD: Orange" in flips[lea(2)]


def test_the_ui_shows_metadata_checks_and_freshness(season):
    nodes = season["nodes"]
    (facts,) = nodes["marts/fct_indicator_results"]["assetMaterializations"]
    entries = {e["label"]: e for e in facts["metadataEntries"]}
    assert entries["dagster/row_count"]["intValue"] > 0
    columns = {c["name"] for c in entries["dagster/column_schema"]["schema"]["columns"]}
    assert {"cds", "student_group", "color"} <= columns
    checks = {c["name"]: c for c in nodes["marts/fct_indicator_results"]["assetChecksOrError"]["checks"]}
    assert checks["gx_suite"]["executionForLatestMaterialization"]["status"] == "SUCCEEDED"
    assert nodes["publish/report"]["assetMaterializations"][0]["partition"] == "2023-public"
    (server,) = nodes["publish/postgres"]["assetMaterializations"]
    on_server = {e["label"]: e for e in server["metadataEntries"]}
    assert on_server["source_rows"]["intValue"] > 0
    mart_rows = json.loads(on_server["mart_rows"]["jsonString"])
    assert mart_rows["marts.fct_preview_public_determination_flips"] == 2
    assert mart_rows["marts.fct_indicator_results"] == entries["dagster/row_count"]["intValue"]
    assert season["freshness_status"] == "SUCCESS"
    freshness = {c["name"]: c for c in nodes["publish/release"]["assetChecksOrError"]["checks"]}["release_freshness"]
    assert freshness["executionForLatestMaterialization"]["status"] == "SUCCEEDED"


def test_a_backfill_of_the_year_runs_once_and_publishes_the_same(season):
    backfill = season["backfill"]
    assert backfill["status"] == "COMPLETED_SUCCESS"
    (run,) = backfill["runs"]                                # single-run backfill policy: one run, both releases
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert run["status"] == "SUCCESS"
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2023-preview", "2023-public")
    test_the_public_run_publishes_the_diff(season)          # rebuilt and republished: the same flips
