"""Rendering: the Jinja environment (templates/) and the pages of one release written into a directory.

    <out>/index.html          the state page
    <out>/county/<CC>.html    a page per county
    <out>/lea/<cds>.html      a page per LEA
    <out>/report.css

The pages' parts come from the page model (model.py); the pages carry no build time, so the same data gives the same
files. Where the directory goes (staging, the release's link) is builder.py's business.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import jinja2

from orchestration.report.data import STATE_CDS, ReportData
from orchestration.report.model import COLOUR_HEX, Labels, Listings, PageModel, badge_class, colourize, shown_schools

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "report.css"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["colourize"] = colourize
    env.filters["badge_class"] = badge_class
    env.filters["thousands"] = lambda n: f"{n:,}" if n is not None else "–"
    env.filters["plural"] = lambda n, one, many=None: f"{n:,} {one if n == 1 else (many or one + 's')}"
    return env


def releases_page(releases: list[str], latest: str | None) -> str:
    """reports/index.html: the releases that have a report, newest first."""
    return _environment().get_template("releases.html.j2").render(releases=releases, latest=latest)


def render(data: ReportData, out: Path, log=print) -> dict[str, int]:
    """Write the pages of one release into `out` (which must not hold them yet); returns the pages written by kind
    (state, county, lea)."""
    model = PageModel(data, Labels.load())
    env = _environment()
    release = data.release
    common = {
        "year": release.report_year, "stage": release.stage, "release_key": release.key,
        "manifest": data.manifest, "version_dir": data.version_dir, "trend_releases": data.trend_releases,
        "colour_hex": COLOUR_HEX, "diff_available": data.diff_available, "diff_source": data.diff_source,
        "counties": data.counties,
    }
    (out / "county").mkdir(parents=True)
    (out / "lea").mkdir()
    shutil.copyfile(STYLESHEET, out / "report.css")
    listings = model.listings()
    pages = {"state": _state_page(env, common, model, listings, out)}
    log(f"report {release.key}: state page written ({len(listings.counties)} counties, {len(data.leas):,} LEAs)")
    pages["county"] = _county_pages(env, common, model, listings, out)
    log(f"report {release.key}: {pages['county']} county pages written")
    pages["lea"] = _lea_pages(env, common, model, listings, out, log)
    log(f"report {release.key}: {pages['lea']:,} LEA pages written")
    return pages


def _state_page(env: jinja2.Environment, common: dict, model: PageModel, listings: Listings, out: Path) -> int:
    data = model.data
    html = env.get_template("state.html.j2").render(
        **common, root="", crumbs=[("California", None)], counts=model.state_counts(),
        county_rows=listings.counties, grids=model.grids(STATE_CDS), trends=model.trends(STATE_CDS),
        flips=listings.flips, change_summary=model.change_table(), changes=data.entity_changes.get(STATE_CDS, []),
        indicators=data.indicators, reconciliation=data.reconciliation)
    (out / "index.html").write_text(html, encoding="utf-8")
    return 1


def _county_pages(env: jinja2.Environment, common: dict, model: PageModel, listings: Listings, out: Path) -> int:
    template = env.get_template("county.html.j2")
    for county in listings.counties:
        code = county["code"]
        schools = listings.schools_by_county.get(code, [])
        html = template.render(
            **common, root="../", crumbs=[("California", "../index.html"), (f"{county['name']} County", None)],
            county=county, leas=listings.leas_by_county.get(code, []), schools=shown_schools(schools),
            schools_total=len(schools), near_misses=listings.near_by_county.get(code, []),
            flips=listings.flips_by_county.get(code, []), changed_rows=model.data.county_change_counts.get(code, 0))
        (out / "county" / f"{code}.html").write_text(html, encoding="utf-8")
    return len(listings.counties)


def _lea_pages(env: jinja2.Environment, common: dict, model: PageModel, listings: Listings, out: Path, log) -> int:
    data = model.data
    template = env.get_template("lea.html.j2")
    started = time.monotonic()
    written = 0
    for lea in sorted(data.leas.values(), key=lambda r: r["cds"]):
        cds = lea["cds"]
        code = cds[:2]
        schools = listings.schools_by_lea.get(cds, [])
        html = template.render(
            **common, root="../",
            crumbs=[("California", "../index.html"), (f"{data.counties[code]} County", f"../county/{code}.html"),
                    (lea.get("lea_name") or cds, None)],
            lea=model.lea_row(lea), county={"code": code, "name": data.counties[code]},
            grids=model.grids(cds), trends=model.trends(cds), schools=shown_schools(schools),
            schools_total=len(schools), near_misses=listings.near_by_lea.get(cds, []),
            flips=listings.flips_by_lea.get(cds, []), changes=data.entity_changes.get(cds, []),
            school_changes=data.school_change_counts.get(cds, 0))
        (out / "lea" / f"{cds}.html").write_text(html, encoding="utf-8")
        written += 1
        if written % 500 == 0:
            log(f"report {data.release.key}: {written:,} of {len(data.leas):,} LEA pages written "
                f"({time.monotonic() - started:.1f} s)")
    return written
