"""The real Dagster webserver (and daemon) on localhost for the UI tests: started with workspace.yaml and a
temporary DAGSTER_HOME holding the repository's dagster.yaml, queried through the GraphQL API the UI itself reads."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestration import settings as app_settings

REPO = app_settings.REPO_ROOT
LOCATION = "ca_dashboard"
REPOSITORY = "__repository__"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:   # GraphQL validation errors come back as HTTP 400/500 with a body
        raise AssertionError(f"GraphQL {exc.code}: {exc.read().decode(errors='replace')[:2000]}") from None
    assert "errors" not in payload, payload.get("errors")
    return payload["data"]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_for_location(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    query = ("{ workspaceOrError { ... on Workspace { locationEntries { name "
             "locationOrLoadError { __typename ... on PythonError { message } } } } } }")
    while True:
        try:
            entries = graphql(port, query)["workspaceOrError"]["locationEntries"]
            state = entries[0]["locationOrLoadError"] if entries else None
            if state and state["__typename"] == "RepositoryLocation":
                return
            if state and state["__typename"] == "PythonError":
                pytest.fail(f"the code location failed to load: {state['message']}")
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail("the webserver did not come up: " + log.read_text(errors="replace")[-2000:])
        time.sleep(1)


@contextmanager
def dagster_servers(home: Path, env: dict[str, str], daemon: bool = False):
    """Yield the webserver's port; with daemon=True also run dagster-daemon (schedules, sensors, the run queue)."""
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    environment = {**os.environ, "DAGSTER_HOME": str(home), **env}
    binaries = Path(sys.executable).parent
    port = free_port()
    procs = []
    try:
        log = home / "webserver.log"
        procs.append(subprocess.Popen(
            [str(binaries / "dagster-webserver"), "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p",
             str(port)], cwd=REPO, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True))
        _wait_for_location(port, procs[0], log)
        if daemon:
            procs.append(subprocess.Popen(
                [str(binaries / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")], cwd=REPO,
                env=environment, stdout=(home / "daemon.log").open("w"), stderr=subprocess.STDOUT,
                start_new_session=True))
        yield port
    finally:
        for proc in reversed(procs):
            _stop(proc)
