"""Partition -> dbt vars (a pure function) and the grouping of releases into runs."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.partitions import (
    RELEASES,
    contiguous_blocks,
    partition_requests,
    releases_of_run,
    sync_release_partitions,
)
from orchestration.transform.partition_vars import dbt_vars_for_partitions


def test_one_partition_maps_to_one_release():
    assert dbt_vars_for_partitions(["2018-public"]) == {"releases": ["2018-public"]}


def test_a_range_maps_to_its_releases_in_time_order_without_duplicates():
    keys = ["2019-public", "2018-public", "2019-preview", "2018-public"]
    assert dbt_vars_for_partitions(keys) == {"releases": ["2018-public", "2019-preview", "2019-public"]}


def test_invalid_partitions_are_refused():
    with pytest.raises(ValueError, match="at least one release"):
        dbt_vars_for_partitions([])
    with pytest.raises(ValueError, match="2021"):
        dbt_vars_for_partitions(["2021-public"])


def test_the_partitions_are_the_releases_present_in_time_order():
    instance = dg.DagsterInstance.ephemeral()
    assert sync_release_partitions(instance, ["2024-public", "2019-public", "2022-public"]) == [
        "2019-public", "2022-public", "2024-public"]
    # a newer release is appended; the list is not rewritten
    assert partition_requests(["2019-public", "2022-public"], ["2022-public", "2019-public", "2023-preview"]) == [
        dg.AddDynamicPartitionsRequest("releases", ["2023-preview"])]
    assert sync_release_partitions(instance, ["2019-public", "2022-public", "2024-public", "2024-preview"]) == [
        "2019-public", "2022-public", "2024-preview", "2024-public"]
    # a late-landed older release is put in its place (delete and re-add), and a release whose files went is gone
    assert sync_release_partitions(instance, ["2018-public", "2022-public", "2024-preview", "2024-public"]) == [
        "2018-public", "2022-public", "2024-preview", "2024-public"]
    assert RELEASES.get_partition_keys(dynamic_partitions_store=instance) == [
        "2018-public", "2022-public", "2024-preview", "2024-public"]
    assert partition_requests(["2018-public"], ["2018-public"]) == []
    with pytest.raises(ValueError, match="2021"):
        partition_requests([], ["2021-public"])


def test_a_run_names_its_releases_by_its_tags():
    instance = dg.DagsterInstance.ephemeral()
    sync_release_partitions(instance, ["2019-public", "2022-public", "2023-preview", "2023-public"])
    assert releases_of_run({"dagster/partition": "2022-public"}, instance) == ["2022-public"]
    assert releases_of_run({"dagster/asset_partition_range_start": "2022-public",
                            "dagster/asset_partition_range_end": "2023-public"}, instance) == [
        "2022-public", "2023-preview", "2023-public"]
    assert len(releases_of_run({}, instance)) == 4


def test_contiguous_blocks():
    order = ["2017-public", "2018-preview", "2018-public", "2019-public", "2025-public"]
    assert contiguous_blocks(["2018-public", "2017-public"], order) == [
        ("2017-public", "2017-public"), ("2018-public", "2018-public")]
    assert contiguous_blocks(["2018-preview", "2017-public", "2018-public", "2025-public"], order) == [
        ("2017-public", "2018-public"), ("2025-public", "2025-public")]
    # public-only releases are neighbours when they are the releases present: one block, one run
    public = ["2019-public", "2022-public", "2023-public", "2024-public"]
    assert contiguous_blocks(public, public) == [("2019-public", "2024-public")]
