"""`cadash build` end to end: a summary on success; on failure a non-zero exit and a message that names the file,
line and column at fault, or the failed dbt test."""

from __future__ import annotations

import json
import os

import duckdb

from orchestration.cli import main
from orchestration.publish.store import tree_state
from tests.support.builds import copy_release_files

GRAD17 = "2017/public/graddownload2017f.txt"


def test_bad_value_fails_with_file_line_and_column(tmp_path, capsys):
    raw = copy_release_files(tmp_path / "raw", GRAD17)
    lines = (raw / GRAD17).read_text().split("\n")
    fields = lines[41].split("\t")
    fields[16] = "six"  # column 17 is `change`
    lines[41] = "\t".join(fields)
    (raw / GRAD17).write_text("\n".join(lines))
    code = main(["build", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{raw / GRAD17}, line 42, column 17 (change): expected a DOUBLE value, found 'six'" in err


def test_a_duplicated_row_fails_the_raw_suite_and_nothing_is_built(tmp_path, capsys):
    """A duplicated row breaks the raw suite's key inside the ingest transaction (issue 7; before, the staging key
    test caught it after the load): the run fails naming the row, the raw table is rolled back, and nothing
    downstream is built (the fact table is never created)."""
    raw = copy_release_files(tmp_path / "raw", GRAD17)
    lines = (raw / GRAD17).read_text().split("\n")
    lines.insert(100, lines[99])
    (raw / GRAD17).write_text("\n".join(lines))
    code = main(["build", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "check failed: raw/grad / gx_suite" in err and "expect_compound_columns_to_be_unique" in err
    duplicated = lines[99].split("\t")[0]
    assert duplicated in err
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    tables = con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
    assert con.execute("select count(*) from raw.grad").fetchall() == [(0,)]
    con.close()
    assert ("fct_indicator_results",) not in tables


def test_a_rebuild_redoes_only_what_changed_and_force_redoes_all(tmp_path, capsys):
    """Issue 20: a second build of an unchanged raw dir does nothing and leaves the publication and the report
    byte for byte as they were; a changed 2018 file rebuilds 2018 and leaves 2017's publication untouched (2017
    does not look forward); `--force` rebuilds every release, and reruns leave the warehouse as it was."""
    raw = copy_release_files(tmp_path / "raw", "2017/public/elpidownload2017f.txt", "2018/public/elpidownload2018.txt")
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "published"
    build = ["build", "--raw-dir", str(raw), "--warehouse", str(warehouse), "--publish-dir", str(published)]
    assert main([*build, "--timings", str(tmp_path / "timings.json")]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 2017-public .. 2018-public: done, published" in out          # neighbours: one run
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert list(timings["totals"]) == ["ingest", "raw gates", "dbt", "mart gates", "publish", "report"]
    assert all(timings["totals"][step] > 0 for step in ("ingest", "raw gates", "dbt", "publish", "report"))
    assert f"(ingest {timings['totals']['ingest']:.1f} s, raw gates" in out
    assert "2018-public       1         0         0         0         0         0    10,366" in out
    first = tree_state(published)
    reports = {k: os.readlink(published / "reports" / k) for k in ("2017-public", "2018-public")}

    assert main(build) == 0
    out = capsys.readouterr().out
    assert "nothing changed since the last build of the 2 release(s)" in out and "done, published" not in out
    assert f"warehouse: {warehouse}" in out and "2018-public       1" in out   # the summary, as before
    assert tree_state(published) == first

    path = raw / "2018/public/elpidownload2018.txt"
    path.write_bytes(path.read_bytes() + b"\n")          # a corrected 2018 file (the same rows)
    assert main(build) == 0
    out = capsys.readouterr().out
    assert "1 release(s) unchanged since they were published, left as they are: 2017-public" in out
    assert "[1/1] 2018-public: done, published" in out and "2017-public .." not in out
    again = tree_state(published)
    assert {k: v for k, v in again.items() if k.startswith("2017-public")} == {
        k: v for k, v in first.items() if k.startswith("2017-public")}
    assert again["2018-public ->"] != first["2018-public ->"]
    assert os.readlink(published / "reports" / "2017-public") == reports["2017-public"]
    assert os.readlink(published / "reports" / "2018-public") != reports["2018-public"]

    assert main([*build, "--force"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 2017-public .. 2018-public: done, published" in out and "unchanged" not in out
    assert tree_state(published)["2017-public ->"] != first["2017-public ->"]
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select release_key, count(*) from marts.fct_indicator_results group by all order by 1"
                       ).fetchall()[1] == ("2018-public", 10366)
    con.close()
