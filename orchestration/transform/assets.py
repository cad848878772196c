"""The dbt models, seeds and tests as Dagster assets and asset checks, partitioned by release."""


import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import settings as app_settings
from orchestration.partitions import RELEASES
from orchestration.transform.partition_vars import dbt_vars_for_partitions
from orchestration.transform.project import DBT_PROJECT, MANIFEST, ensure_manifest
from orchestration.transform.run_targets import DBT_ASSETS_NAME
from orchestration.transform.table_metadata import with_progress_and_metadata

QUALITY_MODELS = {"fct_level_reconciliation", "fct_level_disagreements", "int_indicator_results__levels_computed"}


class DashboardTranslator(DagsterDbtTranslator):
    """Groups follow the warehouse layers; sources keep the default key raw/<stem>, the ingest assets' keys.
    The recomputed levels and their reconciliation with CDE's form the *quality* group."""

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return app_settings.ASSET_OWNERS

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props.get("name") in QUALITY_MODELS:
            return "quality"
        fqn = dbt_resource_props.get("fqn", [])
        if "eligibility" in fqn:  # the determinations and their intermediate steps
            return "eligibility"
        if "staging" in fqn or "intermediate" in fqn:
            return "staging"
        return "marts"


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=ensure_manifest(),
    project=DBT_PROJECT,
    dagster_dbt_translator=DashboardTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    partitions_def=RELEASES,
    backfill_policy=dg.BackfillPolicy.single_run(),
    name=DBT_ASSETS_NAME,
)
def dashboard_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    dbt_vars = dbt_vars_for_partitions(context.partition_keys)
    args = ["build", "--vars", json.dumps(dbt_vars)]
    if config.full_refresh:
        args.append("--full-refresh")
    context.log.info(f"dbt {' '.join(args)}")
    # progress per model in the run log, then each model's column schema and row counts (table_metadata.py)
    yield from with_progress_and_metadata(dbt.cli(args, context=context).stream(), context,
                                          app_settings.load().warehouse, MANIFEST, context.partition_keys)
