"""Releases as Dagster partitions: one partition per report year x stage that the registry knows, in time order
(2017-preview, 2017-public, 2018-preview, ...). Static, so the UI shows and backfills every release; a new report
year is a registry change (its layouts) before it can be a partition."""

from __future__ import annotations

import dagster as dg

from orchestration.releases.discovery import all_release_keys

RELEASES = dg.StaticPartitionsDefinition(all_release_keys())

# the run tags that say which releases a run materializes: one partition, or a range (one dbt invocation)
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a run over the releases first..last (partition order)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def releases_of_run(tags: dict[str, str]) -> list[str]:
    """The release keys a run materializes, from its partition tags (all releases when it has none)."""
    keys = RELEASES.get_partition_keys()
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return keys[keys.index(tags[RANGE_START_TAG]): keys.index(tags[RANGE_END_TAG]) + 1]
    return keys


def contiguous_blocks(keys: list[str]) -> list[tuple[str, str]]:
    """Group release keys into runs of neighbouring partitions: [(first, last), ...], in partition order.

    One block runs as one Dagster run over a partition range, so dbt is invoked once for the whole block."""
    order = RELEASES.get_partition_keys()
    wanted = sorted(set(keys), key=order.index)
    blocks: list[tuple[str, str]] = []
    for key in wanted:
        if blocks and order.index(key) == order.index(blocks[-1][1]) + 1:
            blocks[-1] = (blocks[-1][0], key)
        else:
            blocks.append((key, key))
    return blocks
