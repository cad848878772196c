"""The server warehouse option (issue 8, item 5): the dbt models on a real PostgreSQL server.

A PostgreSQL 15 server (tests/pg_server.py: Debian's binaries, an ICU en-US default collation so that any text
ordering that depended on the database's collation would show) is started for this module. Two DuckDB warehouses are
published to it: the hand-made eligibility releases of test_eligibility (every DA and ESSA rule variant), with a 2023
preview whose DA and ESSA determinations flip in public, and the real CDE 2017/2018 files (the session's
`bundled_warehouse`). The marts must be the same on both databases, row for row.
"""

from __future__ import annotations

import contextlib
import decimal
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.publish.postgres import (
    PostgresError,
    PostgresTarget,
    copy_sources,
    publish_to_postgres,
    run_dbt_build,
    source_tables,
)
from orchestration.publish.publisher import PUBLISHED_MARTS
from orchestration.transform.project import ensure_manifest
from tests.support.builds import instance_with_releases
from tests.support.dagster_servers import free_port
from tests.support.hand_worked import lea, school
from tests.support.pg_server import PASSWORD, USER, PgServer, postgres_server


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    with postgres_server() as server:
        yield server


# ---- the DuckDB warehouses -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_warehouse(hand_worked_warehouse) -> Path:
    """test_eligibility's DA and ESSA cases with the 2023 preview that flips (tests/support/hand_worked.py),
    built once per session; read only here."""
    return hand_worked_warehouse


@pytest.fixture(scope="module")
def published(pg_server, fixture_warehouse, tmp_path_factory):
    """The fixture warehouse published to PostgreSQL (database `fixture`), with what it printed."""
    target = pg_server.create_database("fixture")
    out = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out):
        publication = publish_to_postgres(fixture_warehouse, target,
                                          dbt_target_path=tmp_path_factory.mktemp("dbt_fixture"))
    print(f"published the fixture warehouse to PostgreSQL in {time.monotonic() - started:.1f} s")
    return target, publication, out.getvalue()


# ---- reading both sides ----------------------------------------------------------------------------------------

def _duckdb_rows(path: Path, query: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(query)
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        con.close()


def _pg_rows(target: PostgresTarget, query: str) -> tuple[list[str], list[tuple]]:
    con = target.connect()
    try:
        with con.cursor() as cur:
            cur.execute(query)
            return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def _normalised(value):
    """Lists (DuckDB) and arrays (psycopg2 lists) as tuples, numerics as floats; integers and doubles compare equal
    in Python, so bigint vs integer is no difference; doubles must be equal exactly."""
    if isinstance(value, (list, tuple)):
        return tuple(_normalised(v) for v in value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _sort_key(row: tuple) -> tuple:
    return tuple((0, "") if v is None else (1, v) for v in row)


def _same_rows(warehouse: Path, target: PostgresTarget, table: str, key: list[str]) -> int:
    names, duck = _duckdb_rows(warehouse, f"select * from {table}")
    pg_names, pg = _pg_rows(target, f"select * from {table}")
    assert pg_names == names, f"{table}: columns differ"
    order = [names.index(k) for k in key]

    def ordered(rows):   # ordered by key, then by the whole row (tables whose key is not unique)
        rows = [tuple(_normalised(v) for v in row) for row in rows]
        return sorted(rows, key=lambda r: (_sort_key(tuple(r[i] for i in order)), _sort_key(r)))

    duck, pg = ordered(duck), ordered(pg)
    assert len(pg) == len(duck), f"{table}: {len(pg)} rows on PostgreSQL, {len(duck)} on DuckDB"
    for a, b in zip(duck, pg):
        if a != b:
            differing = {n: (x, y) for n, x, y in zip(names, a, b) if x != y}
            pytest.fail(f"{table}: row {dict(zip(key, (a[i] for i in order)))} differs (DuckDB, PostgreSQL): "
                        f"{differing}")
    return len(duck)


# ---- the tests -------------------------------------------------------------------------------------------------

def test_progress_names_every_source_table_and_its_rows(published, fixture_warehouse):
    _target, publication, printed = published
    tables = source_tables()
    assert {t.table for t in publication.copied} == set(tables) and "raw.title_i_status" in tables
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    try:
        for copied in publication.copied:
            assert copied.rows == con.execute(f"select count(*) from {copied.table}").fetchone()[0]
            assert f"  {copied.table}: {copied.rows:,} rows (" in printed
    finally:
        con.close()
    # raw: 10 stems, 2 reference inputs, CDE's published lists (4 tables)
    assert "copied 17 tables" in printed and "committed" in printed
    assert "OK created sql incremental model marts.fct_indicator_results" in printed
    assert "the same row counts as the DuckDB warehouse" in printed


def test_every_published_mart_has_the_same_row_count(published, fixture_warehouse):
    target, publication, _printed = published
    for table, _scope in PUBLISHED_MARTS:
        _, [(duck,)] = _duckdb_rows(fixture_warehouse, f"select count(*) from {table}")
        _, [(pg,)] = _pg_rows(target, f"select count(*) from {table}")
        assert pg == duck == publication.mart_rows[table], table
    counts = publication.mart_rows
    assert counts["marts.fct_da_eligibility"] > 40 and counts["marts.fct_essa_school_determinations"] > 40
    assert counts["marts.fct_preview_public_determination_flips"] == 3   # the three flips of the 2023 preview


@pytest.mark.parametrize("table,key", [
    ("marts.fct_indicator_results", ["report_year", "stage", "indicator", "cds", "student_group"]),
    ("marts.fct_da_student_group_priorities", ["release_key", "cds", "student_group", "priority_area"]),
    ("marts.fct_da_eligibility", ["report_year", "stage", "cds"]),
    ("marts.fct_essa_school_determinations", ["report_year", "stage", "cds"]),
    ("marts.fct_eligibility_near_misses", ["program", "release_key", "cds", "student_group", "indicator"]),
    ("marts.fct_preview_public_result_changes", ["report_year", "indicator", "cds", "student_group"]),
    ("marts.fct_preview_public_determination_flips", ["program", "report_year", "cds"]),
    ("marts.cde_assistancestatus23", None),   # CDE's column names: keyed on the first column, the CDS code
    ("marts.cde_essaassistance23", None),
])
def test_marts_are_the_same_row_for_row(published, fixture_warehouse, table, key):
    target, _publication, _printed = published
    if key is None:
        key = _duckdb_rows(fixture_warehouse, f"select * from {table} limit 0")[0][:1]
    assert _same_rows(fixture_warehouse, target, table, key) > 0


def test_hand_worked_determinations_read_from_postgres(published):
    target, _publication, _printed = published
    _, [(eligible, status, methods, explanation)] = _pg_rows(target, f"""
        select is_eligible, assistance_status, methods_met, explanation from marts.fct_da_eligibility
        where report_year = 2023 and stage = 'public' and cds = '{lea(1)}'""")
    assert (eligible, status, methods) == (True, "Differentiated Assistance, Year 1", "1")
    assert explanation == "Eligible (Method 1): SWD met P4 (ELA Red + Math Orange), P5 (Chronic Absenteeism Red)"
    # pooled graduation rate 130/200 = 65.0, written as DuckDB writes it ("65.0", not PostgreSQL's "65")
    _, [(essa_status, rate, essa_explanation)] = _pg_rows(target, f"""
        select assistance_status, graduation_entry_rate, explanation from marts.fct_essa_school_determinations
        where report_year = 2023 and stage = 'public' and cds = '{school(8, 800)}'""")
    assert (essa_status, rate) == ("CSI Low Graduation Rate", 65.0)
    assert essa_explanation == ("CSI Low Graduation Rate: graduation rate 65.0% (pooled over 2022, 2023; "
                                "2021 not in the inputs, rate on the years there are), below 68.0%")
    _, flips = _pg_rows(target, """select cds, program, flip, colour_changes
                                   from marts.fct_preview_public_determination_flips""")
    assert sorted(flips) == sorted([
        (lea(31), "da", "no longer identified in public", "chronic SWD: Red -> Orange"),
        (lea(32), "da", "newly identified in public", "susp SWD: Orange -> Red"),
        (school(30, 800), "essa", "newly identified in public",
         "chronic ALL: Yellow -> Red; susp ALL: Yellow -> Red"),
    ])


def test_the_dbt_tests_ran_on_postgres(published):
    target, publication, _printed = published
    manifest = json.loads(ensure_manifest().read_text())
    tests = [n for n in manifest["nodes"] if n.startswith("test.")]
    results = publication.dbt.results
    assert sorted(r["unique_id"] for r in results if r["unique_id"].startswith("test.")) == sorted(tests)
    assert len(tests) > 100 and publication.dbt.counts.get("test pass") == len(tests)
    models = [r for r in results if r["unique_id"].startswith("model.")]
    assert models and all(r["relation_name"].startswith(f'"{target.dbname}".') for r in models)
    tested = [r for r in results if r["unique_id"].startswith("test.")][0]
    assert tested["adapter_response"]["code"] == "SELECT"   # PostgreSQL's command tag (DuckDB answers "OK")


def test_a_broken_row_fails_a_dbt_test_on_postgres_and_a_rerun_replaces_the_copy(pg_server, fixture_warehouse,
                                                                                 tmp_path):
    target = pg_server.create_database("broken")
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        copy_sources(fixture_warehouse, target)
        copy_sources(fixture_warehouse, target)        # rerun: replaces, never appends
    _, [(duck_rows,)] = _duckdb_rows(fixture_warehouse, "select count(*) from raw.chronic")
    _, [(pg_rows,)] = _pg_rows(target, "select count(*) from raw.chronic")
    assert pg_rows == duck_rows > 0
    con = target.connect()
    with con, con.cursor() as cur:                    # a duplicated key row, as a bad re-release would bring
        cur.execute("insert into raw.chronic select * from raw.chronic limit 1")
    con.close()
    with pytest.raises(PostgresError) as failure, contextlib.redirect_stdout(quiet):
        run_dbt_build(target, target_path=tmp_path / "dbt")
    message = str(failure.value)
    assert f"failed on {USER}@127.0.0.1:{pg_server.port}/broken" in message
    assert "test.ca_dashboard.unique_combination_of_columns_stg_dashboard__chronic_release_key__cds__student_group" \
        in message and "(fail)" in message
    assert "FAIL 1 unique_combination_of_columns_stg_dashboard__chronic" in quiet.getvalue()
    # copying again replaces the broken table in place: the row is gone, dbt's views on it are kept
    _, [(views,)] = _pg_rows(target, "select count(*) from pg_views where schemaname = 'staging'")
    with contextlib.redirect_stdout(quiet):
        copy_sources(fixture_warehouse, target)
    assert _pg_rows(target, "select count(*) from raw.chronic")[1] == [(duck_rows,)]
    assert _pg_rows(target, "select count(*) from pg_views where schemaname = 'staging'")[1] == [(views,)] != [(0,)]


def test_the_real_files_through_the_command_line(pg_server, bundled_warehouse, monkeypatch, capsys):
    """`cadash postgres` with the DASHBOARD_PG_* variables, on the real CDE 2017/2018 files: the recomputed levels and
    colours of every result are the same, and 2018's Method 2 gives CDE's 11 LEAs read from PostgreSQL."""
    target = pg_server.create_database("real")
    for name, value in target.environment().items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    code = main(["postgres", "--warehouse", str(bundled_warehouse)])
    output = capsys.readouterr().out
    assert code == 0, output
    print(f"cadash postgres on the real files: {time.monotonic() - started:.1f} s")
    assert "  raw.grad: 25,564 rows (" in output and f"PostgreSQL {target.describe()} is current" in output
    assert _same_rows(bundled_warehouse, target, "marts.fct_indicator_results",
                      ["report_year", "stage", "indicator", "cds", "student_group"]) > 50_000
    assert _same_rows(bundled_warehouse, target, "marts.fct_level_reconciliation",
                      ["release_key", "indicator", "entity_type", "student_group"]) > 0
    _, [(method_2,)] = _pg_rows(target, "select count(*) from marts.fct_da_eligibility "
                                        "where report_year = 2018 and is_method_2_met")
    assert method_2 == 11


def test_an_unreachable_server_is_named(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    port = free_port()   # nothing listens there
    target = PostgresTarget(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname="fixture")
    with pytest.raises(PostgresError) as failure:
        copy_sources(warehouse, target)
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in str(failure.value)
    assert "Connection refused" in str(failure.value)
    assert main(["postgres", "--warehouse", str(warehouse), "--host", "127.0.0.1", "--port", str(port)]) == 1
    assert f"POSTGRES FAILED: cannot connect to PostgreSQL at 127.0.0.1:{port}" in capsys.readouterr().err


def test_the_server_asset_fails_its_run_naming_the_server(tmp_path, monkeypatch):
    """publish/postgres (defined when DASHBOARD_PG_HOST is set) fails the run and says the DuckDB publication stands
    while the server keeps its previous copy; the season test covers its success from the UI."""
    import dagster as dg

    from orchestration.publish.assets import published_postgres

    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    port = free_port()   # nothing listens there
    monkeypatch.setenv("DASHBOARD_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DASHBOARD_PUBLISH_DIR", str(tmp_path / "published"))
    for name, value in PostgresTarget(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                      dbname="fixture").environment().items():
        monkeypatch.setenv(name, value)
    result = dg.materialize([published_postgres], partition_key="2023-public", raise_on_error=False,
                            instance=instance_with_releases("2023-public"))
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"2023-public published to {tmp_path / 'published'}, but the PostgreSQL server was "
                              "not updated (it keeps its previous copy): cannot connect to PostgreSQL at "
                              f"127.0.0.1:{port}")
