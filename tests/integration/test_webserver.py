"""The Dagster UI as the team uses it (issue 8): the real webserver starts on localhost with workspace.yaml, and its
GraphQL API (what the UI itself reads) lists every asset with its group and owners, every asset check, the jobs,
schedules and sensor, and the release partitions."""

from __future__ import annotations

import time

import pytest

from orchestration import settings as app_settings
from tests.support.dagster_servers import REPO, dagster_servers
from tests.support.dagster_servers import graphql as _graphql


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    env = {app_settings.ENV_WAREHOUSE: str(home / "warehouse.duckdb"), app_settings.ENV_RAW_DIR: str(REPO / "raw"),
           app_settings.ENV_SENSOR_INTERVAL: "5"}
    with dagster_servers(home, env, daemon=True) as port:   # the daemon runs the release_partitions sensor
        yield port


def test_the_ui_lists_every_asset_with_its_group_and_owner(webserver):
    from orchestration.definitions import defs

    expected = {k.to_user_string(): defs.resolve_asset_graph().get(k).group_name
                for k in defs.resolve_asset_graph().get_all_asset_keys()}
    data = _graphql(webserver, "{ assetNodes { assetKey { path } groupName description "
                               "owners { ... on TeamAssetOwner { team } } } }")
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {k: n["groupName"] for k, n in nodes.items()} == expected
    assert {"ingest", "staging", "marts", "eligibility", "quality", "publish", "reference"} <= set(expected.values())
    assert nodes["publish/report"]["groupName"] == "publish"
    for key in ("raw/grad", "marts/fct_da_eligibility", "publish/release", "publish/report",
                "marts/fct_level_reconciliation"):
        assert nodes[key]["description"], key
        assert {"team": "data-engineering"} in nodes[key]["owners"], key


def test_the_ui_lists_every_check_job_schedule_sensor_and_partition(webserver):
    from orchestration.definitions import defs

    expected = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    data = _graphql(webserver, "{ assetNodes { assetKey { path } "
                               "assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }")
    checks = {("/".join(n["assetKey"]["path"]), c["name"]): c["blocking"]
              for n in data["assetNodes"] for c in n["assetChecksOrError"].get("checks", [])}
    assert set(checks) == expected
    assert checks[("raw/grad", "gx_suite")] and checks[("marts/fct_indicator_results", "gx_suite")]
    assert checks[("marts/fct_level_reconciliation", "level_reconciliation")]
    repo = _graphql(webserver, "{ repositoriesOrError { ... on RepositoryConnection { nodes { "
                               "jobs { name } schedules { name cronSchedule } sensors { name } "
                               "partitionSets { name partitionsOrError { ... on Partitions { results { name } } } } "
                               "} } } }")["repositoriesOrError"]["nodes"][0]
    assert {"build_release", "check_freshness"} <= {j["name"] for j in repo["jobs"]}
    assert {s["name"]: s["cronSchedule"] for s in repo["schedules"]} == {
        "preview_window": "0 7 * 10-11 1-5", "annual_release": "0 7 * 12 1-5", "freshness_daily": "0 9 * * *"}
    assert not checks[("publish/release", "release_freshness")]     # warns, never withholds a publication
    assert sorted(s["name"] for s in repo["sensors"]) == ["raw_files_changed", "release_partitions"]


def test_the_ui_lists_the_releases_under_the_raw_dir_as_partitions(webserver):
    """The partitions are the releases present (raw/ holds 2017 and 2018 public), listed by the release_partitions
    sensor, which runs by default once the daemon does."""
    query = ("{ repositoriesOrError { ... on RepositoryConnection { nodes { partitionSets { name "
             "partitionsOrError { ... on Partitions { results { name } } } } } } } }")
    deadline = time.monotonic() + 120
    while True:
        sets = _graphql(webserver, query)["repositoriesOrError"]["nodes"][0]["partitionSets"]
        build = next(p for p in sets if p["name"].startswith("build_release"))
        releases = [r["name"] for r in build["partitionsOrError"]["results"]]
        if releases or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert releases == ["2017-public", "2018-public"]
