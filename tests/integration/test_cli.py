"""`cadash build` end to end: a summary on success; on failure a non-zero exit and a message that names the file,
line and column at fault, or the failed dbt test."""

from __future__ import annotations

import duckdb

from orchestration.cli import main
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


def test_build_prints_a_summary_and_reruns_idempotently(tmp_path, capsys):
    raw = copy_release_files(tmp_path / "raw", "2018/public/elpidownload2018.txt")
    warehouse = tmp_path / "w.duckdb"
    for _ in range(2):
        assert main(["build", "--raw-dir", str(raw), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 2018-public: done" in out
    assert "marts.fct_indicator_results has 10,366 rows" in out
    assert "2018-public       1         0         0         0         0         0    10,366" in out
    assert f"warehouse: {warehouse}" in out
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from marts.fct_indicator_results").fetchall() == [(10366,)]
    con.close()




