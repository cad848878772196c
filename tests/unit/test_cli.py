"""`cadash` answers that need no build: usage errors for an unknown release or an empty raw dir, the
`releases` listing, `generate` refusing a folder it did not make, `report` without a publication, and the guard
that a run Dagster calls successful is no success when it did not publish."""

from __future__ import annotations

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
