"""A real PostgreSQL server for the tests (test_postgres, and the season test that publishes to it from the UI).

Debian's PostgreSQL 15 binaries, a throw-away cluster in a temp folder, listening on 127.0.0.1 at a free port with
password authentication. When the tests run as root it runs as the `postgres` system user (postgres refuses root;
Debian's package creates that user). The default collation is ICU en-US, so that any text ordering that depended
on the database's collation would show. No server, no skip: the test fails and says what to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from orchestration.publish.postgres import PostgresTarget
from tests.support.dagster_servers import free_port

USER, PASSWORD = "dashboard", "s3cret pass"
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def _server_bindir() -> Path:
    candidates = []
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if all((folder / name).exists() for name in SERVER_BINARIES):
            return folder
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under "
                "/usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install postgresql; .ci/run "
                "installs it before the tests)")


@dataclass
class PgServer:
    port: int
    bindir: Path
    datadir: Path

    def target(self, dbname: str) -> PostgresTarget:
        return PostgresTarget(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname=dbname)

    def create_database(self, name: str) -> PostgresTarget:
        con = psycopg2.connect(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname="postgres")
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'create database "{name}"')
        con.close()
        return self.target(name)


@contextlib.contextmanager
def postgres_server() -> Iterator[PgServer]:
    """Start a server, yield it, stop it and delete its cluster."""
    bindir = _server_bindir()
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="cadash-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("the tests run as root and there is no `postgres` system user to run the server as: install "
                        "Debian's postgresql package (it creates the user)")
        os.chown(home, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    datadir, password_file, log = home / "data", home / "password", home / "server.log"
    password_file.write_text(PASSWORD + "\n")
    if run_as:
        os.chown(password_file, account.pw_uid, account.pw_gid)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)

    common = [str(bindir / "initdb"), "-D", str(datadir), "-U", USER, f"--pwfile={password_file}", "-E", "UTF8",
              "--auth-local=trust", "--auth-host=scram-sha-256"]
    made = run(*common, "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US")  # linguistic order
    if made.returncode != 0:   # a build without ICU or the C.UTF-8 locale
        shutil.rmtree(datadir, ignore_errors=True)
        made = run(*common, "--locale=C")
    assert made.returncode == 0, f"initdb failed:\n{made.stdout}\n{made.stderr}"
    port = free_port()
    options = (f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off")
    started = run(str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "-o", options,
                  "start")
    if started.returncode != 0:
        tail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(home, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start:\n{started.stdout}\n{started.stderr}\n{tail}")
    try:
        yield PgServer(port, bindir, datadir)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)
