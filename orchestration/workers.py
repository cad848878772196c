"""Per-release work that needs nothing from the other releases, run in worker processes: the reports of a build's
releases (pure-Python page rendering, one core each; docs/benchmark.md has the figures).

DASHBOARD_WORKERS sets how many processes (default: the machine's cores, at most MAX_DEFAULT_WORKERS, since each
report worker holds about 0.3 GB at the state's size); 1 runs everything in the calling process, as does a single
item. Workers are started with `spawn`: the Dagster run process has threads (DuckDB, Dagster's own), and a forked
copy of a threaded process may inherit a held lock. As always with `spawn`, a script that calls this must guard its
top level with `if __name__ == "__main__":` (the cadash and dagster commands do).

A worker's log lines are relayed to the caller's log when its item is done (a worker has no handle on Dagster's
log), so progress shows per item. Results come back in the items' order, each with its error if it raised: the
caller decides what a failure means for the others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

ENV_WORKERS = "DASHBOARD_WORKERS"
MAX_DEFAULT_WORKERS = 2

T = TypeVar("T")


def worker_count(items: int) -> int:
    """How many processes serve `items` items: DASHBOARD_WORKERS, else the cores (at most MAX_DEFAULT_WORKERS),
    never more than the items."""
    value = os.environ.get(ENV_WORKERS, "").strip()
    if value:
        try:
            wanted = int(value)
        except ValueError:
            raise ValueError(f"{ENV_WORKERS}={value!r}: expected a whole number of worker processes") from None
        if wanted < 1:
            raise ValueError(f"{ENV_WORKERS}={value!r}: expected at least 1 worker process")
    else:
        wanted = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    return max(1, min(wanted, items))


@dataclass(frozen=True)
class Outcome:
    item: Any
    value: Any = None
    error: BaseException | None = None


def _in_worker(fn: Callable[..., T], item: Any) -> tuple[list[str], T | None, BaseException | None]:
    lines: list[str] = []
    try:
        return lines, fn(item, lines.append), None
    except Exception as exc:    # returned, not raised: the lines logged before it still reach the caller
        return lines, None, exc


def run_each(fn: Callable[[Any, Callable[[str], None]], T], items: Sequence, log: Callable[[str], None],
             workers: int | None = None) -> list[Outcome]:
    """fn(item, log) for every item, in `workers` processes (default worker_count); fn must be a module-level
    function and its items, values and errors picklable. Never raises what fn raised: each Outcome carries it."""
    workers = worker_count(len(items)) if workers is None else max(1, min(workers, len(items)))
    if workers == 1:
        outcomes = []
        for item in items:
            try:
                outcomes.append(Outcome(item, fn(item, log)))
            except Exception as exc:
                outcomes.append(Outcome(item, error=exc))
        return outcomes
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_in_worker, fn, item) for item in items]
        outcomes = []
        for item, future in zip(items, futures):
            lines, value, error = future.result()
            for line in lines:
                log(line)
            outcomes.append(Outcome(item, value, error))
        return outcomes
