"""One indicator's section of a page: the 5x5 grid with each student group in its box, and the results table.

Written in Python rather than in a Jinja macro: it is the bulk of every LEA page (up to eight per page, 2,230 LEA
pages at California scale), and string building with one escape per value is several times faster than a macro.
Every text that comes from the data is escaped here (html.escape); the result is Markup for the templates.

The grid: rows are status levels 5 (best) .. 1 top to bottom, columns change levels 1 .. 5, so CDE's box number
((5 - status level) x 5 + change level) x 10 runs in reading order; each box is coloured as the rule seeds' grid says
(seeds/rules/color_grids.csv), N/A boxes hatched, the box number (<i>) in its corner. Row and column headers carry their
level as data attributes (data-status-level, data-change-level); the boxes carry nothing more, as every byte here is
repeated some 12,000 times in a statewide report.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup


def _chip(view: dict) -> str:
    """A student group in its box; the table beside the grid has its values (kept out of the chip: 2,230 pages)."""
    return (f'<b class="group" data-group="{escape(view["group"])}" title="{escape(view["group_name"])}">'
            f'{escape(view["group"])}{"<sup>SN</sup>" if view["safety_net"] else ""}</b>')


def _colour_class(label: str) -> str:
    return "col-" + (label.lower().replace("/", "") if label else "none")


def _colour_chip(label: str) -> str:
    if not label:
        return '<span class="chip col-none">none</span>'
    return f'<span class="chip {_colour_class(label)}">{escape(label)}</span>'


def _colour_grid(section: dict, grid: dict, year: int, several: bool) -> list[str]:
    out = []
    if several:
        tables = ", ".join(grid["tables"])
        out.append(f'<p class="muted">Cut-point table{"s" if len(grid["tables"]) > 1 else ""}: {escape(tables)}</p>')
    out.append(f'<table class="grid" data-indicator="{escape(section["indicator"])}">'
               f"<caption>{year}: status level (rows) × change level (columns)</caption>"
               '<thead><tr><th scope="col" class="corner">Status \\ Change</th>')
    for level, label in grid["columns"]:
        out.append(f'<th scope="col" data-change-level="{level}">{escape(label)}</th>')
    out.append("</tr></thead><tbody>")
    for row in grid["rows"]:
        out.append(f'<tr><th scope="row" data-status-level="{row["level"]}">{escape(row["label"])}</th>')
        for box in row["boxes"]:
            label = box["colour_label"]
            chips = "".join(_chip(v) for v in box["groups"])
            out.append(f'<td class="box {_colour_class(label)}"><i>{box["box"]}</i>{chips}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    if grid["unplaced"]:
        items = []
        for v in grid["unplaced"]:
            reason = f" ({escape(v['reason'])})" if v["reason"] else ""
            items.append(f'<span class="group-plain" title="{escape(v["group_name"])}">{escape(v["group"])}</span>'
                         f"{reason}")
        out.append(f'<p class="unplaced">No colour: {", ".join(items)}</p>')
    return out


def _status_column(section: dict, year: int) -> list[str]:
    out = [f'<table class="grid status-only" data-indicator="{escape(section["indicator"])}">'
           f"<caption>Status only in {year}: no change level or colour</caption><tbody>"]
    for row in section["status_column"]["rows"]:
        chips = "".join(_chip(v) for v in row["groups"])
        out.append(f'<tr><th scope="row" data-status-level="{row["level"]}">{escape(row["label"])}</th>'
                   f'<td class="box level" data-status-level="{row["level"]}">{chips}</td></tr>')
    out.append("</tbody></table>")
    return out


def indicator_section(section: dict, year: int) -> Markup:
    """The <section> of one indicator: what is measured, the grid (or status column), the results table."""
    indicator = escape(section["indicator"])
    lower = "; lower is better" if section["direction"] == "lower" else ""
    out = [f'<section class="indicator" id="grid-{indicator}"><h3>{escape(section["name"])}</h3>'
           f'<p class="muted">{escape(section["measure"])}{lower}.</p>'
           '<div class="indicator-body"><div class="grid-col">']
    if section["reporting"] == "colour":
        for grid in section["grids"]:
            out += _colour_grid(section, grid, year, len(section["grids"]) > 1)
    elif section["reporting"] == "status_only":
        out += _status_column(section, year)
    else:
        what = "counts only (no status level or colour)" if section["reporting"] == "counts_only" else "not reported"
        out.append(f'<p class="muted">{year}: {what}.</p>')
    out.append(f'</div><div class="results-col"><table class="data compact results" data-indicator="{indicator}">'
               '<thead><tr><th scope="col">Student group</th><th scope="col" class="num">n</th>'
               '<th scope="col" class="num">Status</th><th scope="col" class="num">Change</th>'
               '<th scope="col">Colour</th><th scope="col" class="num">Box</th></tr></thead><tbody>')
    for v in section["results"]:
        net = ' <sup class="muted">SN</sup>' if v["safety_net"] else ""
        n = f"{v['n']:,}" if v["n"] is not None else "–"
        out.append(f'<tr data-group="{escape(v["group"])}"><td>{escape(v["group_name"])}{net}</td><td>{n}</td>'
                   f'<td title="{escape(v["status_label"])}">{escape(v["status"])}</td><td>{escape(v["change"])}</td>'
                   f'<td>{_colour_chip(v["colour_label"])}</td><td>{v["box"] or ""}</td></tr>')
    out.append("</tbody></table></div></div></section>")
    return Markup("".join(out))
