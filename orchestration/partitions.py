"""Releases as Dagster partitions: one partition per release whose files are under the raw dir, in time order
(2017-public, 2018-preview, 2018-public, ...).

Why dynamic partitions holding only the releases present, rather than every release the registry knows: a Dagster
run over several partitions takes a *range* of neighbouring partitions, and one run is one `dbt build` (the
cross-year marts are built once for all its releases). With every known release as a partition, a raw dir holding
only public releases (the real files most users have, and most test fixtures) had no two neighbours and ran one
Dagster run and one full `dbt build` per release. With the partitions equal to the releases present, any raw dir
is one range and one run.

Why not Dagster's year x stage multi-partitions: a run over a multi-partitioned asset covers a rectangle (every
stage of every year in the range), so a raw dir where only some years have a preview could not be built in one run
without marking absent releases as materialized.

Who keeps the list in step with the raw dir: `cadash build` (before its runs), the `release_partitions` sensor
(running by default, so the UI lists a release soon after its files land), the raw-files sensor and the schedules
(before they request a run). A release is a partition while its files are under raw/; its published data stay
when its files go. The order is the partitions' insertion order in the instance, so a release older than the
newest one (a late-landed year) is put in place by deleting and re-adding the list: the materialization history
is keyed by the release and is not lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

from orchestration.releases.discovery import Release

RELEASES = dg.DynamicPartitionsDefinition(name="releases")

# the run tags that say which releases a run materializes: one partition, or a range (one dbt invocation)
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

PartitionRequest = dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest


def in_time_order(keys: Iterable[str]) -> list[str]:
    """Release keys, each once, a year's preview before its public release."""
    return [r.key for r in sorted({Release.parse(k) for k in keys}, key=Release.sort_key)]


def partition_requests(current: Sequence[str], wanted: Iterable[str]) -> list[PartitionRequest]:
    """What turns the partition list `current` into the releases `wanted`, in time order: nothing, an addition
    at the end, or (when a release goes or lands before the newest) the whole list deleted and re-added."""
    target = in_time_order(wanted)
    current = list(current)
    if current == target:
        return []
    if current == target[:len(current)]:
        return [dg.AddDynamicPartitionsRequest(RELEASES.name, target[len(current):])]
    requests: list[PartitionRequest] = [dg.DeleteDynamicPartitionsRequest(RELEASES.name, current)] if current else []
    return requests + [dg.AddDynamicPartitionsRequest(RELEASES.name, target)]


def sync_release_partitions(instance: dg.DagsterInstance, wanted: Iterable[str]) -> list[str]:
    """Make the instance's release partitions the releases `wanted`, in time order; returns that order."""
    for request in partition_requests(instance.get_dynamic_partitions(RELEASES.name), wanted):
        if isinstance(request, dg.DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                instance.delete_dynamic_partition(RELEASES.name, key)
        else:
            instance.add_dynamic_partitions(RELEASES.name, list(request.partition_keys))
    return list(instance.get_dynamic_partitions(RELEASES.name))


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a run over the releases first..last (partition order)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def releases_of_run(tags: dict[str, str], instance: dg.DagsterInstance) -> list[str]:
    """The release keys a run materializes, from its partition tags (all releases when it has none)."""
    keys = list(instance.get_dynamic_partitions(RELEASES.name))
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return keys[keys.index(tags[RANGE_START_TAG]): keys.index(tags[RANGE_END_TAG]) + 1]
    return keys


def contiguous_blocks(keys: Iterable[str], order: Sequence[str]) -> list[tuple[str, str]]:
    """Group release keys into runs of neighbouring partitions of `order`: [(first, last), ...], in order.

    One block runs as one Dagster run over a partition range, so dbt is invoked once for the whole block."""
    position = {key: i for i, key in enumerate(order)}
    wanted = sorted(set(keys), key=position.__getitem__)
    blocks: list[tuple[str, str]] = []
    for key in wanted:
        if blocks and position[key] == position[blocks[-1][1]] + 1:
            blocks[-1] = (blocks[-1][0], key)
        else:
            blocks.append((key, key))
    return blocks
