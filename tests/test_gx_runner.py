"""The GX runner (issue 7, first part): suites committed as JSON pass on a real build and really fail on bad rows,
naming the expectation and a sample of the bad values."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.quality.gx_runner import EXPECTATIONS_DIR, load_suite, validate_frame, validate_table

SUITES = sorted((EXPECTATIONS_DIR / "marts").glob("*.json"))


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_suites_pass_on_the_real_build(bundled_warehouse, path):
    result = validate_table(bundled_warehouse, load_suite(path))
    assert result.rows > 0
    assert result.success, [(f.expectation, f.column, f.sample) for f in result.failures]


def test_a_bad_code_and_a_duplicate_key_really_fail(bundled_warehouse):
    suite = load_suite(EXPECTATIONS_DIR / "marts" / "fct_da_eligibility.json")
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    try:
        frame = con.execute("select * from marts.fct_da_eligibility").df()
    finally:
        con.close()
    frame.loc[0, "assistance_status"] = "Intensive Assistance"
    frame = pd.concat([frame, frame.iloc[[1]]], ignore_index=True)   # the same LEA and release twice
    result = validate_frame(frame, suite)
    assert not result.success
    failed = {(f.expectation, f.column): f for f in result.failures}
    assert failed[("expect_column_values_to_be_in_set", "assistance_status")].sample == ["Intensive Assistance"]
    assert failed[("expect_column_values_to_be_in_set", "assistance_status")].unexpected_count == 1
    assert ("expect_compound_columns_to_be_unique", None) in failed
    assert len(result.failures) == 2
