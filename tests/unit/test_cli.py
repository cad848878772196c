"""`cadash` answers that need no build: usage errors for an unknown release or an empty raw dir, the
`releases` listing, `generate` refusing a folder it did not make, `report` without a publication, and the guard
that a run Dagster calls successful is no success when it did not publish."""

from __future__ import annotations

import pytest

from orchestration import settings as app_settings
from orchestration.cli import main
from tests.support.builds import BUNDLED_RAW, copy_release_files

GRAD17 = "2017/public/graddownload2017f.txt"


def test_unknown_release_and_empty_raw_dir_are_usage_errors(tmp_path, capsys):
    assert main(["build", "--raw-dir", str(BUNDLED_RAW), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--release", "2019-public"]) == 2
    assert "no files under" in capsys.readouterr().err
    assert main(["build", "--raw-dir", str(BUNDLED_RAW), "--release", "2020-public"]) == 2
    assert "no Dashboards in 2020 and 2021" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["build", "--raw-dir", str(tmp_path / "empty")]) == 2
    assert "no releases under" in capsys.readouterr().err



def test_a_bad_flag_shows_the_subcommands_own_usage(capsys):
    for command in ("build", "report", "releases"):
        with pytest.raises(SystemExit) as exited:
            main([command, "--frobnicate"])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"usage: cadash {command} ") and "unrecognized arguments: --frobnicate" in err


def test_a_mistyped_raw_dir_is_not_told_to_generate(tmp_path, monkeypatch, capsys):
    assert main(["build", "--raw-dir", str(tmp_path / "raw-typo"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "raw-typo: the raw directory does not exist" in err and "Check the path given by --raw-dir" in err
    assert "cadash generate" not in err
    # the default raw dir is the generated set's: there, generating it is the answer
    monkeypatch.setattr(app_settings, "GENERATED_RAW_DIR", tmp_path / "generated" / "raw")
    monkeypatch.setenv(app_settings.ENV_RAW_DIR, str(tmp_path / "generated" / "raw"))
    assert main(["build", "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "Run `cadash generate` first" in capsys.readouterr().err


def test_a_warehouse_path_that_cannot_be_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    for warehouse, why in ((tmp_path, "is a directory, not a DuckDB file"),
                           (tmp_path / "a-file" / "w.duckdb", "which is a file")):
        assert main(["build", "--raw-dir", str(BUNDLED_RAW), "--warehouse", str(warehouse)]) == 2
        err = capsys.readouterr().err
        assert why in err and "nothing was built" in err and len(err.strip().splitlines()) == 1


def test_releases_command_lists_what_is_under_raw(capsys):
    assert main(["releases", "--raw-dir", str(BUNDLED_RAW)]) == 0
    assert capsys.readouterr().out.split() == ["2017-public", "2018-public"]



def test_generate_never_overwrites_a_folder_it_did_not_make(tmp_path, capsys):
    real = copy_release_files(tmp_path / "raw", GRAD17)
    before = (real / GRAD17).read_bytes()
    assert main(["generate", "--out", str(real), "--scale", "0.02", "--years", "2019", "--stems", "grad"]) == 2
    assert "holds no generated set" in capsys.readouterr().err
    assert (real / GRAD17).read_bytes() == before
    out = tmp_path / "gen"
    for _ in range(2):  # a generated set may be replaced by a new one
        assert main(["generate", "--out", str(out), "--scale", "0.02", "--years", "2019", "--stems", "grad"]) == 0
    assert (out / "2019" / "public" / "graddownload2019.txt").exists()



def test_report_without_a_publication_says_what_to_do(tmp_path, capsys):
    assert main(["report", "--publish-dir", str(tmp_path / "published")]) == 1
    assert "nothing is published under" in capsys.readouterr().err
    assert main(["report", "--publish-dir", str(tmp_path / "published"), "--release", "2019-public"]) == 1
    assert "2019-public is not published" in capsys.readouterr().err
    assert not (tmp_path / "published" / "reports").exists()


def test_a_run_that_skipped_publication_is_not_a_success(tmp_path, monkeypatch, capsys):
    """The build's guard (bad-input case 25): a run that Dagster reports successful but in which no publish step
    materialized the release (a skipped step publishes nothing) fails the build, naming the release."""
    from types import SimpleNamespace

    from orchestration import settings as app_settings
    from orchestration.cli import run_blocks
    from tests.support.builds import instance_with_releases

    class SucceededWithoutPublishing:
        def execute_in_process(self, **_kwargs):
            return SimpleNamespace(success=True, run_id="a-run-without-events",
                                   get_asset_materialization_events=lambda: [])

    monkeypatch.setenv(app_settings.ENV_RAW_DIR, str(copy_release_files(tmp_path / "raw", GRAD17)))
    instance = instance_with_releases("2017-public", "2018-public")
    code = run_blocks(SucceededWithoutPublishing(), instance, {}, [("2017-public", "2018-public")],
                      app_settings.load(), 2)
    err = capsys.readouterr().err
    assert code == 1
    assert "BUILD FAILED for 2017-public .. 2018-public: the run ended without publishing 2017-public, 2018-public" \
        in err and "(a step was skipped); the previous publication is unchanged" in err
