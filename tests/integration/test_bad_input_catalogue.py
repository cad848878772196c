"""The bad-input catalogue (issue 7; the list is in docs/quality.md): each kind of bad input ends in a clear error
(file, line, column, what was expected) or a documented accepted behaviour, and the previous publication is byte for
byte the same afterwards (and, for errors, the warehouse too).

Every case starts from the same good state: a landing zone of real CDE files (2017-public: elpidownload2017f.txt;
2018-public: elpidownload2018.txt and LocalIndPerf2018.txt) built and published by `cadash build`, copied per case.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration import settings as app_settings
from orchestration.cli import main
from orchestration.publish.store import tree_state
from tests.support.builds import build_in_isolation, copy_release_files

ELPI17 = "2017/public/elpidownload2017f.txt"
ELPI18 = "2018/public/elpidownload2018.txt"
LOCAL18 = "2018/public/LocalIndPerf2018.txt"


def warehouse_state(path: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every raw and mart table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                             "where table_schema in ('raw', 'marts') and table_type = 'BASE TABLE'").fetchall()
        return {t: con.execute(f"select count(*), sum(hash(x)) from {t} as x").fetchall()[0] for (t,) in tables}
    finally:
        con.close()


@dataclass
class Scene:
    raw: Path
    warehouse: Path
    published: Path
    publication_before: dict
    warehouse_before: dict
    good: Path

    def build(self, capsys, *extra: str) -> tuple[int, str]:
        code = main(["build", "--raw-dir", str(self.raw), "--warehouse", str(self.warehouse),
                     "--publish-dir", str(self.published), *extra])
        captured = capsys.readouterr()
        return code, captured.err

    def file(self, rel: str) -> Path:
        return self.raw / rel

    def raw_rows_before(self, query: str) -> list[tuple]:
        """The query on the good state's warehouse (the copy taken before the case changed anything)."""
        con = duckdb.connect(str(self.good / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def assert_nothing_changed(self, warehouse: bool = True) -> None:
        """The publication byte for byte; the warehouse too unless the failure came after dbt had rebuilt the marts
        (then they hold the same rows with a new loaded_at)."""
        assert tree_state(self.published) == self.publication_before
        if warehouse:
            assert warehouse_state(self.warehouse) == self.warehouse_before


@pytest.fixture(scope="module")
def good_state(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("catalogue")
    copy_release_files(base / "raw", ELPI17, ELPI18, LOCAL18)
    assert build_in_isolation(["--raw-dir", str(base / "raw"), "--warehouse", str(base / "warehouse.duckdb"),
                               "--publish-dir", str(base / "published")]) == 0
    return base


@pytest.fixture()
def scene(good_state, tmp_path) -> Scene:
    shutil.copytree(good_state / "raw", tmp_path / "raw")
    shutil.copyfile(good_state / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(good_state / "published", tmp_path / "published", symlinks=True)
    published = tmp_path / "published"
    return Scene(tmp_path / "raw", tmp_path / "warehouse.duckdb", published, tree_state(published),
                 warehouse_state(tmp_path / "warehouse.duckdb"), good_state)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _edit_field(path: Path, line_no: int, column_no: int, value: bytes) -> None:
    lines = _lines(path)
    fields = lines[line_no - 1].split(b"\t")
    fields[column_no - 1] = value
    lines[line_no - 1] = b"\t".join(fields)
    path.write_bytes(b"\n".join(lines))


# --- errors: the build fails, names the file, line and column, and changes nothing ----------------------------

def test_01_truncated_file(scene, capsys):
    path = scene.file(ELPI18)
    data = path.read_bytes().rstrip(b"\n")
    path.write_bytes(data[: data.rfind(b"\t", 0, len(data) - 40)])     # the last line cut in the middle
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1
    last = len(_lines(path))
    assert f"elpidownload2018.txt, line {last}: expected 18 fields" in err and "truncated" in err
    scene.assert_nothing_changed()


def test_02_wrong_delimiter(scene, capsys):
    path = scene.file(ELPI18)
    path.write_bytes(path.read_bytes().replace(b"\t", b","))
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 1" in err
    scene.assert_nothing_changed()


def test_03_header_renamed(scene, capsys):
    """A needed column renamed: the error names it and the closest header name found."""
    path = scene.file(ELPI18)
    path.write_bytes(path.read_bytes().replace(b"\tPL_1\t", b"\tPL1\t", 1))
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 1" in err
    assert "missing needed column(s): 'PL_1' (closest header name found: 'PL1')" in err
    scene.assert_nothing_changed()


def test_04_column_missing(scene, capsys):
    path = scene.file(ELPI18)
    path.write_bytes(b"\n".join(b"\t".join(line.split(b"\t")[:-2] + line.split(b"\t")[-1:]) if line else line
                                for line in _lines(path)))        # PLTotCt dropped from every line
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 1" in err and "missing needed column(s): 'PLTotCt'" in err
    scene.assert_nothing_changed()


def test_06_text_in_a_numeric_column(scene, capsys):
    _edit_field(scene.file(ELPI18), 120, 9, b"n/a")                  # PL_1 on line 120
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1
    assert "elpidownload2018.txt, line 120, column 9 (PL_1): expected a BIGINT value, found 'n/a'" in err
    scene.assert_nothing_changed()


def test_07_duplicated_key_rows(scene, capsys):
    path = scene.file(ELPI18)
    lines = _lines(path)
    path.write_bytes(b"\n".join(lines[:51] + [lines[50]] + lines[51:]))   # line 51 twice
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1
    assert "check failed: raw/elpi / gx_suite" in err and "expect_compound_columns_to_be_unique" in err
    cds = lines[50].split(b"\t")[0].decode()
    assert cds in err                                                 # the sample names the duplicated row
    scene.assert_nothing_changed()


def test_08_a_file_of_one_year_placed_under_another(scene, capsys):
    """Renamed into 2019, the 2018 file lacks the columns 2019's layout needs; kept under 2018's layout with a 2019
    reportingyear, the year column is the error."""
    target = scene.raw / "2019" / "public" / "elpidownload2019.txt"
    target.parent.mkdir(parents=True)
    shutil.copyfile(scene.file(ELPI18), target)
    code, err = scene.build(capsys, "--release", "2019-public")
    assert code == 1
    assert "elpidownload2019.txt, line 1" in err and "missing needed column(s): 'currnumer'" in err
    shutil.rmtree(target.parent.parent)
    path = scene.file(ELPI18)
    path.write_bytes(path.read_bytes().replace(b"\t2018\n", b"\t2019\n"))
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1
    assert "elpidownload2018.txt, column 18 (reportingyear): reportingyear should be '2018'" in err
    assert "found '2019'" in err
    scene.assert_nothing_changed()


def test_09_an_empty_file(scene, capsys):
    scene.file(ELPI18).write_bytes(b"")
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 1: the file is empty" in err
    scene.assert_nothing_changed()


def test_10_a_file_with_only_a_header(scene, capsys):
    path = scene.file(ELPI18)
    path.write_bytes(_lines(path)[0] + b"\n")
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 2: the file has a header but no data rows" in err
    scene.assert_nothing_changed()


def test_11_a_byte_that_is_neither_utf8_nor_windows_1252(scene, capsys):
    _edit_field(scene.file(ELPI18), 300, 3, b"Escuela \x81")
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "elpidownload2018.txt, line 300: byte 0x81" in err
    scene.assert_nothing_changed()


def test_12_a_stem_unknown_to_the_registry(scene, capsys):
    (scene.raw / "2018" / "public" / "attendancedownload2018.txt").write_text("cds\trtype\n")
    code, err = scene.build(capsys)
    assert code in (1, 2) and "attendancedownload2018.txt" in err, err
    scene.assert_nothing_changed()


def test_13_a_release_folder_unknown_to_the_registry(scene, capsys):
    target = scene.raw / "2016" / "public" / "elpidownload2016.txt"
    target.parent.mkdir(parents=True)
    shutil.copyfile(scene.file(ELPI18), target)
    code, err = scene.build(capsys)
    assert code == 2 and "2016" in err
    scene.assert_nothing_changed()


def _strict_suites(tmp_path: Path, stricter: dict[str, dict]) -> Path:
    """A copy of the suites in which each named mart suite starts with one more expectation. GX treats two
    expectations of one type on one column as one, so the committed one of the same type and column is dropped."""
    import json

    strict = tmp_path / "expectations"
    shutil.copytree(app_settings.EXPECTATIONS_DIR, strict)
    for mart, expectation in stricter.items():
        path = strict / "marts" / f"{mart}.json"
        suite = json.loads(path.read_text())
        same = (expectation["type"], expectation["kwargs"].get("column"))
        suite["frames"]["rows"] = [expectation] + [e for e in suite["frames"].get("rows", [])
                                                   if (e["type"], e["kwargs"].get("column")) != same]
        path.write_text(json.dumps(suite))
    return strict


def test_14_and_24_a_failing_blocking_check_in_a_mart_stops_publication(scene, capsys, tmp_path, monkeypatch):
    """Stricter copies of two mart suites (DASHBOARD_EXPECTATIONS) fail after dbt. The build fails naming each
    check and why; in Dagster itself (the run in the build's instance, DAGSTER_HOME) the checks are failed with
    their sample rows, the marts are materialized and `publish/release` is not (no event at all, not a skipped
    step reported as success); nothing is published; the marts hold the rebuilt (identical) rows."""
    import dagster as dg

    from orchestration.partitions import RANGE_END_TAG, RANGE_START_TAG

    strict = _strict_suites(tmp_path, {
        "dim_entity": {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 1},
                       "meta": {"why": "a deliberately wrong rule"}},
        "fct_da_eligibility": {"type": "expect_column_values_to_be_in_set",
                               "kwargs": {"column": "lea_type", "value_set": ["district"]},
                               "meta": {"why": "a rule the data cannot meet"}}})
    monkeypatch.setenv(app_settings.ENV_EXPECTATIONS, str(strict))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1, err
    assert "check failed: marts/dim_entity / gx_suite" in err and "a deliberately wrong rule" in err
    assert "check failed: marts/fct_da_eligibility / gx_suite" in err and "a rule the data cannot meet" in err
    scene.assert_nothing_changed(warehouse=False)

    instance = dg.DagsterInstance.get()
    try:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.FAILURE
        assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == ("2018-public", "2018-public")

        def events(of_type):
            return [r.event_log_entry.dagster_event for r in
                    instance.get_records_for_run(run.run_id, of_type=of_type, limit=10_000).records]

        failed = {(e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name):
                  e.event_specific_data for e in events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
                  if not e.event_specific_data.passed}
        materialized = {e.asset_key.to_user_string() for e in events(dg.DagsterEventType.ASSET_MATERIALIZATION)}
    finally:
        instance.dispose()
    assert set(failed) == {("marts/dim_entity", "gx_suite"), ("marts/fct_da_eligibility", "gx_suite")}
    sample = failed[("marts/fct_da_eligibility", "gx_suite")].metadata["failures"].value[0]
    assert sample["column"] == "lea_type" and sample["unexpected_count"] > 0
    assert {"marts/dim_entity", "marts/fct_da_eligibility"} <= materialized and "publish/release" not in materialized


def test_15_the_process_killed_mid_build(scene, capsys):
    """kill -9 of the build (its process group: cadash and its dbt child) while dbt runs: the publication is as it
    was, the warehouse opens, and the next build succeeds and publishes the same data."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    args = [sys.executable, "-m", "orchestration.cli", "build", "--raw-dir", str(scene.raw), "--warehouse",
            str(scene.warehouse), "--publish-dir", str(scene.published), "--release", "2018-public"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    seen = []
    deadline = time.monotonic() + 300
    for raw_line in proc.stdout:
        seen.append(raw_line.decode(errors="replace"))
        if "Running dbt command" in seen[-1] or "dbt build --vars" in seen[-1] or time.monotonic() > deadline:
            break
    time.sleep(2)                                       # well inside dbt's model builds
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-5:])
    assert tree_state(scene.published) == scene.publication_before
    duckdb.connect(str(scene.warehouse), read_only=True).close()           # recovers from its WAL
    before = {e["table"]: e["rows"] for e in _manifest(scene.published / "2018-public")["files"]}
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 0, err
    assert {e["table"]: e["rows"] for e in _manifest(scene.published / "2018-public")["files"]} == before
    assert warehouse_state(scene.warehouse) != {} and _fact_rows(scene.warehouse) == 19884


def test_16_two_builds_at_once(scene, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from orchestration.cli import build_lock\n"
                               f"with build_lock(Path({str(scene.warehouse)!r})):\n"
                               "    print('held', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, err = scene.build(capsys)
        assert code == 1 and "another build is running on" in err and f"pid {holder.pid}" in err
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    scene.assert_nothing_changed()
    from orchestration.cli import build_lock

    with build_lock(scene.warehouse):        # the lock died with its holder: the next build may take it
        pass


def test_17_a_full_publish_disk(scene, capsys, monkeypatch):
    from orchestration.publish import publisher

    real = publisher.write_publication

    def disk_full(*args, **kwargs):
        real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publisher, "write_publication", disk_full)
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 1 and "No space left on device" in err and "previous publication is unchanged" in err
    scene.assert_nothing_changed(warehouse=False)
    assert not [p for p in scene.published.iterdir() if p.name.startswith(".staging")]


def test_18_a_publish_dir_that_cannot_be_written(scene, capsys, tmp_path):
    """Refused before anything is built (no release is ingested or rebuilt for a publication that cannot be
    written). Read-only permissions do not bind root (the tests run as root): a publish path that is a file, and
    one under a file, stand in; tests/unit/test_store.py tries a folder without write permission."""
    blocked = tmp_path / "blocked"
    blocked.write_text("not a directory")
    for publish_dir in (blocked, blocked / "published"):
        code = main(["build", "--raw-dir", str(scene.raw), "--warehouse", str(scene.warehouse), "--publish-dir",
                     str(publish_dir), "--release", "2018-public"])
        err = capsys.readouterr().err
        assert code == 1 and "nothing was built, the previous publication is unchanged" in err, err
        assert f"cannot publish to {publish_dir}: {blocked}" in err and "is not a directory" in err
    assert blocked.read_text() == "not a directory"
    scene.assert_nothing_changed()           # the warehouse too: nothing ran


# --- accepted: documented behaviour, the data published is the same -------------------------------------------

def _manifest(release_dir: Path) -> dict:
    import json

    return json.loads((release_dir / "manifest.json").read_text())


def _fact_rows(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_indicator_results").fetchall()[0][0]
    finally:
        con.close()


def _published_values(release_dir: Path) -> dict[str, tuple]:
    """The published rows without the lineage columns (which name the file and its hash)."""
    out = {}
    for entry in _manifest(release_dir)["files"]:
        parquet = release_dir / entry["file"]
        lineage = {"source_file", "source_sha256", "loaded_at", "files"}
        cols = [c for (c,) in duckdb.sql(f"select name from parquet_schema('{parquet}') where name <> 'duckdb_schema'"
                                         ).fetchall() if c not in lineage]
        out[entry["table"]] = duckdb.sql(
            f"select count(*), sum(hash({', '.join(chr(34) + c + chr(34) for c in cols)})) from '{parquet}'"
        ).fetchall()[0]
    return out


# each bundled file in one of the three variants, so that one build (both releases) tries all three
ENCODING_VARIANTS = {
    ELPI18: "crlf",            # Windows-1252 with CRLF line ends
    ELPI17: "utf8",            # the same text in UTF-8 instead of Windows-1252 (the file has non-ASCII names)
    LOCAL18: "utf8_with_bom",  # UTF-8 with a byte-order mark before the header's first column name
}


def test_19_to_21_encodings_and_line_ends_are_accepted(scene, capsys):
    """A BOM, CRLF line ends, and the same file in UTF-8 instead of Windows-1252 publish the same values
    (only the lineage columns, which carry the file's hash, differ)."""
    for rel, variant in ENCODING_VARIANTS.items():
        path = scene.file(rel)
        text = path.read_bytes().decode("cp1252")
        path.write_bytes({"utf8_with_bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
                          "crlf": text.replace("\n", "\r\n").encode("cp1252"),
                          "utf8": text.encode("utf-8")}[variant])
    assert scene.file(ELPI17).read_bytes() != (scene.good / "raw" / ELPI17).read_bytes()   # non-ASCII re-encoded
    releases = ("2017-public", "2018-public")
    before = {key: _published_values(scene.published / key) for key in releases}
    code, err = scene.build(capsys)          # the changed 2017 file rebuilds both releases (content-keyed)
    assert code == 0, err
    assert {key: _published_values(scene.published / key) for key in releases} == before
    assert tree_state(scene.published) != scene.publication_before    # republished, new lineage


def test_22_a_preview_arriving_after_the_public_release(scene, capsys):
    """Accepted: the preview is published beside the public one; the public publication and `latest` stay."""
    for rel in (ELPI18, LOCAL18):
        target = scene.raw / rel.replace("/public/", "/preview/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scene.file(rel), target)
    public_before = {k: v for k, v in scene.publication_before.items() if k.startswith("2018-public")}
    code, err = scene.build(capsys, "--release", "2018-preview")
    assert code == 0, err
    after = tree_state(scene.published)
    assert {k: v for k, v in after.items() if k.startswith("2018-public")} == public_before
    assert after["latest ->"] == "2018-public"
    assert (scene.published / "2018-preview" / "manifest.json").is_file()


def test_23_a_corrected_re_release_of_a_public_file(scene, capsys):
    """Accepted: the corrected file replaces the release's rows and its publication (one version kept, the manifest
    names the new file hash); the other releases' publications are byte for byte the same."""
    _edit_field(scene.file(LOCAL18), 10, 5, b"Not Met")
    code, err = scene.build(capsys, "--release", "2018-public")
    assert code == 0, err
    after = tree_state(scene.published)
    assert {k: v for k, v in after.items() if k.startswith("2017-public")} == \
        {k: v for k, v in scene.publication_before.items() if k.startswith("2017-public")}
    assert after["2018-public ->"] != scene.publication_before["2018-public ->"]
    versions = [p.name for p in (scene.published / ".versions").iterdir() if p.name.startswith("2018-public")]
    assert len(versions) == 1
    import hashlib

    corrected = hashlib.sha256(scene.file(LOCAL18).read_bytes()).hexdigest()
    con = duckdb.connect(str(scene.published / "2018-public" / "snapshot.duckdb"), read_only=True)
    try:
        files = con.execute("select files from marts.dim_release").fetchall()[0][0]
    finally:
        con.close()
    assert corrected[:12] in str(files)


def test_05_and_26_columns_shuffled_recased_and_one_more_and_a_misspelt_year_folder(scene, capsys):
    """CDE's column order and capitalisation wander, and CDE adds a flag or two almost every year: a file is read
    by column name, so the same values load; a column the registry does not know is kept and named in the
    summary's warnings (it must not stop a publication); a folder that is not a report year is named too."""
    path = scene.file(ELPI18)
    rows = [line.split(b"\t") for line in _lines(path) if line]
    order = [17, 0, 16, 2, 1, *range(3, 16)]                  # reportingyear first, then a shuffled rest
    rows[0] = [name.upper() if i % 2 else name for i, name in enumerate(rows[0])]
    shuffled = [[r[i] for i in order] for r in rows]
    path.write_bytes(b"\n".join(b"\t".join(r + [b"notes" if n == 0 else b"x"]) for n, r in enumerate(shuffled)) + b"\n")
    stray = scene.raw / "2O24" / "public"
    stray.mkdir(parents=True)
    shutil.copyfile(scene.file(ELPI18), stray / "elpidownload2024.txt")
    code = main(["build", "--raw-dir", str(scene.raw), "--warehouse", str(scene.warehouse),
                 "--publish-dir", str(scene.published), "--release", "2018-public"])
    out = capsys.readouterr().out
    assert code == 0
    warnings = out[out.index("WARNINGS ("):]
    assert "elpidownload2018.txt: 1 column(s) not in the registry's elpi 2018 layout (verified)" in warnings
    assert "'notes' (column 19)" in warnings and "2O24: not a report year folder" in warnings
    columns = "cds, rtype, schoolname, pl_1, pl1_pct, pl_4, pltotct, reportingyear"
    query = f"select {columns} from raw.elpi where report_year = 2018 order by all"
    con = duckdb.connect(str(scene.warehouse), read_only=True)
    try:
        now = con.execute(query).fetchall()
        extras = con.execute("select distinct extra_columns from raw.elpi where report_year = 2018").fetchall()
        other_year = con.execute("select count(extra_columns) from raw.elpi where report_year = 2017").fetchall()
    finally:
        con.close()
    assert len(now) == 10366 and now == scene.raw_rows_before(query)
    assert extras == [('{"notes":"x"}',)] and other_year == [(0,)]
