"""`cadash`: the command-line entry point.

    cadash build [--raw-dir DIR] [--warehouse PATH] [--release 2018-public ...] [--full-refresh]
    cadash releases [--raw-dir DIR]

`build` materializes the same Dagster definitions the UI uses, in-process, one run per block of neighbouring
releases (so dbt runs once per block), prints progress per release and step, and ends with a summary. It exits
non-zero on any failure, with the file, line and column when the input is at fault.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from orchestration import settings as app_settings
from orchestration.releases.discovery import Release, discover_releases
from orchestration.releases.registry import RegistryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_CLASS_PREFIX = re.compile(r"^[\w.]+(Error|Exception): ")


def _apply_overrides(args: argparse.Namespace) -> app_settings.Settings:
    if getattr(args, "raw_dir", None):
        os.environ[app_settings.ENV_RAW_DIR] = str(Path(args.raw_dir).resolve())
    if getattr(args, "warehouse", None):
        os.environ[app_settings.ENV_WAREHOUSE] = str(Path(args.warehouse).resolve())
    config = app_settings.load()
    app_settings.export(config)
    return config


def _error_chain(error) -> list[tuple[str, str]]:
    chain = []
    while error is not None:
        chain.append((error.cls_name or "", error.message.strip()))
        error = error.cause or getattr(error, "context", None)
    return chain


def _explain_failure(result) -> list[str]:
    """The user-facing reasons a Dagster run failed: input errors first, then failed dbt tests."""
    reasons: list[str] = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        chain = _error_chain(event.step_failure_data.error)
        input_errors = [msg for cls, msg in chain if cls in ("RawFileError", "RegistryError")]
        if input_errors:
            reasons.append(_CLASS_PREFIX.sub("", input_errors[0]))
        else:
            reasons.append(f"step {event.step_key} failed: {chain[-1][1].splitlines()[0] if chain else 'unknown error'}")
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            reasons.append(f"check failed: {check.asset_key.to_user_string()} / {check.check_name}")
    return reasons


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _summary(config: app_settings.Settings) -> str:
    import duckdb

    con = duckdb.connect(str(config.warehouse), read_only=True)
    try:
        releases = con.execute(
            "select release_key, file_count, row_count from marts.dim_release order by report_year, stage"
        ).fetchall()
        counts = con.execute(
            "select indicator, report_year, stage, count(*) from marts.fct_indicator_results "
            "group by all order by indicator, report_year, stage"
        ).fetchall()
        total = con.execute("select count(*) from marts.fct_indicator_results").fetchall()[0][0]
    finally:
        con.close()
    lines = ["", "Summary", "-------", f"releases in the warehouse: {len(releases)}"]
    lines += [f"  {key:<14} {files} files, {rows:,} raw rows" for key, files, rows in releases]
    lines.append(f"marts.fct_indicator_results: {total:,} rows")
    lines += [f"  {ind:<8} {year} {stage:<7} {n:>9,}" for ind, year, stage, n in counts]
    lines.append(f"warehouse: {config.warehouse}")
    lines.append("read it (read-only, while no build runs): .venv/bin/python -c \"import duckdb; "
                 f"print(duckdb.connect('{config.warehouse}', read_only=True)"
                 ".sql('from marts.fct_indicator_results limit 5'))\"")
    return "\n".join(lines)


def cmd_releases(args: argparse.Namespace) -> int:
    config = _apply_overrides(args)
    try:
        releases = discover_releases(config.raw_dir)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for release in releases:
        print(release.key)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    config = _apply_overrides(args)
    try:
        found = discover_releases(config.raw_dir)
        wanted = [Release.parse(k) for k in args.release] if args.release else found
    except (RegistryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    missing = [r.key for r in wanted if r not in found]
    if missing:
        print(f"error: no files under {config.raw_dir} for release(s): {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    if not wanted:
        print(f"error: no releases under {config.raw_dir} (expected raw/<year>/<stage>/<file>)", file=sys.stderr)
        return EXIT_USAGE

    from orchestration.definitions import build_definitions
    from orchestration.partitions import contiguous_blocks

    defs = build_definitions(config)
    job = defs.resolve_job_def("build_release")
    instance = _instance()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if args.full_refresh:
        run_config["ops"] = {"dashboard_dbt": {"config": {"full_refresh": True}}}
    blocks = contiguous_blocks([r.key for r in wanted])
    print(f"cadash build: {len(wanted)} release(s) from {config.raw_dir} into {config.warehouse}", flush=True)
    started = time.monotonic()
    for number, (first, last) in enumerate(blocks, start=1):
        label = first if first == last else f"{first} .. {last}"
        print(f"[{number}/{len(blocks)}] {label}: ingest -> dbt build (models and tests)", flush=True)
        tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        result = job.execute_in_process(instance=instance, run_config=run_config, tags=tags, raise_on_error=False)
        if not result.success:
            print(f"\nBUILD FAILED for {label}:", file=sys.stderr)
            for reason in _explain_failure(result) or ["the run failed (see the log above)"]:
                print(f"  - {reason}", file=sys.stderr)
            return EXIT_FAILED
        print(f"[{number}/{len(blocks)}] {label}: done", flush=True)
    print(f"built in {time.monotonic() - started:.1f} s")
    print(_summary(config))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cadash", description="California School Dashboard accountability warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="ingest releases from the raw directory and build the marts")
    build.add_argument("--raw-dir", help="landing zone laid out raw/<year>/<stage>/<file> (env DASHBOARD_RAW_DIR)")
    build.add_argument("--warehouse", help="DuckDB warehouse file (env DASHBOARD_WAREHOUSE)")
    build.add_argument("--release", action="append", metavar="YEAR-STAGE",
                       help="build only this release, e.g. 2018-public (repeatable); default: all found")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental marts from scratch")
    build.set_defaults(func=cmd_build)

    releases = sub.add_parser("releases", help="list the releases found under the raw directory")
    releases.add_argument("--raw-dir")
    releases.set_defaults(func=cmd_releases)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
