"""Schedules and the raw-folder sensor (issue 8): the right release for the right tick, skips with a reason, and a
sensor that requests a run only for a release whose files are new or changed."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration import settings as app_settings
from orchestration.schedules import annual_release, preview_window, raw_files_changed, release_partitions
from tests.support.builds import copy_release_files

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture()
def raw(tmp_path, monkeypatch):
    path = copy_release_files(tmp_path / "raw", "2018/public/elpidownload2018.txt", "2018/public/LocalIndPerf2018.txt")
    monkeypatch.setenv(app_settings.ENV_RAW_DIR, str(path))
    return path


def _tick(schedule, when: datetime, instance=None):
    if instance is None:
        with dg.instance_for_test() as instance:
            return _tick(schedule, when, instance)
    return schedule(dg.build_schedule_context(scheduled_execution_time=when, instance=instance))


def test_the_annual_schedule_builds_this_years_public_release(raw):
    with dg.instance_for_test() as instance:
        result = _tick(annual_release, datetime(2018, 12, 3, 7, tzinfo=PACIFIC), instance)
        assert instance.get_dynamic_partitions("releases") == ["2018-public"]   # its partition exists first
    assert isinstance(result, dg.RunRequest)
    assert result.partition_key == "2018-public" and result.run_key.startswith("2018-public:")


def test_a_tick_before_the_files_arrive_is_skipped_with_the_reason(raw):
    result = _tick(preview_window, datetime(2018, 10, 15, 7, tzinfo=PACIFIC))   # no 2018/preview folder
    assert isinstance(result, dg.SkipReason) and "2018/preview" in result.skip_message
    (raw / "2018" / "preview").mkdir()
    (raw / "2018" / "preview" / "elpidownload2018.txt").write_bytes((raw / "2018/public/elpidownload2018.txt")
                                                                   .read_bytes())
    result = _tick(preview_window, datetime(2018, 10, 16, 7, tzinfo=PACIFIC))
    assert isinstance(result, dg.RunRequest) and result.partition_key == "2018-preview"
    result = _tick(annual_release, datetime(2020, 12, 1, 7, tzinfo=PACIFIC))     # no Dashboard in 2020
    assert isinstance(result, dg.SkipReason) and "2020" in result.skip_message


def test_the_schedules_fire_in_their_windows():
    assert preview_window.cron_schedule == "0 7 * 10-11 1-5" and annual_release.cron_schedule == "0 7 * 12 1-5"
    assert preview_window.execution_timezone == annual_release.execution_timezone == "America/Los_Angeles"
    assert preview_window.job_name == annual_release.job_name == "build_release"


def _apply(instance, result):
    for request in result.dynamic_partitions_requests or []:   # what the daemon does with them
        if isinstance(request, dg.DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
        else:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


def test_the_sensor_requests_only_new_or_changed_releases(raw):
    instance = dg.DagsterInstance.ephemeral()
    first = raw_files_changed(dg.build_sensor_context(cursor=None, instance=instance))
    _apply(instance, first)
    assert [r.partition_key for r in first.run_requests] == ["2018-public"]
    assert instance.get_dynamic_partitions("releases") == ["2018-public"]
    again = raw_files_changed(dg.build_sensor_context(cursor=first.cursor, instance=instance))
    assert not again.run_requests and "no new or changed" in again.skip_reason.skip_message   # nothing changed
    assert not again.dynamic_partitions_requests
    copy_release_files(raw, "2017/public/graddownload2017f.txt")  # a new, older release arrives
    path = raw / "2018/public/LocalIndPerf2018.txt"
    path.write_bytes(path.read_bytes() + b"")
    os.utime(path, ns=(1, 1))                                   # and a 2018 file is replaced (new mtime)
    later = raw_files_changed(dg.build_sensor_context(cursor=first.cursor, instance=instance))
    _apply(instance, later)
    assert instance.get_dynamic_partitions("releases") == ["2017-public", "2018-public"]   # in time order
    (run,) = later.run_requests                                # neighbours: one run over both
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        "2017-public", "2018-public")
    assert run.run_key not in {r.run_key for r in first.run_requests}


def test_the_partition_sensor_keeps_the_list_equal_to_the_raw_dir(raw):
    instance = dg.DagsterInstance.ephemeral()
    result = release_partitions(dg.build_sensor_context(instance=instance))
    _apply(instance, result)
    assert instance.get_dynamic_partitions("releases") == ["2018-public"] and not result.run_requests
    again = release_partitions(dg.build_sensor_context(instance=instance))
    assert isinstance(again, dg.SkipReason) and "1 release" in again.skip_message
    copy_release_files(raw, "2017/public/graddownload2017f.txt")
    _apply(instance, release_partitions(dg.build_sensor_context(instance=instance)))
    assert instance.get_dynamic_partitions("releases") == ["2017-public", "2018-public"]


def test_a_changed_year_rebuilds_itself_and_the_later_years_never_the_earlier(raw):
    copy_release_files(raw, "2017/public/graddownload2017f.txt")
    preview = raw / "2018" / "preview"
    preview.mkdir()
    (preview / "elpidownload2018.txt").write_bytes((raw / "2018/public/elpidownload2018.txt").read_bytes())
    instance = dg.DagsterInstance.ephemeral()
    first = raw_files_changed(dg.build_sensor_context(cursor=None, instance=instance))
    _apply(instance, first)
    assert instance.get_dynamic_partitions("releases") == ["2017-public", "2018-preview", "2018-public"]

    def ranges(result):
        return [(r.tags.get("dagster/asset_partition_range_start", r.partition_key),
                 r.tags.get("dagster/asset_partition_range_end", r.partition_key)) for r in result.run_requests]

    os.utime(preview / "elpidownload2018.txt", ns=(2, 2))        # a 2018 file: 2018's releases, not 2017
    later = raw_files_changed(dg.build_sensor_context(cursor=first.cursor, instance=instance))
    assert ranges(later) == [("2018-preview", "2018-public")]
    os.utime(raw / "2017/public/graddownload2017f.txt", ns=(3, 3))   # a 2017 file: every later release too
    latest = raw_files_changed(dg.build_sensor_context(cursor=later.cursor, instance=instance))
    assert ranges(latest) == [("2017-public", "2018-public")]
