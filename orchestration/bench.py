"""`cadash bench`: the pipeline against a bare lower bound and a pandas peer, on generated statewide data.

Four measurements per scale, each in its own process so that its peak memory is its own (RSS of the whole process
tree, sampled every 50 ms from /proc):

1. lower_bound  a bare DuckDB script: read_csv of every indicator file (explicit types), one INSERT per file into a
                single fact table with the rows and columns of marts.fct_indicator_results. No Dagster, no dbt.
2. pandas       the same work as a one-off script would do it: pandas.read_csv per file, rename, concat, write.
3. pipeline     a full rebuild through `cadash build`: ingest behind the raw GX suites -> dbt build with its
                tests -> the mart GX suites and reconciliation -> publication and report of every release, with the
                seconds and peak RSS of each of those steps (orchestration/run_steps.py).
   unchanged    the same build again, nothing changed: how long it takes and whether the publication and report
                stayed byte for byte the same.
4. incremental  adding one preview release (the newest) to an existing warehouse with `cadash build --release`.
   startup      loading the Dagster definitions alone, so the incremental figure can be read "beyond start-up".

The three fact tables are compared (row count and column names) so that every contender did the same work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from orchestration import settings as app_settings
from orchestration.publish.store import tree_state
from orchestration.releases.discovery import Release, discover_releases, release_files
from orchestration.releases.registry import STEM_INDICATOR, Layout, raw_table_columns

FACT_COLUMNS = (
    "report_year", "stage", "release_key", "indicator", "cds", "entity_type", "student_group", "curr_numerator",
    "curr_denominator", "curr_status", "prior_numerator", "prior_denominator", "prior_status", "change",
    "status_level", "change_level", "color", "box", "is_safety_net", "source_file", "source_sha256", "loaded_at",
)
# Fact column <- the first of these raw columns the layout has (the same choices the staging models make).
_SOURCES = {
    "curr_numerator": ("currnumer", "curr_prep"), "curr_denominator": ("currdenom", "pltotct"),
    "curr_status": ("currstatus",), "prior_numerator": ("priornumer",), "prior_denominator": ("priordenom",),
    "prior_status": ("priorstatus",), "change": ("change",), "status_level": ("statuslevel",),
    "change_level": ("changelevel",), "color": ("color",), "box": ("box",),
}
_ENTITY = {"X": "state", "D": "district", "L": "district", "S": "school"}


def indicator_files(raw_dir: Path) -> list:
    """Every file that feeds fct_indicator_results (the Fall 2017 grade-11 academic files do not)."""
    return [f for r in discover_releases(raw_dir) for f in release_files(raw_dir, r)
            if STEM_INDICATOR[f.layout.stem] and f.layout.variant != "grade_11"]


def _first(layout: Layout, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in layout.raw_columns), None)


# ------------------------------------------------------------------------------------------------ contenders


def run_lower_bound(raw_dir: Path, out: Path) -> int:
    import duckdb

    from orchestration.ingest.loader import hash_and_encoding, transcode_cp1252

    con = duckdb.connect(str(out))
    con.execute(
        "create table fct (report_year integer, stage varchar, release_key varchar, indicator varchar, cds varchar, "
        "entity_type varchar, student_group varchar, curr_numerator bigint, curr_denominator bigint, "
        "curr_status double, prior_numerator bigint, prior_denominator bigint, prior_status double, change double, "
        "status_level integer, change_level integer, color integer, box integer, is_safety_net boolean, "
        "source_file varchar, source_sha256 varchar, loaded_at timestamp)"
    )
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory() as tmp:
        for f in indicator_files(raw_dir):
            lay, rel = f.layout, f.release
            sha, encoding, _ = hash_and_encoding(f.path)
            path = f.path
            if encoding != "utf-8":
                path = Path(tmp) / f.path.name
                transcode_cp1252(f.path, path)
            types = raw_table_columns(lay.stem)
            columns = "{" + ", ".join(f"'{c}': '{types[c]}'" for c in lay.raw_columns) + "}"
            measures = [f"{_first(lay, src) or 'null'}" for src in _SOURCES.values()]
            group = "upper(trim(studentgroup))" if "studentgroup" in lay.raw_columns else "'EL'"
            net = [c for c in ("safetynet", "smalldenom") if c in lay.raw_columns]
            net_sql = f"case upper(trim({net[0]})) when 'Y' then true when 'N' then false end" if net else "null"
            con.execute(
                f"insert into fct select {rel.report_year}, '{rel.stage}', '{rel.key}', '{lay.stem}', "
                "lpad(trim(cds), 14, '0'), case upper(trim(rtype)) "
                + " ".join(f"when '{k}' then '{v}'" for k, v in _ENTITY.items())
                + f" end, {group}, {', '.join(measures)}, {net_sql}, '{f.path.name}', '{sha}', ? "
                f"from read_csv('{path}', delim='\t', quote='', escape='', header=true, auto_detect=false, "
                f"columns={columns})",
                [loaded_at],
            )
    rows = con.execute("select count(*) from fct").fetchall()[0][0]
    con.close()
    return rows


def run_pandas(raw_dir: Path, out: Path) -> int:
    import hashlib

    import duckdb
    import pandas as pd

    frames = []
    loaded_at = pd.Timestamp.now(tz="UTC").tz_localize(None)
    for f in indicator_files(raw_dir):
        lay, rel = f.layout, f.release
        data = f.path.read_bytes()
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
        df = pd.read_csv(f.path, sep="\t", encoding=encoding, dtype={lay.columns[0]: str}, keep_default_na=False,
                         na_values=[""])
        df.columns = list(lay.raw_columns)
        out_df = pd.DataFrame({
            "report_year": rel.report_year, "stage": rel.stage, "release_key": rel.key, "indicator": lay.stem,
            "cds": df["cds"].astype(str).str.strip().str.zfill(14),
            "entity_type": df["rtype"].str.strip().str.upper().map(_ENTITY),
            "student_group": df["studentgroup"].str.strip().str.upper() if "studentgroup" in df else "EL",
        })
        for name, src in _SOURCES.items():
            col = _first(lay, src)
            out_df[name] = pd.to_numeric(df[col], errors="raise") if col else None
        net = [c for c in ("safetynet", "smalldenom") if c in df]
        out_df["is_safety_net"] = df[net[0]].map({"Y": True, "N": False}) if net else None
        out_df["source_file"] = f.path.name
        out_df["source_sha256"] = hashlib.sha256(data).hexdigest()
        out_df["loaded_at"] = loaded_at
        frames.append(out_df)
    fact = pd.concat(frames, ignore_index=True)
    con = duckdb.connect(str(out))
    con.register("fact", fact)
    con.execute("create table fct as select * from fact")
    rows = con.execute("select count(*) from fct").fetchall()[0][0]
    con.close()
    return rows


# ------------------------------------------------------------------------------------------------ measuring


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (kB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            pid, ppid, pages = int(entry), int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, timings: Path | None = None) -> dict:
    """Run a command, return wall seconds, exit code and the peak RSS of its process tree (MB). With `timings` (a
    `cadash build --timings` file the command writes), also the seconds and peak RSS of each pipeline step."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[tuple[float, int]] = []     # (epoch seconds, kB)
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append((time.time(), _tree_rss_kb(proc.pid)))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0]
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-4000:]}")
    result = {"seconds": round(seconds, 2), "peak_rss_mb": round(max((kb for _, kb in samples), default=0) / 1024, 1),
              "output_tail": output[-300:]}
    if timings is not None:
        result["steps"] = step_figures(json.loads(timings.read_text(encoding="utf-8"))["steps"], samples, seconds)
    return result


def step_figures(steps: list[dict], samples: list[tuple[float, int]], total_seconds: float) -> dict[str, dict]:
    """Seconds and peak RSS (MB) per pipeline step, from the build's step windows and the RSS samples; the rest of
    the wall time (start-up, definitions, the digest, the summary) is `start-up and other`. The raw gates run inside
    the ingest step, so they share its window and its peak."""
    from orchestration.run_steps import STEPS

    figures = {}
    for name in STEPS:
        windows = [(s["start"], s["end"]) for s in steps if s["step"] == name]
        peak = max((kb for t, kb in samples if any(a <= t <= b for a, b in windows)), default=0)
        figures[name] = {"seconds": round(sum(s["seconds"] for s in steps if s["step"] == name), 2),
                         "peak_rss_mb": round(peak / 1024, 1)}
    in_steps = sum(f["seconds"] for f in figures.values())
    windows = [(s["start"], s["end"]) for s in steps]
    outside = max((kb for t, kb in samples if not any(a <= t <= b for a, b in windows)), default=0)
    figures["start-up and other"] = {"seconds": round(max(total_seconds - in_steps, 0.0), 2),
                                     "peak_rss_mb": round(outside / 1024, 1)}
    return figures


def _fact_shape(db: Path, table: str) -> tuple[int, list[str]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        cols = [r[0] for r in con.execute(f"select * from {table} limit 0").description]
    finally:
        con.close()
    return rows, cols


def _release_rows(db: Path, release: Release) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_indicator_results where release_key = ?",
                           [release.key]).fetchall()[0][0]
    finally:
        con.close()


def _drop_release(db: Path, release: Release) -> None:
    """Remove one release from every raw and mart table that is keyed by release (setup for the incremental run)."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.columns where column_name = 'stage' "
            "and table_schema in ('raw', 'marts') and table_name in (select table_name from "
            "information_schema.columns where column_name = 'report_year') and table_name in "
            "(select table_name from information_schema.tables where table_type = 'BASE TABLE')"
        ).fetchall()
        for schema, table in tables:
            con.execute(f"delete from {schema}.{table} where report_year = ? and stage = ?",
                        [release.report_year, release.stage])
    finally:
        con.close()


def _physical_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def bench_scale(scale: float, work: Path, seed: int, log, pandas_mb_per_scale: float | None = None) -> dict:
    """Measure one scale. pandas_mb_per_scale (peak RSS of the pandas peer per unit of scale, from a smaller scale)
    lets the run skip the pandas peer where it would not fit in memory, instead of swapping or being killed."""
    from orchestration.synth.generator import generate, is_generated

    raw = work / f"raw-scale{scale:g}"
    if not is_generated(raw, seed=seed, scale=scale, stems=None):
        shutil.rmtree(raw, ignore_errors=True)
        log(f"generating scale {scale:g} into {raw}")
        generate(raw, seed=seed, scale=scale, log=log)
    size_mb = sum(p.stat().st_size for p in raw.rglob("*.txt")) / 1e6
    python = sys.executable
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    results: dict[str, dict] = {}
    dbs = {name: work / f"{name}-scale{scale:g}.duckdb" for name in ("lower_bound", "pandas", "pipeline")}
    for db in dbs.values():
        db.unlink(missing_ok=True)
    log(f"[scale {scale:g}] lower bound (bare DuckDB)")
    results["lower_bound"] = measure([python, "-m", "orchestration.bench", "_task", "lower_bound", str(raw),
                                      str(dbs["lower_bound"])], env)
    projected = pandas_mb_per_scale * scale if pandas_mb_per_scale else 0.0
    if projected > 0.75 * _physical_memory_mb():
        log(f"[scale {scale:g}] pandas peer skipped: projected peak RSS {projected / 1024:.1f} GiB")
        results["pandas"] = {"skipped": f"projected peak RSS {projected / 1024:.1f} GiB exceeds 75 % of memory",
                             "seconds": None, "peak_rss_mb": round(projected, 1)}
    else:
        log(f"[scale {scale:g}] pandas peer")
        results["pandas"] = measure([python, "-m", "orchestration.bench", "_task", "pandas", str(raw),
                                     str(dbs["pandas"])], env)
    log(f"[scale {scale:g}] pipeline: full rebuild")
    published = work / f"published-scale{scale:g}"
    shutil.rmtree(published, ignore_errors=True)
    build = [python, "-m", "orchestration.cli", "build", "--raw-dir", str(raw), "--warehouse", str(dbs["pipeline"]),
             "--publish-dir", str(published), "--timings", str(work / "timings.json")]
    results["pipeline"] = measure(build, env, timings=work / "timings.json")
    log(f"[scale {scale:g}] unchanged: the same build again")
    before = tree_state(published)
    results["unchanged"] = measure(build, env)
    results["unchanged"]["publication_identical"] = tree_state(published) == before
    newest_preview = [r for r in discover_releases(raw) if r.stage == "preview"][-1]
    incremental_db = work / f"incremental-scale{scale:g}.duckdb"
    shutil.copyfile(dbs["pipeline"], incremental_db)
    _drop_release(incremental_db, newest_preview)
    log(f"[scale {scale:g}] incremental: add {newest_preview.key}")
    results["incremental"] = measure([python, "-m", "orchestration.cli", "build", "--raw-dir", str(raw),
                                      "--warehouse", str(incremental_db), "--publish-dir", str(published),
                                      "--release", newest_preview.key, "--timings",
                                      str(work / "timings-incremental.json")], env,
                                     timings=work / "timings-incremental.json")
    results["startup"] = measure([python, "-c", "import orchestration.definitions"], env)
    shapes = {"lower_bound": _fact_shape(dbs["lower_bound"], "fct"),
              "pipeline": _fact_shape(dbs["pipeline"], "marts.fct_indicator_results")}
    if results["pandas"]["seconds"] is not None:
        shapes["pandas"] = _fact_shape(dbs["pandas"], "fct")
    rows = shapes["pipeline"][0]
    # The contenders write the reported columns; the pipeline's fact also carries the recomputed levels (issue 5),
    # work the lower bound does not do: compare the reported columns, which come first in the fact.
    same_work = all(s[0] == rows and s[1][: len(FACT_COLUMNS)] == list(FACT_COLUMNS) for s in shapes.values())
    for name, (count, _cols) in shapes.items():
        results[name]["rows"] = count
        results[name]["rows_per_s"] = round(count / results[name]["seconds"])
    results["incremental"]["rows"] = _release_rows(incremental_db, newest_preview)
    results["incremental"]["rows_per_s"] = round(results["incremental"]["rows"] / results["incremental"]["seconds"])
    for r in results.values():
        r.pop("output_tail", None)
    incremental_db.unlink(missing_ok=True)
    shutil.rmtree(published, ignore_errors=True)
    return {
        "scale": scale, "raw_mb": round(size_mb, 1), "fact_rows": rows, "same_rows_and_columns": same_work,
        "results": results,
        "ratios": {
            "pipeline_over_lower_bound": round(results["pipeline"]["seconds"] / results["lower_bound"]["seconds"], 2),
            "pandas_over_pipeline": (round(results["pandas"]["seconds"] / results["pipeline"]["seconds"], 2)
                                     if results["pandas"]["seconds"] else None),
            "incremental_beyond_startup_s": round(results["incremental"]["seconds"] - results["startup"]["seconds"],
                                                  2),
            "unchanged_over_pipeline": round(results["unchanged"]["seconds"] / results["pipeline"]["seconds"], 3),
            "steps_over_lower_bound": {name: round(f["seconds"] / results["lower_bound"]["seconds"], 2)
                                       for name, f in results["pipeline"]["steps"].items()},
        },
    }


def table(report: dict) -> str:
    lines = [
        f"Benchmark {report['date']} on {report['machine']}",
        "",
        "| scale | raw MB | fact rows | contender | seconds | rows/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in report["scales"]:
        for name in ("lower_bound", "pandas", "pipeline", "unchanged", "incremental", "startup"):
            r = s["results"][name]
            seconds = r["seconds"] if r["seconds"] is not None else f"skipped ({r['skipped']})"
            rate = f"{r['rows_per_s']:,}" if "rows_per_s" in r else ""
            lines.append(f"| {s['scale']:g} | {s['raw_mb']:,} | {s['fact_rows']:,} | {name} | {seconds} | {rate} | "
                         f"{r['peak_rss_mb']:,} |")
    lines += ["", "| scale | pipeline / lower bound | pandas / pipeline | incremental beyond start-up (s) | same rows "
                  "and columns |", "|---|---|---|---|---|"]
    for s in report["scales"]:
        q = s["ratios"]
        lines.append(f"| {s['scale']:g} | {q['pipeline_over_lower_bound']} | {q['pandas_over_pipeline']} | "
                     f"{q['incremental_beyond_startup_s']} | {s['same_rows_and_columns']} |")
    lines += ["", "Pipeline steps (full rebuild; incremental: the new preview alone):", "",
              "| scale | step | seconds | / lower bound | peak RSS MB | incremental s | incremental peak RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for s in report["scales"]:
        added = s["results"]["incremental"].get("steps", {})
        for name, f in s["results"]["pipeline"]["steps"].items():
            inc = added.get(name, {})
            lines.append(f"| {s['scale']:g} | {name} | {f['seconds']} | {s['ratios']['steps_over_lower_bound'][name]} "
                         f"| {f['peak_rss_mb']:,} | {inc.get('seconds', '')} | {inc.get('peak_rss_mb', '')} |")
    lines += ["", "| scale | unchanged rebuild s | / full rebuild | publication byte-identical |", "|---|---|---|---|"]
    for s in report["scales"]:
        u = s["results"]["unchanged"]
        lines.append(f"| {s['scale']:g} | {u['seconds']} | {s['ratios']['unchanged_over_pipeline']} | "
                     f"{u['publication_identical']} |")
    return "\n".join(lines)


def run_bench(scales: list[float], work: Path, seed: int, log=print) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
                   f"Python {platform.python_version()}",
        "seed": seed,
        "scales": [],
    }
    pandas_mb_per_scale = None
    for scale in sorted(scales):
        result = bench_scale(scale, work, seed, log, pandas_mb_per_scale)
        pandas = result["results"]["pandas"]
        if pandas["seconds"] is not None:
            pandas_mb_per_scale = pandas["peak_rss_mb"] / scale
        report["scales"].append(result)
        (work / "results.json").write_text(json.dumps(report, indent=2))
    (work / "results.md").write_text(table(report) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """Internal entry for one contender in its own process: python -m orchestration.bench _task NAME RAW OUT."""
    parser = argparse.ArgumentParser()
    parser.add_argument("marker", choices=["_task"])
    parser.add_argument("task", choices=["lower_bound", "pandas"])
    parser.add_argument("raw")
    parser.add_argument("out")
    args = parser.parse_args(argv)
    runner = run_lower_bound if args.task == "lower_bound" else run_pandas
    rows = runner(Path(args.raw), Path(args.out))
    print(f"{args.task}: {rows} rows")
    return 0


def default_work_dir() -> Path:
    return app_settings.REPO_ROOT / "data" / "bench"


if __name__ == "__main__":
    sys.exit(main())
