"""How the Dagster instance's SQLite storage writes to disk (the default instance under DAGSTER_HOME).

Dagster's SQLite storage opens a connection and commits for every event of a run (each step, log line, asset
materialization and check result), and SQLite syncs every commit to disk: on a disk with slow syncs that is most of
a small build's time (docs/benchmark.md). `relax_sqlite_sync()` sets `PRAGMA synchronous` on every SQLite
connection to a database under DAGSTER_HOME: OFF by default (commits are handed to the operating system without
waiting for the disk). An application crash loses nothing; an operating-system crash or power loss during a run
can damage the run history (never the warehouse, which DuckDB writes, or the publication, switched atomically).
DASHBOARD_DAGSTER_SQLITE_SYNC=FULL (or NORMAL) restores SQLite's own behaviour; a shared deployment should use
Dagster's PostgreSQL storage instead (dagster.yaml).

Called wherever runs write the instance: the CLI before it opens the instance, and the code location's import
(the run workers the daemon launches load it).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

ENV_SQLITE_SYNC = "DASHBOARD_DAGSTER_SQLITE_SYNC"
SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
_registered = False


def sqlite_sync_mode() -> str:
    mode = os.environ.get(ENV_SQLITE_SYNC, "OFF").strip().upper()
    if mode not in SYNC_MODES:
        raise ValueError(f"{ENV_SQLITE_SYNC}={mode!r}: expected one of {', '.join(SYNC_MODES)}")
    return mode


def _under_dagster_home(dbapi_connection: sqlite3.Connection) -> bool:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return False
    files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list") if row[2]]
    root = Path(home).resolve()
    return any(root in Path(name).resolve().parents for name in files)


def _on_connect(dbapi_connection, _connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection) and _under_dagster_home(dbapi_connection):
        dbapi_connection.execute(f"PRAGMA synchronous={sqlite_sync_mode()}")


def relax_sqlite_sync() -> None:
    """Register the connect hook once per process (SQLAlchemy calls it for every new SQLite connection)."""
    global _registered
    if _registered:
        return
    sqlite_sync_mode()  # a bad value fails here, before any run starts
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "connect", _on_connect)
    _registered = True
