"""The per-command folders dagster-dbt leaves under dbt_project/target/: the newest are kept, the others go once a
day old, and nothing else there is touched."""

from __future__ import annotations

import os

from orchestration.transform.run_targets import DBT_ASSETS_NAME, prune_run_targets

DAY = 24 * 3600


def test_old_run_folders_beyond_the_newest_go_and_the_rest_stays(tmp_path):
    now = 1_800_000_000.0
    ages = {f"{DBT_ASSETS_NAME}-run{i:02d}-abc": i * DAY / 2 for i in range(6)}   # 0, 0.5, 1, 1.5, 2, 2.5 days
    for name, age in ages.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "dbt.log").write_text("x")
        os.utime(tmp_path / name, (now - age, now - age))
    (tmp_path / "manifest.json").write_text("{}")              # dbt's own files and other folders stay
    (tmp_path / "postgres").mkdir()
    os.utime(tmp_path / "postgres", (now - 9 * DAY, now - 9 * DAY))

    removed = prune_run_targets(tmp_path, keep=2, max_age_s=DAY, now=now)
    # the two newest are kept whatever their age; of the rest, those older than a day go (1 day exactly stays)
    assert sorted(p.name for p in removed) == [f"{DBT_ASSETS_NAME}-run0{i}-abc" for i in (3, 4, 5)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{DBT_ASSETS_NAME}-run0{i}-abc" for i in (0, 1, 2)] + ["manifest.json", "postgres"])

    assert prune_run_targets(tmp_path, keep=0, max_age_s=DAY, now=now) == []     # all left are a day old at most
    assert len(prune_run_targets(tmp_path, keep=0, max_age_s=0, now=now + 1)) == 3
