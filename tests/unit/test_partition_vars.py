"""Partition -> dbt vars (a pure function) and the grouping of releases into runs."""

from __future__ import annotations

import pytest

from orchestration.partitions import RELEASES, contiguous_blocks
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


def test_partitions_are_every_release_in_time_order():
    keys = RELEASES.get_partition_keys()
    assert keys[:4] == ["2017-preview", "2017-public", "2018-preview", "2018-public"]
    assert keys[-1] == "2025-public" and len(keys) == 14


def test_contiguous_blocks():
    assert contiguous_blocks(["2018-public", "2017-public"]) == [
        ("2017-public", "2017-public"), ("2018-public", "2018-public")]
    assert contiguous_blocks(["2018-preview", "2017-public", "2018-public", "2025-public"]) == [
        ("2017-public", "2018-public"), ("2025-public", "2025-public")]
