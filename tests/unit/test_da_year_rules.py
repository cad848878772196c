"""The DA year rules seed (seeds/eligibility/da_year_rules.csv) records the rules audit's decisions C1, A6 and A7
as data."""

from __future__ import annotations

import csv

from tests.support.builds import REPO


def test_da_year_rules_record_the_audit_decisions():
    """Rules audit C1, A6, A7 as data: charters evaluated from the 2019 Dashboard (C1, decided on CDE's 2019 letter,
    the statute's 2020-21 school year being the year that Dashboard's assistance runs in), not in 2022 (A6), again
    from 2023; county offices not in 2017 (A7). The behaviour is in test_da_status_labels_and_transitions."""
    seed = REPO / "dbt_project" / "seeds" / "eligibility" / "da_year_rules.csv"
    with seed.open(newline="") as handle:
        rows = {int(r["first_year"]): r for r in csv.DictReader(handle)}
    assert {y: (r["charters_evaluated"], r["coes_evaluated"]) for y, r in rows.items()} == {
        2017: ("false", "false"), 2018: ("false", "true"), 2019: ("true", "true"), 2022: ("false", "true"),
        2023: ("true", "true"), 2024: ("true", "true")}
    assert "C1 decided" in rows[2019]["source"] and "A6" in rows[2022]["source"] and "A7" in rows[2017]["source"]
