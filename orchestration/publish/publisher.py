"""Atomic publication of one release for BI readers: Parquet per published mart, a DuckDB snapshot holding the same
tables, and manifest.json (row counts, sha256 of every file, code and dependency versions, build time, and the
digest of the inputs it was built from).

The publication folder's layout (versions, links, `latest`) and its atomic switch belong to store.py: a reader sees
the previous publication or the new one, never a mix, and a failure before the switch leaves the previous one byte
for byte as it was. The snapshot holds tables only: DuckDB views remember the catalog name of the file they were
made in, so a copied or renamed file would break them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.ingest.loader import file_sha256
from orchestration.publish.store import MANIFEST, StagingFailed, SwitchFailed, VersionedDir
from orchestration.releases.digest import dependency_versions
from orchestration.releases.discovery import Release

# Each published mart with its scope in a release's folder: `release` (the release's rows), `vocabulary` (the whole
# table: seeds, the same in every release), `year` (the rows of the release's report year: the preview -> public
# diff), `layout` (CDE's list layout of the year its name ends with: whole in that year's folders, empty in the
# others). So a folder holds only what its release and the years before it decide (releases/digest.py).
PUBLISHED_MARTS: tuple[tuple[str, str], ...] = (
    ("marts.fct_indicator_results", "release"),
    ("marts.dim_entity", "release"),
    ("marts.dim_release", "release"),
    ("marts.dim_student_group", "vocabulary"),
    ("marts.dim_indicator", "vocabulary"),
    ("marts.fct_level_reconciliation", "release"),
    ("marts.fct_da_student_group_priorities", "release"),
    ("marts.fct_da_eligibility", "release"),
    ("marts.fct_essa_school_determinations", "release"),
    ("marts.fct_eligibility_near_misses", "release"),
    # what changed between the year's preview and public release (issue 8), when both are in the warehouse
    ("marts.fct_preview_public_result_changes", "year"),
    ("marts.fct_preview_public_determination_flips", "year"),
    # CDE's published-list layouts (views in the warehouse, tables in the snapshot), one per list year
    *((f"marts.cde_assistancestatus{yy}", "layout") for yy in (19, 22, 23, 24, 25)),
    *((f"marts.cde_essaassistance{yy}", "layout") for yy in (22, 23, 24, 25)),
)


def scope_filter(table: str, scope: str, release: str) -> tuple[str, dict]:
    """The where clause (and its parameters) that selects a mart's rows for the folder of `release`."""
    parsed = Release.parse(release)
    if scope == "release":
        return "where release_key = $release", {"release": release}
    if scope == "year":
        return "where report_year = $year", {"year": parsed.report_year}
    if scope == "layout":
        return ("" if 2000 + int(table[-2:]) == parsed.report_year else "where false"), {}
    if scope == "vocabulary":
        return "", {}
    raise ValueError(f"{table}: unknown publication scope {scope!r}")


PUBLISH_MEMORY = "400MB"


class PublishError(RuntimeError):
    """Publication failed; the previous publication is unchanged."""


@dataclass(frozen=True)
class Publication:
    release: str
    path: Path              # the version directory the release link now points to
    manifest: dict


def code_version(repo: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"


def _existing_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = $c"
        " union all select schema_name, view_name from duckdb_views() where database_name = $c", {"c": catalog}
    ).fetchall()}


def publish_release(warehouse: Path, publish_dir: Path, release: str, repo: Path,
                    log=print, inputs_digest: str | None = None) -> Publication:
    """Write the release's published marts to a staging directory, then switch `publish_dir/<release>` to it
    (store.VersionedDir owns the folder's layout; it refuses a malformed key before anything is written).
    `inputs_digest` (releases/digest.py) goes into the manifest: what the publication was built from."""
    publications = VersionedDir.publications(publish_dir)
    try:
        version_dir, manifest = publications.replace(
            release, lambda staging: write_publication(warehouse, staging, release, repo, log, inputs_digest))
    except StagingFailed as exc:
        raise PublishError(f"publishing {release} to {publications.root} failed, the previous publication is "
                           f"unchanged: {exc}") from exc.__cause__
    except SwitchFailed as exc:
        raise PublishError(f"switching {publications.path(release)} to the new publication failed, the previous "
                           f"one is unchanged: {exc}") from exc.__cause__
    log(f"published {release}: {version_dir}")
    return Publication(release, version_dir, manifest)


def write_publication(warehouse: Path, out: Path, release: str, repo: Path, log,
                      inputs_digest: str | None = None) -> dict:
    files = []
    snapshot = out / "snapshot.duckdb"
    # an in-memory session attaches the warehouse read-only and the new snapshot read-write (a read-only
    # connection could not create the snapshot)
    # bounded: it runs in the Dagster process after the checks (measured: 865 MB -> 570 MB for a statewide release);
    # rows in any order: DuckDB then writes the Parquet files and the snapshot's tables on every thread (measured
    # for a statewide release: 4.4 s -> 2.5 s; no reader relies on the files' row order)
    con = duckdb.connect(config={"memory_limit": PUBLISH_MEMORY, "preserve_insertion_order": False})
    try:
        # attached under its own file stem: the warehouse's views name that catalog (dbt-duckdb binds it)
        catalog = warehouse.stem
        wh = '"' + catalog.replace('"', '""') + '"'
        con.execute(f"attach '{warehouse}' as {wh} (read_only)")
        present = _existing_tables(con, catalog)
        missing = [t for t, _ in PUBLISHED_MARTS if t not in present]
        if missing:
            raise PublishError(f"the warehouse {warehouse} has no {', '.join(missing)}: build it first")
        released = con.execute(f"select count(*) from {wh}.marts.dim_release where release_key = ?",
                               [release]).fetchall()
        if released[0][0] == 0:
            raise PublishError(f"release {release} is not in {warehouse}")
        snap = "publication_snapshot" if catalog != "publication_snapshot" else "publication_snapshot_2"
        con.execute(f"attach '{snapshot}' as {snap}")
        con.execute(f"create schema {snap}.marts")
        for table, scope in PUBLISHED_MARTS:
            name = table.split(".")[1]
            where, params = scope_filter(table, scope, release)
            select = f"select * from {wh}.{table} {where}"
            parquet = out / f"{name}.parquet"
            # the warehouse is read once per table: the Parquet file straight from the query, then the snapshot
            # table from the Parquet file
            con.execute(f"copy ({select}) to '{parquet}' (format parquet, compression zstd)", params)
            con.execute(f"create table {snap}.marts.{name} as select * from read_parquet($parquet)",
                        {"parquet": str(parquet)})
            count = con.execute(f"select count(*) from {snap}.marts.{name}").fetchall()[0][0]
            files.append({"table": table, "file": parquet.name, "rows": count, "bytes": parquet.stat().st_size,
                          "sha256": file_sha256(parquet)})
            log(f"  {release}: {table} -> {parquet.name} ({count:,} rows)")
        con.execute(f"detach {snap}")
    finally:
        con.close()
    manifest = {
        "release": release,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": str(warehouse),
        "code_version": code_version(repo),
        "dependencies": dependency_versions(),
        "inputs_digest": inputs_digest,
        "files": files,
        "snapshot": {"file": snapshot.name, "bytes": snapshot.stat().st_size, "sha256": file_sha256(snapshot),
                     "tables": [t for t, _ in PUBLISHED_MARTS]},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for path in out.iterdir():  # on disk before the switch makes it visible
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    return manifest
