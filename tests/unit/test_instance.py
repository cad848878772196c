"""The Dagster instance's SQLite files sync as DASHBOARD_DAGSTER_SQLITE_SYNC says (orchestration/instance.py); other
SQLite files keep SQLite's own setting."""

from __future__ import annotations

import pytest
import sqlalchemy

from orchestration.instance import ENV_SQLITE_SYNC, relax_sqlite_sync, sqlite_sync_mode

OFF, NORMAL, FULL = 0, 1, 2     # what PRAGMA synchronous reads back


def _synchronous(path) -> int:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sqlalchemy.text("PRAGMA synchronous")).scalar()
    finally:
        engine.dispose()


def test_instance_files_sync_off_by_default_and_others_keep_full(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_SQLITE_SYNC, raising=False)
    (tmp_path / "home" / "storage").mkdir(parents=True)
    relax_sqlite_sync()
    assert _synchronous(tmp_path / "home" / "storage" / "run.db") == OFF
    assert _synchronous(tmp_path / "elsewhere.db") == FULL


def test_the_setting_restores_syncs_and_a_bad_value_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    relax_sqlite_sync()
    monkeypatch.setenv(ENV_SQLITE_SYNC, "full")
    assert _synchronous(tmp_path / "index.db") == FULL
    monkeypatch.setenv(ENV_SQLITE_SYNC, "NORMAL")
    assert _synchronous(tmp_path / "index.db") == NORMAL
    monkeypatch.setenv(ENV_SQLITE_SYNC, "sometimes")
    with pytest.raises(ValueError, match="DASHBOARD_DAGSTER_SQLITE_SYNC='SOMETIMES': expected one of OFF"):
        sqlite_sync_mode()
