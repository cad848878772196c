"""Freshness expectations per release (orchestration/quality/freshness.py), on both sides of each boundary: the
one-day publication lag, CDE's calendar dates (preview by 1 December, public by 1 January) and the season's start
(October)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from orchestration.quality.freshness import release_freshness, season_year
from tests.support.inputs import land_at


def test_publication_lag_one_day_either_side(tmp_path):
    raw, pub = tmp_path / "raw", tmp_path / "pub"
    landed = datetime(2025, 11, 10, 8, 0, tzinfo=UTC)
    land_at(raw, "2025-preview", landed)
    assert _statuses(raw, pub, landed + timedelta(hours=23)) == {"2025-preview": "pending"}
    assert _statuses(raw, pub, landed + timedelta(hours=25)) == {"2025-preview": "overdue"}
    _publish(pub, "2025-preview", landed + timedelta(hours=2))
    assert _statuses(raw, pub, landed + timedelta(days=5)) == {"2025-preview": "fresh"}
    # a corrected file lands after the publication: stale again until rebuilt
    land_at(raw, "2025-preview", landed + timedelta(days=6))
    (result,) = release_freshness(raw, pub, landed + timedelta(days=8))
    assert result.status == "overdue" and result.is_problem
    assert "files landed 2.0 days ago" in result.detail and "publication of 2025-11-10 10:00 UTC" in result.detail


def test_calendar_dates_of_this_season_only(tmp_path):
    raw, pub = tmp_path / "raw", tmp_path / "pub"
    raw.mkdir()
    # 2025 season: preview due 1 Dec 2025, public due 1 Jan 2026
    assert _statuses(raw, pub, datetime(2025, 11, 30, 23, tzinfo=UTC)) == {}
    assert _statuses(raw, pub, datetime(2025, 12, 1, 0, 30, tzinfo=UTC)) == {"2025-preview": "not arrived"}
    assert _statuses(raw, pub, datetime(2026, 1, 1, 12, tzinfo=UTC)) == {
        "2025-preview": "not arrived", "2025-public": "not arrived"}
    # earlier years' missing releases are not expected (CDE does not hand out old previews)
    land_at(raw, "2024-public", datetime(2024, 12, 2, tzinfo=UTC))
    _publish(pub, "2024-public", datetime(2024, 12, 2, 1, tzinfo=UTC))
    assert _statuses(raw, pub, datetime(2025, 12, 15, tzinfo=UTC)) == {"2024-public": "fresh",
                                                                      "2025-preview": "not arrived"}


def test_a_season_the_registry_does_not_know(tmp_path):
    raw, pub = tmp_path / "raw", tmp_path / "pub"
    raw.mkdir()
    assert season_year(datetime(2026, 9, 30, tzinfo=UTC)) == 2025
    assert season_year(datetime(2026, 10, 1, tzinfo=UTC)) == 2026
    # still the 2025 season on 30 September: its releases are expected, 2026 is not yet
    assert _statuses(raw, pub, datetime(2026, 9, 30, 12, tzinfo=UTC)) == {
        "2025-preview": "not arrived", "2025-public": "not arrived"}
    (result,) = release_freshness(raw, pub, datetime(2026, 10, 1, 12, tzinfo=UTC))
    assert (result.release, result.status) == ("2026-preview", "unknown year")
    assert "no layouts" in result.detail


def _publish(pub, key: str, when: datetime) -> None:
    (pub / key).mkdir(parents=True, exist_ok=True)
    (pub / key / "manifest.json").write_text(json.dumps({"release": key, "built_at": when.isoformat()}))


def _statuses(raw, pub, now) -> dict[str, str]:
    return {r.release: r.status for r in release_freshness(raw, pub, now)}
