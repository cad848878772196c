"""orchestration/workers.py: per-release work in worker processes, its results in the items' order, each item's error
carried instead of raised, the workers' log lines relayed, and DASHBOARD_WORKERS read and checked."""

from __future__ import annotations

import os

import pytest

from orchestration.workers import ENV_WORKERS, MAX_DEFAULT_WORKERS, run_each, worker_count


def _square_in_its_process(item, log):
    """A module-level function (workers are spawned, so fn is pickled by name)."""
    if item == 3:
        raise ValueError(f"item {item} is bad")
    log(f"item {item} done in process {os.getpid()}")
    return item * item, os.getpid()


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_order_with_each_error_carried(workers):
    lines: list[str] = []
    outcomes = run_each(_square_in_its_process, [1, 2, 3, 4], lines.append, workers=workers)
    assert [o.item for o in outcomes] == [1, 2, 3, 4]
    assert [o.value[0] if o.value else None for o in outcomes] == [1, 4, None, 16]
    assert isinstance(outcomes[2].error, ValueError) and str(outcomes[2].error) == "item 3 is bad"
    assert [o.error for o in outcomes if o.item != 3] == [None, None, None]
    assert [line.split(" in process")[0] for line in lines] == ["item 1 done", "item 2 done", "item 4 done"]
    pids = {o.value[1] for o in outcomes if o.value}
    if workers == 1:
        assert pids == {os.getpid()}               # in the calling process
    else:
        assert os.getpid() not in pids             # in worker processes


def test_the_worker_count(monkeypatch):
    monkeypatch.delenv(ENV_WORKERS, raising=False)
    assert worker_count(14) == min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    assert worker_count(1) == 1                     # one item: no pool
    monkeypatch.setenv(ENV_WORKERS, "3")
    assert worker_count(14) == 3 and worker_count(2) == 2
    monkeypatch.setenv(ENV_WORKERS, "1")
    assert worker_count(14) == 1
    for bad in ("two", "0", "-1"):
        monkeypatch.setenv(ENV_WORKERS, bad)
        with pytest.raises(ValueError, match=f"{ENV_WORKERS}='{bad}'"):
            worker_count(14)
