"""The loader's tolerance on real CDE rows of 2019-2024 (no dbt, seconds): the samples of
tests/fixtures/real_samples/ (the header and the first whole entities of each real file, unchanged) read in
shuffled, re-cased and extended forms, with a column missing, renamed or unknown. The samples through the whole
pipeline: tests/integration/test_real_samples.py.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.loader import RawFileError, load_release
from orchestration.ingest.reference import load_reference_inputs
from orchestration.releases.discovery import Release, release_files
from tests.support.builds import quiet
from tests.support.inputs import SAMPLES, research_rows

YEARS = (2019, 2022, 2023, 2024)
SAMPLE_FILES = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.glob("*/public/*.txt"))


@pytest.fixture(scope="module")
def as_published(tmp_path_factory):
    return _load_all(_landing_zone(tmp_path_factory.mktemp("published"), SAMPLE_FILES))


def test_shuffled_columns_load_identically(as_published, tmp_path):
    con = _load_all(_landing_zone(tmp_path, SAMPLE_FILES, _shuffle))
    for stem in ("ela", "math", "chronic", "susp", "grad", "elpi", "cci", "science"):
        shuffled, original = _table_contents(con, stem), _table_contents(as_published, stem)
        assert len(original) > 0 and shuffled == original, stem


def test_header_case_and_surrounding_spaces_do_not_matter(as_published, tmp_path):
    def recase(rows):
        return [[f" {c.upper()} " if i % 2 else c.title() for i, c in enumerate(rows[0])], *rows[1:]]

    con = _load_all(_landing_zone(tmp_path, SAMPLE_FILES, recase))
    for stem in ("grad", "elpi", "cci"):
        assert _table_contents(con, stem) == _table_contents(as_published, stem), stem


def test_an_unknown_column_is_kept_and_reported(tmp_path):
    rel = "2024/public/graddownload2024.txt"

    def add(rows):
        return [[*rows[0][:5], "newflag2024", *rows[0][5:]]] + [[*r[:5], "Y" if n % 2 else "", *r[5:]]
                                                              for n, r in enumerate(rows[1:])]

    warnings: list[str] = []
    con = _load_all(_landing_zone(tmp_path, [rel], add), warn=warnings.append)
    assert len(warnings) == 1
    assert "graddownload2024.txt" in warnings[0] and "'newflag2024' (column 6)" in warnings[0]
    extras = con.execute("select extra_columns from raw.grad order by cds, studentgroup").fetchall()
    assert {json.loads(e)["newflag2024"] for (e,) in extras} == {"Y", None}
    assert con.execute("select count(*) from raw.grad where cds is not null and currstatus is not null"
                       ).fetchall()[0][0] == sum(1 for r in research_rows(SAMPLES / rel) if r["currstatus"])


def test_an_absent_optional_column_loads_blank_with_a_warning(tmp_path):
    rel = "2024/public/chronicdownload2024.txt"
    drop = lambda rows: [[f for i, f in enumerate(r) if i != rows[0].index("priorcertifyflag")] for r in rows]  # noqa: E731
    warnings: list[str] = []
    con = _load_all(_landing_zone(tmp_path, [rel], drop), warn=warnings.append)
    assert len(warnings) == 1 and "optional column(s)" in warnings[0] and "priorcertifyflag" in warnings[0]
    assert con.execute("select count(*), count(priorcertifyflag) from raw.chronic").fetchall() == [(101, 0)]


@pytest.mark.parametrize(("rel", "column"), [
    ("2024/public/graddownload2024.txt", "currstatus"),
    ("2022/public/eladownload2022.txt", "statuslevel"),
    ("2019/public/suspdownload2019.txt", "type"),
    ("2023/public/elpidownload2023.txt", "box"),
])
def test_a_missing_needed_column_fails_naming_it(tmp_path, rel, column):
    def drop(rows):
        at = [c.lower() for c in rows[0]].index(column)
        return [[f for i, f in enumerate(r) if i != at] for r in rows]

    raw = _landing_zone(tmp_path, [rel], drop)
    with pytest.raises(RawFileError) as err:
        _load_all(raw)
    text = str(err.value)
    assert f"{Path(rel).name}, line 1:" in text and "missing needed column(s)" in text and f"'{column}" in text


def test_a_renamed_needed_column_names_the_closest_header(tmp_path):
    rel = "2023/public/suspdownload2023.txt"
    rename = lambda rows: [[("curr_status" if c == "currstatus" else c) for c in rows[0]], *rows[1:]]  # noqa: E731
    with pytest.raises(RawFileError, match=r"line 1: .*missing needed column\(s\): 'currstatus' \(closest header "
                                           r"name found: 'curr_status'\)"):
        _load_all(_landing_zone(tmp_path, [rel], rename))


def test_every_sample_file_is_placed_by_the_registry():
    for year in YEARS:
        files = release_files(SAMPLES, Release(year, "public"))
        assert sorted(f.path.name for f in files) == sorted(p.name for p in (SAMPLES / str(year) / "public").iterdir())
        assert all(f.layout.provenance == "verified" for f in files), year


def test_reference_dass_only_files_load_from_the_reference_folder(tmp_path):
    con = duckdb.connect()
    loads = load_reference_inputs(con, SAMPLES, log=quiet)
    dass = next(ld for ld in loads if ld.name == "grad_dassonly")
    assert dass.rows == 158 + 154 and dass.warnings == ()
    assert con.execute("select report_year, stage, count(*), count(charter_flag), count(coe_flag) "
                       "from raw.grad_dassonly group by all order by 1").fetchall() == [
        (2020, "public", 158, 21, 0), (2021, "public", 154, 23, 0)]   # the single-space blanks are NULL


def _landing_zone(tmp_path: Path, rels: list[str], edit=None) -> Path:
    """A copy of sample files, each optionally rewritten by edit(list of rows as lists of fields)."""
    raw = tmp_path / "raw"
    for rel in rels:
        target = raw / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if edit is None:
            shutil.copyfile(SAMPLES / rel, target)
            continue
        lines = (SAMPLES / rel).read_bytes().decode("utf-8").split("\n")
        rows = [line.split("\t") for line in lines if line]
        target.write_bytes(("\n".join("\t".join(r) for r in edit(rows)) + "\n").encode("utf-8"))
    return raw


def _table_contents(con, stem: str) -> list[tuple]:
    return con.execute(f"select * exclude (loaded_at, source_sha256) from raw.{stem} order by all").fetchall()


def _load_all(raw: Path, warn=None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for year in YEARS:
        if (raw / str(year)).exists():
            load_release(con, raw, Release(year, "public"), log=quiet, warn=warn or quiet)
    return con


def _shuffle(rows):
    order = list(range(len(rows[0])))
    random.Random(len(order)).shuffle(order)
    return [[r[i] for i in order] for r in rows]
