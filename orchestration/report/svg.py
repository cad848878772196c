"""Multi-year status trend plots as inline SVG, written in Python (no JavaScript, nothing external).

One plot per indicator: x = report year (linear in the year, so the 2020-2021 gap without Dashboards shows, and a
segment across it is dashed), y = status (points from standard or percent) on a "nice" scale; one line per student
group; each point filled with the colour the result got that year (white where it had none), its year and value as
data attributes (data-year, data-value; its group on the enclosing <g data-group>) and, with its colour, in a <title>
(the tooltip). The scale is exposed on the <svg> element
(data-x-domain, data-y-domain, data-plot) so a reader or a test can map a point back to its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 340, 200
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 52, 14, 12, 26
SERIES_COLOURS = ("#1d2b3a", "#7b3fa0", "#a0522d", "#0f7b7b", "#c2185b", "#5d6d7e")   # not Dashboard hues
SERIES_DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 2", "1 2")


@dataclass(frozen=True)
class LinearScale:
    """Maps a domain [d0, d1] onto a range [r0, r1] (r0 > r1 for an SVG y axis, whose origin is at the top)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (value - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)

    def invert(self, position: float) -> float:
        if self.r1 == self.r0:
            return self.d0
        return self.d0 + (position - self.r0) * (self.d1 - self.d0) / (self.r1 - self.r0)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least `raw`."""
    exponent = math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * 10 ** exponent
        if step >= raw * (1 - 1e-9):
            return step
    return 10 ** (exponent + 1)


def nice_ticks(lo: float, hi: float, count: int = 5, floor_at_zero: bool = False) -> list[float]:
    """Tick values covering [lo, hi] with a round step and about `count` ticks; the first and last tick are the
    domain of the axis. A single value gets a band around it; rates (floor_at_zero) never go below 0."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = max(1.0, abs(lo) * 0.1)
        lo, hi = lo - pad, hi + pad
    step = _nice_step((hi - lo) / max(1, count - 1))
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    if floor_at_zero and start < 0 <= lo:
        start = 0.0
    ticks, value = [], start
    while value <= stop + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    return ticks


def format_value(value: float, unit: str) -> str:
    text = f"{value:,.1f}".replace("-", "\u2212")
    if unit == "%":
        return text + "%"
    return ("+" if value > 0 else "") + text + " pts" if unit == "pts" else text


def _tick_label(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace("-", "\u2212") + ("%" if unit == "%" else "")


@dataclass(frozen=True)
class Point:
    year: int
    value: float
    colour: int          # 0 = no colour
    colour_label: str    # "" where none


@dataclass(frozen=True)
class Series:
    group: str           # code, e.g. ALL
    name: str            # All Students
    points: tuple[Point, ...]


def plot_scales(years: list[int], values: list[float], unit: str) -> tuple[LinearScale, LinearScale, list[float]]:
    ticks = nice_ticks(min(values), max(values), floor_at_zero=(unit == "%" and min(values) >= 0))
    x = LinearScale(min(years), max(years), MARGIN_LEFT + 14, WIDTH - MARGIN_RIGHT - 14)
    y = LinearScale(ticks[0], ticks[-1], HEIGHT - MARGIN_BOTTOM, MARGIN_TOP)
    return x, y, ticks


def _polyline(run: list[Point], x: LinearScale, y: LinearScale, stroke: str, dash: str) -> str:
    if len(run) < 2:
        return ""
    coordinates = " ".join(f"{x(p.year):.1f},{y(p.value):.1f}" for p in run)
    return f'<polyline class="series" stroke="{stroke}"{dash} points="{coordinates}"/>'


def trend_svg(indicator: str, title: str, unit: str, years: list[int], series: list[Series],
              colour_hex: dict[int, str]) -> Markup:
    """The SVG of one indicator's trend. `years`: every report year of the report's trend releases (the x axis);
    `series`: one per student group, points only where the group had a status that year."""
    values = [p.value for s in series for p in s.points]
    if not values:
        return Markup("")
    x, y, ticks = plot_scales(years, values, unit)
    out = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" data-indicator="{escape(indicator)}" '
           f'data-x-domain="{x.d0} {x.d1}" data-y-domain="{y.d0} {y.d1}" '
           f'data-plot="{x.r0} {y.r0} {x.r1} {y.r1}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line class="gridline" x1="{left}" x2="{right}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">'
                   f"{escape(_tick_label(tick, unit))}</text>")
    if unit != "%" and ticks[0] < 0 < ticks[-1]:   # the standard (distance 0) for the academic indicators
        out.append(f'<line class="zero" x1="{left}" x2="{right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    for year in years:
        out.append(f'<text class="tick" x="{x(year):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{year}</text>')
    for number, s in enumerate(series):
        stroke = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = f' stroke-dasharray="{SERIES_DASHES[number % len(SERIES_DASHES)]}"' if number else ""
        points = sorted(s.points, key=lambda p: p.year)
        run: list[Point] = points[:1]
        for a, b in zip(points, points[1:]):
            if any(a.year < yr < b.year for yr in years) or b.year - a.year > 1:   # no Dashboard or no result between
                out.append(_polyline(run, x, y, stroke, dash))
                out.append(f'<line class="series gap" stroke="{stroke}" stroke-dasharray="2 4" x1="{x(a.year):.1f}" '
                           f'y1="{y(a.value):.1f}" x2="{x(b.year):.1f}" y2="{y(b.value):.1f}"/>')
                run = [b]
            else:
                run.append(b)
        out.append(_polyline(run, x, y, stroke, dash))
        out.append(f'<g class="points" stroke="{stroke}" data-group="{escape(s.group)}">')
        for p in points:
            fill = colour_hex.get(p.colour, "#ffffff")
            label = f"{s.group} {p.year}: {format_value(p.value, unit)}, {p.colour_label or 'no colour'}"
            out.append(f'<circle cx="{x(p.year):.1f}" cy="{y(p.value):.1f}" r="4.5" fill="{fill}" data-year="{p.year}" '
                       f'data-value="{p.value}"><title>{escape(label)}</title></circle>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
