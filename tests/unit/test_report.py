"""The report's drawing and formatting parts (issue 8), without a build or a browser: the linear scale and its
ticks, the trend SVG, colour chips and escaping, the stylesheet's colours, the releases a trend takes."""

from __future__ import annotations

import re

import pytest

from orchestration.report import svg
from orchestration.report.builder import trend_releases
from orchestration.report.model import BADGE_HEX, COLOUR_HEX, colourize
from orchestration.report.render import STYLESHEET

RED, ORANGE, YELLOW, GREEN = 1, 2, 3, 4


def test_the_linear_scale_maps_and_inverts():
    y = svg.LinearScale(-300, 0, 174, 12)         # an SVG y axis: the domain's top is the range's smaller end
    assert (y(-300), y(0), y(-150)) == (174, 12, 93)
    assert y.invert(93) == -150
    assert svg.LinearScale(5, 5, 100, 0)(5) == 50   # a single value sits in the middle


def test_nice_ticks_cover_the_values_with_a_round_step():
    assert svg.nice_ticks(-277.5, -22.5) == [-300, -200, -100, 0]
    assert svg.nice_ticks(8.2, 9.7) == [8.0, 8.5, 9.0, 9.5, 10.0]
    assert svg.nice_ticks(3.0, 3.0) == [2.0, 2.5, 3.0, 3.5, 4.0]          # one value: a band around it
    assert svg.nice_ticks(1.0, 38.0, floor_at_zero=True)[0] == 0         # a rate's axis starts at 0 at the lowest
    ticks = svg.nice_ticks(-97.3, 412.9)
    assert ticks[0] <= -97.3 and ticks[-1] >= 412.9 and len(ticks) <= 7


def test_the_trend_svg_puts_each_point_at_its_year_and_value():
    points = (svg.Point(2019, -40.0, 1, "Red"), svg.Point(2022, -10.0, 0, ""), svg.Point(2023, 20.0, 4, "Green"))
    markup = str(svg.trend_svg("ela", "ELA <status>", "pts", [2018, 2019, 2022, 2023],
                               [svg.Series("S<D>", "Students with Disabilities", points)],
                               {1: "#c8102e", 4: "#2f7d32"}))
    x, y, ticks = svg.plot_scales([2018, 2019, 2022, 2023], [-40.0, -10.0, 20.0], "pts")
    assert ticks == [-40, -20, 0, 20]
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="4.5" fill="(#\w+)" data-year="(\d+)" '
                         r'data-value="([-\d.]+)">', markup)
    assert [(int(c[3]), float(c[4]), c[2]) for c in circles] == [(2019, -40.0, "#c8102e"), (2022, -10.0, "#ffffff"),
                                                                   (2023, 20.0, "#2f7d32")]
    for cx, cy, _fill, year, value in circles:
        assert float(cx) == pytest.approx(x(int(year)), abs=0.05)
        assert float(cy) == pytest.approx(y(float(value)), abs=0.05)
    assert y(20) < y(-40)                                            # higher values are drawn higher
    assert markup.count('class="series gap"') == 1                   # 2019 -> 2022 spans the years without Dashboards
    assert 'points="' in markup                                      # 2022 -> 2023: a solid polyline
    assert "<D>" not in markup and 'data-group="S&lt;D&gt;"' in markup and "<title>S&lt;D&gt; 2019: " in markup
    assert "<status>" not in markup and "&lt;status&gt;" in markup
    assert 'data-y-domain="-40 20"' in markup


def test_colour_words_become_chips_and_the_rest_is_escaped():
    html = str(colourize("ELA Red + Math <Orange> & Redwood"))
    assert html == ('ELA <span class="chip col-red">Red</span> + Math &lt;<span class="chip col-orange">Orange</span>'
                    '&gt; &amp; Redwood')


def test_the_stylesheet_uses_the_colours_of_the_page_model():
    css = STYLESHEET.read_text()
    for label, hex_colour in COLOUR_HEX.items():
        assert re.search(rf"\.col-{label.lower()} {{ background: {hex_colour};", css), label
    for name, hex_colour in BADGE_HEX.items():
        assert re.search(rf"\.badge-{name}\b[^{{]*{{ background: {hex_colour};", css), name
    assert "http:" not in css and "https:" not in css and "@import" not in css and "url(" not in css


def test_trend_releases_take_each_years_public_release_else_its_preview():
    from orchestration.releases.discovery import Release

    available = ["2019-preview", "2022-preview", "2022-public", "2023-preview", "2023-public", "2024-public"]
    assert trend_releases(available, Release.parse("2023-preview")) == [
        "2019-preview", "2022-public", "2023-preview"]
    assert trend_releases(available, Release.parse("2024-public")) == [
        "2019-preview", "2022-public", "2023-public", "2024-public"]
