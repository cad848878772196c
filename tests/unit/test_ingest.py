"""The raw loader on the real CDE files and on broken copies of them."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.loader import RawFileError, load_release
from orchestration.releases.discovery import Release
from tests.support.builds import BUNDLED_RAW, copy_release_files, quiet

R2017 = Release(2017, "public")
R2018 = Release(2018, "public")
GRAD17 = "2017/public/graddownload2017f.txt"
ELPI17 = "2017/public/elpidownload2017f.txt"
CCI17 = "2017/public/ccidownload2017f.txt"
ELPI18 = "2018/public/elpidownload2018.txt"


def _rtype_counts(path: Path, encoding: str = "cp1252") -> Counter:
    with path.open(encoding=encoding, newline="") as handle:
        return Counter(row["rtype"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def loaded_2017(tmp_path_factory):
    raw = copy_release_files(tmp_path_factory.mktemp("raw"), GRAD17, ELPI17, CCI17)
    con = duckdb.connect(str(tmp_path_factory.mktemp("wh") / "w.duckdb"))
    loads = load_release(con, raw, R2017, log=quiet)
    yield con, raw, loads
    con.close()


@pytest.mark.parametrize(("stem", "rel"), [("grad", GRAD17), ("elpi", ELPI17), ("cci", CCI17)])
def test_row_counts_per_rtype_equal_the_file(loaded_2017, stem, rel):
    con, _, _ = loaded_2017
    expected = _rtype_counts(BUNDLED_RAW / rel)
    got = Counter(dict(con.execute(f"select rtype, count(*) from raw.{stem} group by rtype").fetchall()))
    assert got == expected
    assert sum(expected.values()) == {"grad": 25564, "elpi": 9518, "cci": 22978}[stem]


def test_graduation_values_round_trip(loaded_2017):
    con, _, _ = loaded_2017
    row = con.execute(
        "select schoolname, currnumer, currdenom, currstatus, priornumer, priordenom, priorstatus, cal_method, "
        "safetynet, change, statuslevel, changelevel, color, box, charter_flag, reportingyear "
        "from raw.grad where cds = '01612590100065' and studentgroup = 'ALL'"
    ).fetchall()
    assert row == [("Oakland Unity High", 57, 64, 89.1, 148, 179, 82.7, "3yr", "Y", 6.4, 3, 4, 4, 140, "Y", "2017f")]
    row = con.execute(
        "select districtname, currdenom, currstatus, priorstatus, change, statuslevel, changelevel, color, box "
        "from raw.grad where cds = '58727690000000' and studentgroup = 'WH'"
    ).fetchall()
    assert row == [("Wheatland Union High", 83, 94.0, 95.6, -1.6, 4, 2, 3, 70)]
    blank = con.execute(
        "select currnumer, currstatus, cal_method, statuslevel from raw.grad "
        "where cds = '01612590100065' and studentgroup = 'AA'"
    ).fetchall()
    assert blank == [(None, None, "N/A", 0)]  # blank means not reported; N/A is kept as published


def test_windows_1252_names_and_elpi_values_round_trip(loaded_2017):
    con, _, loads = loaded_2017
    row = con.execute(
        "select schoolname, currnumer, currdenom, currstatus, priorstatus, change, statuslevel, changelevel, "
        "color, box, nsize_met from raw.elpi where cds = '19647330117846'"
    ).fetchall()
    assert row == [("Para Los Niños Middle", 94, 98, 95.9, 73.5, 22.4, 5, 5, 5, 50, "Y")]
    assert {ld.file_name: ld.encoding for ld in loads}["elpidownload2017f.txt"] == "cp1252"


def test_cci_values_round_trip(loaded_2017):
    con, _, _ = loaded_2017
    row = con.execute(
        "select studentgroup_pct, currdenom, currstatus, curr_prep, statuslevel from raw.cci "
        "where cds = '01100170112607' and studentgroup = 'AA'"
    ).fetchall()
    assert row == [(41.8, 38, 10.5, 4, 2)]


def test_lineage_columns(loaded_2017):
    con, raw, loads = loaded_2017
    sha = hashlib.sha256((raw / GRAD17).read_bytes()).hexdigest()
    assert {ld.file_name: ld.sha256 for ld in loads}["graddownload2017f.txt"] == sha
    lineage = con.execute(
        "select distinct report_year, stage, layout_variant, source_file, source_sha256 from raw.grad"
    ).fetchall()
    assert lineage == [(2017, "public", "all", "graddownload2017f.txt", sha)]


def test_reloading_a_release_replaces_exactly_its_rows(tmp_path):
    raw = copy_release_files(tmp_path / "raw", ELPI17, ELPI18)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_release(con, raw, R2017, log=quiet)
    load_release(con, raw, R2018, log=quiet)
    counts = lambda: con.execute(  # noqa: E731
        "select report_year, count(*) from raw.elpi group by 1 order by 1").fetchall()
    assert counts() == [(2017, 9518), (2018, 10366)]
    load_release(con, raw, R2018, log=quiet)
    load_release(con, raw, R2018, log=quiet)
    assert counts() == [(2017, 9518), (2018, 10366)]
    (raw / ELPI18).unlink()  # a release whose file was withdrawn: its rows go, the other release stays
    load_release(con, raw, R2018, log=quiet)
    assert counts() == [(2017, 9518)]


# ------------------------------------------------------------------ bad input: a clear error, nothing replaced


def _broken_copy(tmp_path: Path, rel: str, edit) -> Path:
    src = (BUNDLED_RAW / rel).read_bytes().decode("cp1252")
    lines = src.split("\n")
    raw = tmp_path / "raw"
    target = raw / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(edit(lines).encode("cp1252") if isinstance(edit(lines), str) else edit(lines))
    return raw


def _load_good_then(tmp_path: Path, rel: str, edit):
    """Load the real file, then a broken copy of it into the same warehouse; return (error, con, rows before)."""
    good = copy_release_files(tmp_path / "good", rel)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    release = Release(int(rel[:4]), "public")
    load_release(con, good, release, log=quiet)
    stem = "grad" if "grad" in rel else "elpi"
    before = con.execute(f"select count(*), max(loaded_at) from raw.{stem}").fetchall()
    bad = _broken_copy(tmp_path, rel, edit)
    with pytest.raises(RawFileError) as err:
        load_release(con, bad, release, log=quiet)
    after = con.execute(f"select count(*), max(loaded_at) from raw.{stem}").fetchall()
    return err.value, before, after


def _set_field(lines: list[str], line_no: int, field_no: int, value: str) -> str:
    fields = lines[line_no - 1].split("\t")
    fields[field_no - 1] = value
    lines[line_no - 1] = "\t".join(fields)
    return "\n".join(lines)


def test_text_in_a_numeric_column_names_file_line_and_column(tmp_path):
    err, before, after = _load_good_then(tmp_path, GRAD17, lambda ls: _set_field(ls, 120, 10, "12x"))
    assert err.line == 120
    assert err.column == "10 (currdenom)"
    assert "graddownload2017f.txt, line 120, column 10 (currdenom): expected a BIGINT value, found '12x'" in str(err)
    assert before == after  # the previous load is untouched


def test_a_truncated_line_is_reported(tmp_path):
    def truncate(lines):
        lines[2000] = "\t".join(lines[2000].split("\t")[:12])
        return "\n".join(lines)

    err, before, after = _load_good_then(tmp_path, GRAD17, truncate)
    assert err.line == 2001
    assert "expected 31 fields separated by '\\t', found 12" in str(err)
    assert before == after


def test_a_renamed_header_is_reported_on_line_1(tmp_path):
    err, before, after = _load_good_then(
        tmp_path, ELPI18, lambda ls: "\n".join([ls[0].replace("PLTotCt", "PLTotal"), *ls[1:]]))
    assert err.line == 1
    assert "missing needed column(s): 'PLTotCt' (closest header name found: 'PLTotal')" in str(err)
    assert before == after


def test_an_empty_file_and_a_header_only_file_are_errors(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2018" / "public").mkdir(parents=True)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    (raw / ELPI18).write_bytes(b"")
    with pytest.raises(RawFileError, match="line 1: the file is empty"):
        load_release(con, raw, R2018, log=quiet)
    header = (BUNDLED_RAW / ELPI18).read_bytes().split(b"\n", 1)[0] + b"\n"
    (raw / ELPI18).write_bytes(header)
    with pytest.raises(RawFileError, match="line 2: the file has a header but no data rows"):
        load_release(con, raw, R2018, log=quiet)


def test_bom_crlf_and_pipe_delimiters_are_accepted(tmp_path):
    text = (BUNDLED_RAW / ELPI18).read_bytes().decode("cp1252")
    raw = tmp_path / "raw"
    (raw / "2018" / "public").mkdir(parents=True)
    (raw / ELPI18).write_bytes(b"\xef\xbb\xbf" + text.replace("\t", "|").replace("\n", "\r\n").encode("utf-8"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loads = load_release(con, raw, R2018, log=quiet)
    assert (loads[0].rows, loads[0].delimiter, loads[0].encoding) == (10366, "|", "utf-8")
    state = con.execute("select cds, pl_1, pl1_pct, pltotct from raw.elpi where rtype = 'X'").fetchall()
    assert state == [("00000000000000", 166586, 14.6, 1140229)]


def test_windows_1252_name_with_n_tilde_and_curly_quote(tmp_path):
    lines = (BUNDLED_RAW / ELPI18).read_bytes().decode("cp1252").split("\n")
    fields = lines[5].split("\t")
    fields[2] = "Escuela Niños \u2019Unidos\u2019"
    lines[5] = "\t".join(fields)
    raw = tmp_path / "raw"
    (raw / "2018" / "public").mkdir(parents=True)
    (raw / ELPI18).write_bytes("\n".join(lines).encode("cp1252"))
    assert b"\x92" in (raw / ELPI18).read_bytes() and b"\xf1" in (raw / ELPI18).read_bytes()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_release(con, raw, R2018, log=quiet)
    got = con.execute("select schoolname from raw.elpi where schoolname like 'Escuela Ni%'").fetchall()
    assert got == [("Escuela Niños \u2019Unidos\u2019",)]


def test_a_byte_that_is_not_windows_1252_is_reported_with_its_line(tmp_path):
    data = (BUNDLED_RAW / ELPI18).read_bytes().split(b"\n")
    data[9] = data[9].replace(b"\t", b"\t\x81", 1)  # 0x81 is undefined in cp1252 and invalid UTF-8
    raw = tmp_path / "raw"
    (raw / "2018" / "public").mkdir(parents=True)
    (raw / ELPI18).write_bytes(b"\n".join(data))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(RawFileError, match=r"line 10: byte 0x81 .* neither UTF-8 nor Windows-1252"):
        load_release(con, raw, R2018, log=quiet)


def test_a_reporting_year_that_contradicts_the_folder_is_an_error(tmp_path):
    err, before, after = _load_good_then(
        tmp_path, GRAD17,
        lambda ls: "\n".join(ls[:50] + [ln.replace("\t2017f", "\t2018") for ln in ls[50:60]] + ls[60:]))
    assert "reportingyear should be '2017f'" in str(err) and "'2018' (10 rows)" in str(err)
    assert err.column == "31 (reportingyear)"
    assert before == after


def test_a_failure_in_one_file_leaves_every_table_of_the_release_as_it_was(tmp_path):
    raw = copy_release_files(tmp_path / "raw", GRAD17, CCI17)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_release(con, raw, R2017, log=quiet)
    snapshot = con.execute("select (select count(*) from raw.grad), (select count(*) from raw.cci)").fetchall()
    text = (raw / GRAD17).read_text()
    (raw / GRAD17).write_text(text.replace("\t3yr\t", "\t3yr\tEXTRA\t", 1))  # cci loads first, then grad fails
    with pytest.raises(RawFileError, match="graddownload2017f.txt, line 3"):
        load_release(con, raw, R2017, log=quiet)
    assert con.execute("select (select count(*) from raw.grad), (select count(*) from raw.cci)").fetchall() == snapshot
