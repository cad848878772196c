"""`cadash`: the command-line entry point.

    cadash build [--raw-dir DIR] [--warehouse PATH] [--publish-dir DIR] [--release 2018-public ...] [--full-refresh]
                 [--force] [--timings FILE]
    cadash generate [--out DIR] [--seed N] [--scale F] [--years 2018,2019] [--stems grad,susp] [--if-missing]
    cadash bench [--scales 1,2,4] [--work DIR] [--seed N]
    cadash releases [--raw-dir DIR]
    cadash layouts [--stem S] [--year Y] [--format text|markdown]
    cadash report [--publish-dir DIR] [--release 2018-public ...]
    cadash postgres [--warehouse PATH] [--host H] [--port N] [--user U] [--dbname D]   (password: DASHBOARD_PG_PASSWORD)

`build` materializes the same Dagster definitions the UI uses, in-process, one run per block of neighbouring
releases (so dbt runs once per block): ingest behind the raw suites, dbt build, the mart suites and the
reconciliation check, then publication. It prints progress per release and step and ends with a summary. It exits
non-zero on any failure (with the file, line and column when the input is at fault, or the failed expectations and
sample rows), and when a run ends without publishing its releases. Without --release, a release whose inputs
digest (releases/digest.py) is the one its publication and report were built from is not rebuilt: a second build
of an unchanged raw dir does nothing and leaves the publication byte for byte as it was (--force rebuilds).
One build at a time per warehouse (a lock).
Warnings that do not stop a build (a column the registry does not know, kept; an optional column absent; recomputed
levels that differ from CDE's on CDE's files; a folder in the raw dir that is not a release) are printed in the
summary.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from orchestration import settings as app_settings
from orchestration import vocabulary
from orchestration.publish.store import unwritable_reason
from orchestration.releases.discovery import Release, discover_releases, raw_dir_warnings, release_files
from orchestration.releases.registry import RegistryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_CLASS_PREFIX = re.compile(r"^[\w.]+(Error|Exception): ")


def _apply_overrides(args: argparse.Namespace) -> app_settings.Settings:
    if getattr(args, "raw_dir", None):
        os.environ[app_settings.ENV_RAW_DIR] = str(Path(args.raw_dir).resolve())
    if getattr(args, "warehouse", None):
        os.environ[app_settings.ENV_WAREHOUSE] = str(Path(args.warehouse).resolve())
    if getattr(args, "publish_dir", None):
        os.environ[app_settings.ENV_PUBLISH_DIR] = str(Path(args.publish_dir).resolve())
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
    """The user-facing reasons a Dagster run failed: input errors first, then failed checks (dbt tests, suites)."""
    from orchestration.quality.gx_runner import describe_failure

    reasons: list[str] = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        chain = _error_chain(event.step_failure_data.error)
        input_errors = [msg for cls, msg in chain if cls in ("RawFileError", "RegistryError")]
        if input_errors:
            reasons.append(_CLASS_PREFIX.sub("", input_errors[0]))
        else:
            first_line = chain[-1][1].splitlines()[0] if chain else "unknown error"
            reasons.append(f"step {event.step_key} failed: {first_line}")
    for check in result.get_asset_check_evaluations():
        if not check.passed and check.severity.value == "WARN":
            reasons.append(f"warning (did not stop the build): {check.asset_key.to_user_string()} / "
                           f"{check.check_name}")
        elif not check.passed:
            reasons.append(f"check failed: {check.asset_key.to_user_string()} / {check.check_name}")
            failures = check.metadata.get("failures")
            reasons += [f"    {describe_failure(f)}" for f in (failures.value if failures is not None else [])[:5]]
    return reasons


def _warnings(result) -> list[str]:
    """What a successful run wants the user to read: header differences of the files loaded (metadata of the raw
    assets) and checks that failed with severity WARN (the level reconciliation on CDE's files)."""
    from orchestration.ingest.assets import LAYOUT_WARNINGS

    out: list[str] = []
    for event in result.get_asset_materialization_events():
        entry = event.materialization.metadata.get(LAYOUT_WARNINGS)
        out += [w for w in (entry.value if entry is not None else []) if w not in out]
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        meta = {k: v.value for k, v in check.metadata.items()}
        detail = "; ".join(str(x) for x in (meta.get("below_threshold") or []) + (meta.get("without_threshold") or []))
        if "disagreeing_rows" in meta:
            detail = f"{meta['disagreeing_rows']:,} row(s) differ (marts.fct_level_disagreements)"
        out.append(f"check {check.asset_key.to_user_string()} / {check.check_name} ({check.severity.value}): "
                   f"{check.description or 'failed'}" + (f": {detail}" if detail else ""))
    return out


def _published(result) -> set[str]:
    """The releases the run's publish step materialized (a skipped step publishes nothing)."""
    from orchestration.publish.assets import PUBLISHED_RELEASE

    keys: set[str] = set()
    for event in result.get_asset_materialization_events():
        if event.asset_key == PUBLISHED_RELEASE:
            releases = event.materialization.metadata.get("releases")
            keys.update(releases.value if releases is not None else [])
    return keys


@contextlib.contextmanager
def build_lock(warehouse: Path):
    """One build at a time per warehouse: an exclusive lock on <warehouse>.lock, released when the process ends
    (also when it is killed, so a kill -9 leaves no stale lock)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    path = warehouse.with_name(warehouse.name + ".lock")
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BuildLockedError(f"another build is running on {warehouse} ({holder}); nothing was changed. "
                               "Wait for it to finish, or stop it and build again") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class BuildLockedError(RuntimeError):
    pass


def _instance():
    import dagster as dg

    from orchestration.instance import relax_sqlite_sync

    relax_sqlite_sync()
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
            "select release_key, indicator, count(*) from marts.fct_indicator_results group by all"
        ).fetchall()
        total = con.execute("select count(*) from marts.fct_indicator_results").fetchall()[0][0]
        da = dict((r[0], r[1:]) for r in con.execute(
            "select release_key, count(*) filter (where is_eligible), count(*) from marts.fct_da_eligibility "
            "group by all").fetchall())
        essa = dict((r[0], r[1:]) for r in con.execute(
            "select release_key, count(*) filter (where assistance_status like 'CSI%'), "
            "count(*) filter (where assistance_status = 'ATSI'), count(*) filter (where assistance_status = 'TSI'), "
            "count(*) from marts.fct_essa_school_determinations group by all").fetchall())
        try:   # CDE's published lists, when some are under <raw dir>/reference/
            lists = con.execute(
                "select program, report_year, rows_compared, agreements, both_identify, misses_on_complete_inputs, "
                "misses_explained_by_partial_inputs from marts.fct_cde_list_reconciliation_summary order by all"
            ).fetchall()
        except duckdb.CatalogException:
            lists = []
    finally:
        con.close()
    by_release: dict[str, dict[str, int]] = {}
    for key, indicator, n in counts:
        by_release.setdefault(key, {})[indicator] = n
    indicators = vocabulary.indicators()
    lines = ["", f"Summary: {len(releases)} release(s); marts.fct_indicator_results has {total:,} rows",
             f"  {'release':<13} {'files':>5} " + " ".join(f"{i:>9}" for i in indicators)
             + "   DA eligible / LEAs   ESSA CSI / ATSI / TSI / schools"]
    for key, files, _rows in releases:
        row = by_release.get(key, {})
        eligible, leas = da.get(key, (0, 0))
        csi, atsi, tsi, schools = essa.get(key, (0, 0, 0, 0))
        lines.append(f"  {key:<13} {files:>5} " + " ".join(f"{row.get(i, 0):>9,}" for i in indicators)
                     + f"   {eligible:>6,} / {leas:<9,}   "
                     + (f"{csi:,} / {atsi:,} / {tsi:,} / {schools:,}" if schools else "-"))
    lines.append("determinations: marts.fct_da_eligibility, marts.fct_essa_school_determinations (with their "
                 "explanation), marts.fct_eligibility_near_misses, CDE layouts marts.cde_assistancestatusYY / "
                 "marts.cde_essaassistanceYY")
    if lists:
        lines.append("CDE's lists (marts.fct_cde_list_reconciliation_summary; per LEA and school: "
                     "marts.fct_cde_da_list_reconciliation, marts.fct_cde_essa_list_reconciliation):")
        lines += [f"  {program} {year}: {compared:,} compared, {agree:,} agree ({both:,} both identify), {misses:,} "
                  f"misses on complete inputs, {explained:,} explained by partial inputs"
                  for program, year, compared, agree, both, misses, explained in lists]
    lines.append(f"published (what BI tools read): {config.publish_dir}/<release>/ and {config.publish_dir}/latest "
                 "-> newest public release; Parquet per mart, snapshot.duckdb, manifest.json")
    lines.append(f"report (open in a browser): {config.publish_dir}/reports/<release>/index.html, "
                 f"{config.publish_dir}/reports/latest/index.html; `cadash report` rebuilds it")
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
    for line in raw_dir_warnings(config.raw_dir):
        print(f"warning: {line}", file=sys.stderr)
    if not releases:
        print(f"no releases under {config.raw_dir} (expected <dir>/<year>/<preview|public>/<CDE file>)",
              file=sys.stderr)
    for release in releases:
        print(release.key)
    return EXIT_OK


def cmd_layouts(args: argparse.Namespace) -> int:
    """The registry's layouts and how each is known: verified against a real header, secondary source, inferred."""
    from orchestration.releases.registry import layout_table

    rows = [r for r in layout_table() if (not args.stem or r["stem"] == args.stem)
            and (not args.year or r["year"] == str(args.year))]
    if not rows:
        print("error: no layout matches", file=sys.stderr)
        return EXIT_USAGE
    if args.write:
        Path(args.write).write_text(layouts_doc(), encoding="utf-8")
        print(f"wrote {args.write}")
        return EXIT_OK
    print(format_layout_table(rows, args.format))
    return EXIT_OK


LAYOUTS_DOC_INTRO = """# Research-file layouts: how each is known

Generated from the registry (`orchestration/releases/layouts/`) by
`.venv/bin/cadash layouts --write docs/layouts.md`; a test fails when this page and the registry disagree.

- **verified**: the header is, byte for byte, the first line of a real, unmodified CDE file (the source names the
  repository, path and commit; copies in `tests/fixtures/real_headers/`).
- **secondary**: known from a CDE record-layout page or from other people's loaders and select lists: good on the
  column set, weaker on order, and such a list may leave columns out.
- **inferred**: no source; the layout copies the real year named.

Files are read by column name, so a file whose columns come in another order than its layout's header file is no
error; `needed` counts the columns a file of that layout must have (the rest may be absent, with a warning).

"""


def layouts_doc() -> str:
    from orchestration.releases.registry import layout_table

    return LAYOUTS_DOC_INTRO + format_layout_table(layout_table(), "markdown") + "\n"


def format_layout_table(rows: list[dict[str, str]], fmt: str = "text") -> str:
    cols = ("stem", "year", "variant", "file", "columns", "needed", "provenance")
    if fmt == "markdown":
        lines = ["| " + " | ".join(cols + ("source",)) + " |", "|" + "---|" * (len(cols) + 1)]
        lines += ["| " + " | ".join(r[c] if c != "file" else f"`{r[c]}`" for c in cols + ("source",)) + " |"
                  for r in rows]
        return "\n".join(lines)
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(width[c]) for c in cols)]
    lines += ["  ".join(r[c].ljust(width[c]) for c in cols) for r in rows]
    counts = {p: sum(r["provenance"].startswith(p) for r in rows) for p in ("verified", "secondary", "inferred")}
    lines.append(f"{len(rows)} layouts: " + ", ".join(f"{n} {p}" for p, n in counts.items())
                 + " (verified = the header of a real CDE file; secondary = a CDE layout page or others' loaders; "
                 "inferred = no source, copied from the year named). Sources: orchestration/releases/layouts/"
                 "layouts.csv")
    return "\n".join(lines)


class _Refused(Exception):
    """A build refused before anything starts: the message (printed after `error: `) and the exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def _build_preflight(args: argparse.Namespace, config: app_settings.Settings) -> tuple[list[Release], list[Release]]:
    """The releases found and wanted, once every check a build can make in a second has passed; else _Refused."""
    try:
        found = discover_releases(config.raw_dir)
        wanted = [Release.parse(k) for k in args.release] if args.release else found
    except (RegistryError, ValueError) as exc:
        raise _Refused(f"{exc}.{_missing_raw_dir_hint(config) if not config.raw_dir.exists() else ''}") from None
    unusable = _unusable_warehouse(config.warehouse)
    if unusable:
        raise _Refused(f"the warehouse {config.warehouse} {unusable}; give a DuckDB file path with --warehouse (or "
                       f"{app_settings.ENV_WAREHOUSE}); nothing was built")
    if args.full_refresh and args.release:
        raise _Refused("--full-refresh rebuilds the incremental marts from scratch with every release; it cannot be "
                       "combined with --release (that would leave only the named releases)")
    missing = [r.key for r in wanted if r not in found]
    if missing:
        raise _Refused(f"no files under {config.raw_dir} for release(s): {', '.join(missing)}")
    try:  # every file of every wanted release is placed by the registry before any run starts
        for release in wanted:
            release_files(config.raw_dir, release)
    except RegistryError as exc:
        raise _Refused(f"{exc}; nothing was built", EXIT_FAILED) from None
    if not wanted:
        hint = " Run `cadash generate` for the statewide synthetic releases" if \
            config.raw_dir == app_settings.GENERATED_RAW_DIR else ""
        raise _Refused(f"no releases under {config.raw_dir} (expected <dir>/<year>/<stage>/<file>).{hint}")
    unwritable = unwritable_reason(config.publish_dir)
    if unwritable:
        raise _Refused(f"cannot publish to {config.publish_dir}: {unwritable}; nothing was built, the previous "
                       "publication is unchanged", EXIT_FAILED)
    return found, wanted


def cmd_build(args: argparse.Namespace) -> int:
    config = _apply_overrides(args)
    try:
        found, wanted = _build_preflight(args, config)
    except _Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return refused.code

    if not args.release and not args.force and not args.full_refresh:   # what changed, by content
        wanted = _changed_releases(config, found, wanted)
        if not wanted:
            print(f"cadash build: nothing changed since the last build of the {len(found)} release(s) under "
                  f"{config.raw_dir} (their files, the reference inputs, the code and the rules are those their "
                  f"publication and report were built from): nothing rebuilt, {config.publish_dir} untouched. "
                  "`--force` rebuilds anyway.")
            print(_summary(config))
            _write_timings(args.timings, [])
            return EXIT_OK

    from orchestration.definitions import build_definitions
    from orchestration.partitions import contiguous_blocks, sync_release_partitions

    defs = build_definitions(config)
    job = defs.resolve_job_def("build_release")
    instance = _instance()
    order = sync_release_partitions(instance, [r.key for r in found])   # the partitions: the releases present
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if args.full_refresh:
        run_config["ops"] = {"dashboard_dbt": {"config": {"full_refresh": True}}}
    blocks = contiguous_blocks([r.key for r in wanted], order)
    try:
        with build_lock(config.warehouse):
            return run_blocks(job, instance, run_config, blocks, config, len(wanted), args.timings)
    except BuildLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _missing_raw_dir_hint(config: app_settings.Settings) -> str:
    """What to do about a raw dir that does not exist: the default one is made by `cadash generate`; any other was
    named by the user, and is more likely mistyped than ungenerated."""
    if config.raw_dir == app_settings.GENERATED_RAW_DIR:
        return " Run `cadash generate` first (the statewide synthetic releases), or name CDE's files with --raw-dir."
    return (f" Check the path given by --raw-dir or {app_settings.ENV_RAW_DIR} (expected <dir>/<year>/<stage>/<CDE "
            "file>).")


def _unusable_warehouse(path: Path) -> str | None:
    """Why `path` cannot be a DuckDB warehouse file (None when it can): asked before a build starts, so a directory
    or a path under a file fails in one line instead of deep in the ingest step."""
    if path.is_dir():
        return "is a directory, not a DuckDB file"
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"lies under {parent}, which is a file"
    return None


def _changed_releases(config: app_settings.Settings, found: list[Release], wanted: list[Release]) -> list[Release]:
    """The wanted releases that must be rebuilt: those whose inputs digest (releases/digest.py: their files and the
    earlier years', the reference inputs, the code and rules) differs from what their publication and report were
    built from, or that the warehouse does not hold. Prints what is left as it was."""
    import duckdb

    from orchestration.publish.store import VersionedDir
    from orchestration.releases.digest import release_digests

    digests = release_digests(config.raw_dir, found, app_settings.REPO_ROOT)
    publications, reports = VersionedDir.publications(config.publish_dir), VersionedDir.reports(config.publish_dir)
    held: set[str] = set()
    if config.warehouse.is_file():
        try:
            con = duckdb.connect(str(config.warehouse), read_only=True)
            try:
                held = {k for (k,) in con.execute("select release_key from marts.dim_release").fetchall()}
            finally:
                con.close()
        except duckdb.Error:
            held = set()   # no marts yet, or a file DuckDB cannot open: build (the build says what is wrong)

    def current(key: str) -> bool:
        manifest = publications.manifest(key) or {}
        record = reports.build_record(key) or {}
        return (key in held and manifest.get("warehouse") == str(config.warehouse)
                and manifest.get("inputs_digest") == digests[key] == record.get("inputs_digest"))

    changed = [r for r in wanted if not current(r.key)]
    kept = [r.key for r in wanted if r not in changed]
    if changed and kept:
        print(f"cadash build: {len(kept)} release(s) unchanged since they were published, left as they are: "
              f"{', '.join(kept)}", flush=True)
    return changed


def _write_timings(path: str | None, times: list) -> None:
    """--timings: the step windows of the build as JSON (orchestration/run_steps.py), for `cadash bench`."""
    if path:
        from orchestration.run_steps import totals

        Path(path).write_text(json.dumps({"steps": [t.as_dict() for t in times], "totals": totals(times)},
                                         indent=2) + "\n", encoding="utf-8")


def run_blocks(job, instance, run_config, blocks, config, count, timings_path=None) -> int:
    """One run of `job` per block of neighbouring releases, stopping at the first that fails or that ends without
    publishing every release it covers; prints the progress, the summary and the warnings."""
    from orchestration.partitions import range_tags, releases_of_run
    from orchestration.run_steps import describe, run_step_times

    print(f"cadash build: {count} release(s) from {config.raw_dir} into {config.warehouse}, published to "
          f"{config.publish_dir}", flush=True)
    warnings = [f"raw dir: {line}" for line in raw_dir_warnings(config.raw_dir)]
    for line in warnings:
        print(f"warning: {line}", flush=True)
    host = os.environ.get("DASHBOARD_PG_HOST")   # publish/postgres is defined (orchestration/publish/assets.py)
    server = f" -> PostgreSQL at {host}" if host else ""
    started, times = time.monotonic(), []
    for number, (first, last) in enumerate(blocks, start=1):
        label = first if first == last else f"{first} .. {last}"
        print(f"[{number}/{len(blocks)}] {label}: ingest + raw suites -> dbt build (models and tests) -> mart "
              f"suites -> publish -> report{server}", flush=True)
        tags = range_tags(first, last)
        result = job.execute_in_process(instance=instance, run_config=run_config, tags=tags, raise_on_error=False)
        times += run_step_times(instance, result.run_id)
        if not result.success:
            print(f"\nBUILD FAILED for {label}:", file=sys.stderr)
            for reason in _explain_failure(result) or ["the run failed (see the log above)"]:
                print(f"  - {reason}", file=sys.stderr)
            return EXIT_FAILED
        published = _published(result)
        unpublished = [k for k in releases_of_run(tags, instance) if k not in published]
        if unpublished:  # a skipped step is not a success
            print(f"\nBUILD FAILED for {label}: the run ended without publishing {', '.join(unpublished)} (a step "
                  "was skipped); the previous publication is unchanged", file=sys.stderr)
            return EXIT_FAILED
        warnings += [w for w in _warnings(result) if w not in warnings]
        print(f"[{number}/{len(blocks)}] {label}: done, published", flush=True)
    print(f"built in {time.monotonic() - started:.1f} s ({describe(times)})")
    _write_timings(timings_path, times)
    print(_summary(config))
    if warnings:
        print(f"\nWARNINGS ({len(warnings)}): the build published, but read these")
        for line in warnings:
            print(f"  - {line}")
    return EXIT_OK


def _csv_list(text: str | None, cast=str) -> list | None:
    return [cast(x) for x in text.split(",") if x.strip()] if text else None


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.synth.generator import MARKER, generate, is_generated

    out = Path(args.out).resolve() if args.out else app_settings.GENERATED_RAW_DIR
    if args.if_missing and is_generated(out):
        print(f"generated releases already in {out}, made by this generator version (delete the folder to make "
              "them again)")
        return EXIT_OK
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            print(f"error: {out} is not empty and holds no generated set; choose an empty folder (nothing was "
                  "written)", file=sys.stderr)
            return EXIT_USAGE
        print(f"replacing the generated releases in {out}")
        shutil.rmtree(out)
    try:
        generate(out, seed=args.seed, scale=args.scale, years=_csv_list(args.years, int),
                 stems=_csv_list(args.stems), stages=_csv_list(args.stages) or ("preview", "public"))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """The HTML report of published releases (also built by `cadash build` after publication)."""
    from orchestration.report.builder import ReportError, build_reports

    config = _apply_overrides(args)
    try:   # no --release: build_reports reports every published release
        keys = [Release.parse(k).key for k in args.release] if args.release else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        results = build_reports(config.publish_dir, keys)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    pages = sum(r.total_pages for r in results)
    print(f"{len(results)} report(s), {pages:,} pages, in {config.publish_dir / 'reports'}; open "
          f"{config.publish_dir / 'reports' / results[-1].release / 'index.html'} in a browser")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from orchestration.bench import default_work_dir, run_bench, table

    work = Path(args.work).resolve() if args.work else default_work_dir()
    report = run_bench(_csv_list(args.scales, float), work, args.seed)
    print(table(report))
    print(f"\nresults: {work / 'results.json'} and {work / 'results.md'}")
    return EXIT_OK


def cmd_postgres(args: argparse.Namespace) -> int:
    """The server warehouse option: copy the sources of the built DuckDB warehouse into PostgreSQL and build the
    models there (orchestration/publish/postgres.py)."""
    from orchestration.publish.postgres import PostgresError, PostgresTarget, publish_to_postgres

    config = _apply_overrides(args)
    try:
        target = PostgresTarget.from_env(host=args.host, port=args.port, user=args.user, dbname=args.dbname)
    except PostgresError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not config.warehouse.exists():
        print(f"error: no DuckDB warehouse at {config.warehouse}: build it first (cadash build)", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    try:
        with build_lock(config.warehouse):  # no build writes the warehouse while it is copied
            done = publish_to_postgres(config.warehouse, target)
    except (BuildLockedError, PostgresError) as exc:
        print(f"\nPOSTGRES FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"PostgreSQL {target.describe()} is current ({time.monotonic() - started:.1f} s): "
          f"{sum(t.rows for t in done.copied):,} source rows, the marts in schema marts (e.g. "
          "select * from marts.fct_da_eligibility), staging, intermediate and reference beside them")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cadash", description="California School Dashboard accountability warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="ingest releases from the raw directory and build the marts")
    build.add_argument("--raw-dir", help="landing zone laid out raw/<year>/<stage>/<file> (env DASHBOARD_RAW_DIR)")
    build.add_argument("--warehouse", help="DuckDB warehouse file (env DASHBOARD_WAREHOUSE)")
    build.add_argument("--publish-dir", help="where releases are published for BI tools (env DASHBOARD_PUBLISH_DIR)")
    build.add_argument("--release", action="append", metavar="YEAR-STAGE",
                       help="build only this release, e.g. 2018-public (repeatable); default: all found")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental marts from scratch")
    build.add_argument("--timings", metavar="FILE",
                       help="write the time of each step (ingest, raw gates, dbt, mart gates, publish, report) "
                            "as JSON")
    build.add_argument("--force", action="store_true",
                       help="rebuild every release, also those unchanged since they were published")
    build.set_defaults(func=cmd_build)

    gen = sub.add_parser("generate", help="write statewide synthetic releases in CDE's exact layouts")
    gen.add_argument("--out", help=f"landing zone to write (default {app_settings.GENERATED_RAW_DIR})")
    gen.add_argument("--seed", type=int, default=2017, help="random seed (same seed, same bytes)")
    gen.add_argument("--scale", type=float, default=1.0, help="1 = California (~10,500 schools); 0.1 for tests")
    gen.add_argument("--years", help="comma-separated report years (default: all)")
    gen.add_argument("--stems", help="comma-separated stems, e.g. grad,susp (default: all)")
    gen.add_argument("--stages", help="preview,public (default: both)")
    gen.add_argument("--if-missing", action="store_true", help="do nothing when a complete set is already there")
    gen.set_defaults(func=cmd_generate)

    bench = sub.add_parser("bench", help="time the pipeline against a bare DuckDB lower bound and a pandas peer")
    bench.add_argument("--scales", default="1,2,4", help="comma-separated scales (default 1,2,4)")
    bench.add_argument("--work", help="working folder (default data/bench)")
    bench.add_argument("--seed", type=int, default=2017)
    bench.set_defaults(func=cmd_bench)

    report = sub.add_parser("report", help="write the HTML report of published releases (publish dir/reports/)")
    report.add_argument("--publish-dir", help="the publish directory (env DASHBOARD_PUBLISH_DIR)")
    report.add_argument("--release", action="append", metavar="YEAR-STAGE",
                        help="report this published release (repeatable); default: every published release")
    report.set_defaults(func=cmd_report)

    pg = sub.add_parser("postgres", help="build the marts on a PostgreSQL server from the DuckDB warehouse's sources")
    pg.add_argument("--warehouse", help="the built DuckDB warehouse to copy from (env DASHBOARD_WAREHOUSE)")
    pg.add_argument("--host", help="server host (env DASHBOARD_PG_HOST, default localhost)")
    pg.add_argument("--port", help="server port (env DASHBOARD_PG_PORT, default 5432)")
    pg.add_argument("--user", help="role (env DASHBOARD_PG_USER, default postgres); password: DASHBOARD_PG_PASSWORD")
    pg.add_argument("--dbname", help="database (env DASHBOARD_PG_DBNAME, default dashboard)")
    pg.set_defaults(func=cmd_postgres)

    layouts = sub.add_parser("layouts", help="the registry's file layouts: verified, secondary source or inferred")
    layouts.add_argument("--stem", help="only this stem, e.g. cci")
    layouts.add_argument("--year", type=int, help="only this report year")
    layouts.add_argument("--format", choices=("text", "markdown"), default="text")
    layouts.add_argument("--write", metavar="PATH", help="write the whole page (docs/layouts.md) instead")
    layouts.set_defaults(func=cmd_layouts)

    releases = sub.add_parser("releases", help="list the releases found under the raw directory")
    releases.add_argument("--raw-dir")
    releases.set_defaults(func=cmd_releases)

    args, extras = parser.parse_known_args(argv)
    if extras:   # the subcommand's own usage, not the top level's (argparse's default for an unknown flag)
        sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extras)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
