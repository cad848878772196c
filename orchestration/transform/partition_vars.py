"""The mapping from Dagster partition(s) to dbt `--vars`: a pure function, unit-tested.

A run over one release or a range of releases rebuilds exactly those releases in the incremental marts
(macros/releases.sql): {"releases": ["2018-preview", "2018-public"]}.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.releases.discovery import Release


def dbt_vars_for_partitions(partition_keys: Sequence[str]) -> dict[str, list[str]]:
    if not partition_keys:
        raise ValueError("a dbt run of the release assets needs at least one release partition")
    releases = sorted({Release.parse(key) for key in partition_keys}, key=Release.sort_key)
    return {"releases": [r.key for r in releases]}
