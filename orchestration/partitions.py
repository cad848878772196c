"""Releases as Dagster partitions: one partition per report year x stage that the registry knows, in time order
(2017-preview, 2017-public, 2018-preview, ...). Static, so the UI shows and backfills every release; a new report
year is a registry change (its layouts) before it can be a partition."""

from __future__ import annotations

import dagster as dg

from orchestration.releases.discovery import all_release_keys

RELEASES = dg.StaticPartitionsDefinition(all_release_keys())


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
