"""What the Dagster UI shows about each dbt model after a run: its progress while dbt builds, then its column
schema, its row count and, for tables keyed by release, the rows of the run's releases.

dbt holds the DuckDB file open (read-write) for the whole `dbt build`, so no other process can read it meanwhile:
dagster-dbt's own `fetch_row_counts()` / `fetch_column_metadata()` would query through a second connection while dbt
runs. Instead the step logs each model as dbt finishes it (the run log's progress: "dbt 12/42 models: ..."), keeps
the events, and once dbt has exited reads the catalog read-only and attaches the standard metadata keys
(`dagster/column_schema`, `dagster/row_count`) to each model's output before handing the events to Dagster. Views
(staging, intermediate) get their schema but no row count: counting a view would run its query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

import dagster as dg
import duckdb

# the standard metadata keys the UI renders (a schema table and a row-count plot)
COLUMN_SCHEMA = "dagster/column_schema"
ROW_COUNT = "dagster/row_count"


def relations_from_manifest(manifest_path: Path) -> dict[str, tuple[str, str, str]]:
    """unique_id -> (schema, relation name, materialization) for every model and seed of the dbt manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    return {
        uid: (node["schema"], node.get("alias") or node["name"], node["config"].get("materialized", "view"))
        for uid, node in nodes.items() if node["resource_type"] in ("model", "seed")
    }


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, name: str, materialized: str,
                   releases: Iterable[str]) -> dict:
    """The column schema, and for tables the row count (all releases) and the rows of `releases`."""
    columns = con.execute(
        "select column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    if not columns:
        return {}
    metadata: dict = {COLUMN_SCHEMA: dg.TableSchema(columns=[
        dg.TableColumn(name=column, type=data_type.lower(),
                       constraints=dg.TableColumnConstraints(nullable=nullable == "YES"))
        for column, data_type, nullable in columns])}
    if materialized in ("table", "incremental", "seed"):
        relation = f'"{schema}"."{name}"'
        metadata[ROW_COUNT] = dg.MetadataValue.int(con.execute(f"select count(*) from {relation}").fetchone()[0])
        releases = sorted(releases)
        if releases and any(column == "release_key" for column, _type, _null in columns):
            marks = ", ".join("?" for _ in releases)
            counts = dict(con.execute(f"select release_key, count(*) from {relation} where release_key in "
                                      f"({marks}) group by release_key", releases).fetchall())
            metadata["rows_by_release"] = dg.MetadataValue.json({key: counts.get(key, 0) for key in releases})
    return metadata


def with_progress_and_metadata(events: Iterable, context: dg.AssetExecutionContext, warehouse: Path,
                               manifest_path: Path, releases: Iterable[str]) -> Iterator:
    """Log progress as dbt finishes each model, then yield the run's events with each output's table metadata."""
    relations = relations_from_manifest(manifest_path)
    selected = sum(1 for key in context.selected_asset_keys if key.path[0] != "raw")
    held: list = []
    built = 0
    for event in events:
        held.append(event)
        if isinstance(event, (dg.Output, dg.AssetMaterialization)):
            built += 1
            unique_id = (event.metadata or {}).get("unique_id")
            name = getattr(unique_id, "value", unique_id) or str(event)
            context.log.info(f"dbt {built}/{selected} models and seeds built: {name}")
    releases = list(releases)
    with closing(duckdb.connect(str(warehouse), read_only=True)) as con:
        for event in held:
            unique_id = getattr((getattr(event, "metadata", None) or {}).get("unique_id"), "value", None)
            if isinstance(event, dg.Output) and unique_id in relations:
                extra = table_metadata(con, *relations[unique_id], releases)
                if extra:
                    event = event.with_metadata({**event.metadata, **extra})
            yield event
    context.log.info(f"dbt: {built} models and seeds built; their column schemas and row counts are attached")

