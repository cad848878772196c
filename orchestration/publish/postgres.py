"""The server warehouse option: the same dbt models on PostgreSQL, for organisations that serve many BI readers from
a database server (`cadash postgres`, docs/postgres.md).

Given a DuckDB warehouse built by `cadash build` and a PostgreSQL database:

1. copy every table dbt reads as a source (the manifest's sources: raw.<stem> and the reference inputs) into the same
   schema and table in PostgreSQL: COPY ... FROM STDIN fed by DuckDB's CSV writer through a pipe (streamed, nothing
   held in memory or on disk), all tables in one transaction that replaces the previous copy (a rerun replaces, a
   failure leaves the previous copy as it was), each table checked against DuckDB's row count and analyzed;
2. run `dbt build --target postgres` (seeds, models, tests) with the project's dbt resource, the one the Dagster
   assets use (dbt_project/profiles.yml's `postgres` output reads DASHBOARD_PG_*);
3. compare the row count of every published mart (publisher.PUBLISHED_MARTS) with the DuckDB warehouse.

The DuckDB warehouse stays the source of truth: its build runs the quality gates (raw and mart suites, the level
reconciliation); PostgreSQL repeats the dbt tests only. DuckDB's postgres extension is not used (extensions cannot be
downloaded here): DuckDB writes CSV into a pipe and psycopg2's copy_expert reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import duckdb
import psycopg2
from psycopg2 import sql

from orchestration.publish.publisher import PUBLISHED_MARTS

ENV = {"host": "DASHBOARD_PG_HOST", "port": "DASHBOARD_PG_PORT", "user": "DASHBOARD_PG_USER",
       "password": "DASHBOARD_PG_PASSWORD", "dbname": "DASHBOARD_PG_DBNAME"}
DBT_TARGET = "postgres"
COPY_CHUNK = 1 << 20

# DuckDB column types of the source tables -> PostgreSQL, spelled as PostgreSQL's format_type() writes them, so that
# a rerun recognises an unchanged table (DECIMAL(p,s) is mapped by pattern)
PG_TYPES = {
    "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer", "BIGINT": "bigint",
    "HUGEINT": "numeric(39,0)", "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)", "FLOAT": "real", "DOUBLE": "double precision", "VARCHAR": "text", "DATE": "date",
    "TIME": "time without time zone", "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}


class PostgresError(RuntimeError):
    """The PostgreSQL path failed; the message says where (connection, table, dbt node)."""


@dataclass(frozen=True)
class PostgresTarget:
    """Where the server warehouse is. Defaults are the dbt profile's; the password may also come from libpq
    (PGPASSWORD, ~/.pgpass), as may TLS settings (PGSSLMODE, ...)."""

    host: str = "localhost"
    port: int = 5432
    user: str = "postgres"
    password: str = field(default="", repr=False)
    dbname: str = "dashboard"

    @classmethod
    def from_env(cls, **overrides) -> PostgresTarget:
        """DASHBOARD_PG_* from the environment, then the overrides that are not None (command-line options)."""
        values = {name: os.environ[var] for name, var in ENV.items() if os.environ.get(var)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "port" in values:
            try:
                values["port"] = int(values["port"])
            except ValueError:
                raise PostgresError(f"the PostgreSQL port must be a number, found {values['port']!r}") from None
        return cls(**values)

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def folder_name(self) -> str:
        """The server database as a folder name: dbt's artifacts for it go there."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", f"{self.host}_{self.port}_{self.dbname}")

    def environment(self) -> dict[str, str]:
        """DASHBOARD_PG_* for this target: what dbt's profile reads."""
        return {ENV[f.name]: str(getattr(self, f.name)) for f in fields(self)}

    def connect(self):
        params = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname,
                  "connect_timeout": 10, "application_name": "cadash postgres"}
        if self.password:
            params["password"] = self.password
        try:
            return psycopg2.connect(**params)
        except psycopg2.OperationalError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise PostgresError(f"cannot connect to PostgreSQL at {self.host}:{self.port} (database {self.dbname}, "
                                f"user {self.user}): {reason}") from None


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The environment variables set while dbt runs (its subprocess inherits them), restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class CopiedTable:
    table: str          # schema.table, the same name in DuckDB and PostgreSQL
    rows: int
    seconds: float


@dataclass(frozen=True)
class DbtBuildResult:
    counts: dict[str, int]      # e.g. {"model success": 98, "test pass": 187, "seed success": 22}
    results: list[dict]         # run_results.json "results"
    seconds: float


@dataclass(frozen=True)
class PostgresPublication:
    target: PostgresTarget
    copied: list[CopiedTable]
    dbt: DbtBuildResult
    mart_rows: dict[str, int]   # schema.table -> rows, equal on both


def source_tables(manifest: Path | None = None) -> list[str]:
    """schema.table of every dbt source, from the project's manifest (made current first)."""
    from orchestration.transform.project import ensure_manifest

    data = json.loads((manifest or ensure_manifest()).read_text())
    return sorted({f"{s['schema']}.{s.get('identifier') or s['name']}" for s in data["sources"].values()})


def _pg_type(duckdb_type: str, table: str, column: str) -> str:
    if duckdb_type in PG_TYPES:
        return PG_TYPES[duckdb_type]
    if duckdb_type.startswith("DECIMAL"):
        return "numeric" + duckdb_type[len("DECIMAL"):].replace(" ", "")
    raise PostgresError(f"{table}.{column}: no PostgreSQL type for DuckDB's {duckdb_type}")


def _duckdb_columns(duck, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    columns = duck.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                           "and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    if not columns:
        raise PostgresError(f"the DuckDB warehouse has no table {table}, which dbt reads as a source: build the "
                            "warehouse first (cadash build)")
    return [(c, _pg_type(t, table, c)) for c, t in columns]


def _pg_columns(cur, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    cur.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute as a "
                "join pg_class as c on c.oid = a.attrelid join pg_namespace as n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relname = %s and c.relkind = 'r' and a.attnum > 0 "
                "and not a.attisdropped order by a.attnum", [schema, name])
    return cur.fetchall()


def _replace_table(cur, table: str, columns: list[tuple[str, str]]) -> None:
    """Empty the table, or make it anew where its columns changed (dbt's views on it are dropped with it and made
    again by the dbt build that follows)."""
    schema, name = table.split(".")
    ident = sql.Identifier(schema, name)
    if _pg_columns(cur, table) == columns:
        cur.execute(sql.SQL("truncate table {}").format(ident))
        return
    cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    cur.execute(sql.SQL("drop table if exists {} cascade").format(ident))
    cur.execute(sql.SQL("create table {} ({})").format(ident, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns)))


def _copy_table(duck, cur, table: str, columns: list[tuple[str, str]]) -> int:
    """Stream the DuckDB table into the PostgreSQL one: DuckDB's COPY TO writes CSV into a pipe from a thread, and
    COPY FROM STDIN reads the other end. NULL is an empty field, an empty string is "" (both sides' CSV rules)."""
    schema, name = table.split(".")
    select = f'select {", ".join(duckdb_ident(c) for c, _ in columns)} from {duckdb_ident(schema)}.{duckdb_ident(name)}'
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def write() -> None:
        try:
            duck.execute(f"copy ({select}) to '/proc/self/fd/{write_end}' (format csv, header false)")
        except BaseException as exc:  # reported after the reader finished
            failure.append(exc)
        finally:
            os.close(write_end)

    writer = threading.Thread(target=write, name=f"duckdb-copy-{table}", daemon=True)
    copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier(schema, name), sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns))
    writer.start()
    try:
        with os.fdopen(read_end, "rb") as pipe:
            try:
                cur.copy_expert(copy.as_string(cur), pipe, size=COPY_CHUNK)
            except psycopg2.Error as exc:
                raise PostgresError(f"COPY into {table} failed: {' '.join(str(exc).split())}") from None
    finally:
        writer.join()  # closing the read end above ends a writer PostgreSQL stopped reading (broken pipe)
    if failure:
        raise PostgresError(f"reading {table} from DuckDB failed: {failure[0]}")
    return cur.rowcount


def duckdb_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_sources(warehouse: Path, target: PostgresTarget, tables: list[str] | None = None,
                 log: Callable[[str], None] = print) -> list[CopiedTable]:
    """Copy the source tables from the DuckDB warehouse into PostgreSQL in one transaction (see the module doc)."""
    tables = tables if tables is not None else source_tables()
    if not Path(warehouse).exists():
        raise PostgresError(f"no DuckDB warehouse at {warehouse}: build it first (cadash build)")
    try:
        duck = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise PostgresError(f"cannot open the DuckDB warehouse {warehouse} read-only (is a build writing it?): "
                            f"{exc}") from None
    copied = []
    try:
        pg = target.connect()
        try:
            log(f"copying {len(tables)} source tables from {warehouse} into PostgreSQL {target.describe()}")
            with pg:  # one transaction: commit at the end, roll back on any error
                with pg.cursor() as cur:
                    for table in tables:
                        started = time.monotonic()
                        columns = _duckdb_columns(duck, table)
                        expected = duck.execute(f"select count(*) from {table}").fetchone()[0]
                        _replace_table(cur, table, columns)
                        rows = _copy_table(duck, cur, table, columns)
                        if rows != expected:
                            raise PostgresError(f"{table}: PostgreSQL received {rows:,} rows, DuckDB has "
                                                f"{expected:,}")
                        cur.execute(sql.SQL("analyze {}").format(sql.Identifier(*table.split("."))))
                        copied.append(CopiedTable(table, rows, time.monotonic() - started))
                        log(f"  {table}: {rows:,} rows ({copied[-1].seconds:.1f} s)")
        finally:
            pg.close()
    finally:
        duck.close()
    log(f"copied {len(copied)} tables, {sum(t.rows for t in copied):,} rows "
        f"({sum(t.seconds for t in copied):.1f} s); committed")
    return copied


def run_dbt_build(target: PostgresTarget, args: list[str] | None = None, target_path: Path | None = None,
                  log: Callable[[str], None] = print) -> DbtBuildResult:
    """`dbt build --target postgres` through the project's dbt resource. Prints each seed and model as it finishes
    and each test that did not pass; raises PostgresError naming every failing node. Artifacts and dbt.log go to
    `target_path` (default dbt_project/target/postgres/<host>_<port>_<dbname>: one folder per server database,
    kept between runs so that dbt parses only what changed, and never shared by two builds for different
    servers that run at once)."""

    from orchestration.settings import DBT_PROJECT_DIR
    from orchestration.transform.project import dbt_resource

    started = time.monotonic()
    dbt = dbt_resource(target=DBT_TARGET)
    command = ["build", *(args or [])]
    log(f"dbt {' '.join(command)} --target {DBT_TARGET} on {target.describe()}")
    errors: list[str] = []
    console = sys.stdout

    def show(line: str) -> None:
        with contextlib.redirect_stdout(console):
            log(line)

    # dagster-dbt echoes every dbt event on stdout; the full log is dbt.log in the invocation's target folder
    with _environment({**target.environment(), "DBT_USE_COLORS": "false"}), open(os.devnull, "w") as sink, \
            contextlib.redirect_stdout(sink):
        path = Path(target_path or DBT_PROJECT_DIR / "target" / DBT_TARGET / target.folder_name())
        (path / "run_results.json").unlink(missing_ok=True)  # a run that fails early must not read the last one's
        invocation = dbt.cli(command, raise_on_error=False, target_path=path)
        for event in invocation.stream_raw_events():
            info = event.raw_event.get("info", {})
            name, message = info.get("name", ""), info.get("msg", "")
            if name in ("LogModelResult", "LogSeedResult", "LogSnapshotResult"):
                show(f"  {message.strip()}")
            elif name == "LogTestResult" and event.raw_event.get("data", {}).get("status") != "pass":
                show(f"  {message.strip()}")
            elif info.get("level") == "error" and message.strip():
                errors.append(" ".join(message.split()))
        invocation.wait()
        try:
            results = invocation.get_artifact("run_results.json").get("results", [])
        except FileNotFoundError:
            results = []
    counts: dict[str, int] = {}
    for result in results:
        key = f"{result['unique_id'].split('.')[0]} {result['status']}"
        counts[key] = counts.get(key, 0) + 1
    outcome = DbtBuildResult(counts, results, time.monotonic() - started)
    failed = [r for r in results if r["status"] in ("error", "fail", "runtime error")]
    if failed or not invocation.is_successful():
        details = [f"{r['unique_id']} ({r['status']}): {' '.join(str(r.get('message') or '').split())[:500]}"
                   for r in failed] or errors[:5] or ["dbt exited with an error"]
        skipped = counts_of(results, "skipped")
        raise PostgresError(f"dbt build --target {DBT_TARGET} failed on {target.describe()}:\n  - "
                            + "\n  - ".join(details)
                            + (f"\n  ({skipped} nodes skipped after the failure)" if skipped else "")
                            + f"\n  (dbt.log in {invocation.target_path})")
    log("dbt build: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + f" ({outcome.seconds:.1f} s)")
    return outcome


def counts_of(results: list[dict], status: str) -> int:
    return sum(1 for r in results if r["status"] == status)


def compare_mart_rows(warehouse: Path, target: PostgresTarget, log: Callable[[str], None] = print) -> dict[str, int]:
    """The row count of every published mart, which must be the same in PostgreSQL as in the DuckDB warehouse."""
    duck = duckdb.connect(str(warehouse), read_only=True)
    pg = target.connect()
    counts, different = {}, []
    try:
        with pg.cursor() as cur:
            for table, _scope in PUBLISHED_MARTS:
                expected = duck.execute(f"select count(*) from {table}").fetchone()[0]
                cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(*table.split("."))))
                rows = cur.fetchone()[0]
                counts[table] = rows
                if rows != expected:
                    different.append(f"{table}: PostgreSQL {rows:,}, DuckDB {expected:,}")
    finally:
        pg.close()
        duck.close()
    if different:
        raise PostgresError("the PostgreSQL marts differ from the DuckDB warehouse's (is the DuckDB build current? "
                            "run cadash build, then cadash postgres again):\n  - " + "\n  - ".join(different))
    log(f"{len(counts)} published marts: the same row counts as the DuckDB warehouse "
        f"(marts.fct_indicator_results {counts.get('marts.fct_indicator_results', 0):,} rows)")
    return counts


def publish_to_postgres(warehouse: Path, target: PostgresTarget, dbt_target_path: Path | None = None,
                        log: Callable[[str], None] = print) -> PostgresPublication:
    """Copy the sources, build and test the models on PostgreSQL, and check the marts' row counts."""
    copied = copy_sources(warehouse, target, log=log)
    outcome = run_dbt_build(target, target_path=dbt_target_path, log=log)
    mart_rows = compare_mart_rows(warehouse, target, log=log)
    return PostgresPublication(target, copied, outcome, mart_rows)
