"""The HTML report (issue 8): hand-worked releases built by `cadash build` (which writes the report after publishing),
then the pages opened from file:// in a real headless browser (playwright driving Debian's chromium).

The fixture: report years 2022 (public), 2023 (preview and public) and 2024 (public), two counties.
- Poppy Unified (Alameda): DA in 2023, Students with Disabilities meeting P4 (ELA Red + math Orange) and P5 (chronic
  absenteeism Red), in both stages; its All Students ELA status in 2022, 2023 and 2024 (the trend); its school
  Lupine Elementary, all Red and Title I: CSI Low Performing (ESSA).
- Manzanita Elementary: suspension Orange in the preview, Red in public: newly identified in public (the flip).
- Sequoia Joint: P5 only, math Yellow: a near miss (math one level worse would identify it).
- Cypress Hills Unified (Los Angeles): not identified; the state has an All Students ELA row each year.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest

from orchestration import settings as app_settings
from orchestration import vocabulary
from orchestration.publish.store import tree_state
from orchestration.report import svg
from orchestration.report.builder import ReportError, build_report, build_reports
from orchestration.report.model import BADGE_HEX, COLOUR_HEX, PageModel
from tests.support.browser import launch_chromium
from tests.support.builds import FIXTURES, build_in_isolation
from tests.support.eligibility_fixtures import FixtureReleases

RED, ORANGE, YELLOW, GREEN = 1, 2, 3, 4
STATE = "00000000000000"
COUNTIES = {"01": "Alameda", "19": "Los Angeles"}
SEEDS = app_settings.DBT_PROJECT_DIR / "seeds"
GOLDEN = FIXTURES / "report" / "county_01_2023-public.png"
VIEWPORT = {"width": 1200, "height": 900}
# the screenshot may differ from the golden in this share of its pixels (font hinting, antialiasing)
SCREENSHOT_TOLERANCE = 0.02


def lea(n: int, county: str = "01") -> str:
    return f"{county}{62100 + n:05d}0000000"


def school(n: int, district: int = 1) -> str:
    return f"01{62100 + district:05d}{3000000 + n:07d}"


POPPY, MANZANITA, SEQUOIA, CYPRESS, LUPINE = lea(1), lea(2), lea(3), lea(4, "19"), school(1)


def _fixture_releases() -> FixtureReleases:
    f = FixtureReleases()
    both = ("preview", "public")

    def add(year, cds, indicator, group, rating, stages=("public",), name=None):
        for stage in stages:
            f.result(year, cds, indicator, group, rating, stage=stage, name=name)

    def state(year, indicator, group, rating, stages):
        for stage in stages:   # the fixture builder writes LEA rows; this one becomes the state's row
            f.result(year, lea(99), indicator, group, rating, stage=stage)
            f.rows[(year, stage, indicator)][-1].update(cds=STATE, rtype="X", districtname=None, countyname=None)

    for year, stages, (state_rating, poppy_rating) in ((2022, ("public",), (3, 2)), (2023, both, (YELLOW, ORANGE)),
                                                       (2024, ("public",), (GREEN, YELLOW))):
        state(year, "ela", "ALL", state_rating, stages)
        add(year, POPPY, "ela", "ALL", poppy_rating, stages, name="Poppy Unified")
    add(2023, POPPY, "ela", "SWD", RED, both, name="Poppy Unified")
    add(2023, POPPY, "math", "SWD", ORANGE, both, name="Poppy Unified")
    add(2023, POPPY, "chronic", "SWD", RED, both, name="Poppy Unified")
    add(2023, MANZANITA, "chronic", "SWD", RED, both, name="Manzanita Elementary")
    add(2023, MANZANITA, "susp", "SWD", ORANGE, ("preview",), name="Manzanita Elementary")
    add(2023, MANZANITA, "susp", "SWD", RED, ("public",), name="Manzanita Elementary")
    add(2023, SEQUOIA, "ela", "SWD", RED, both, name="Sequoia Joint")
    add(2023, SEQUOIA, "math", "SWD", YELLOW, both, name="Sequoia Joint")
    add(2023, SEQUOIA, "chronic", "SWD", RED, both, name="Sequoia Joint")
    for year, stages in ((2023, both), (2024, ("public",))):
        for indicator in ("ela", "math", "chronic", "susp"):
            add(year, LUPINE, indicator, "ALL", RED, stages, name="Lupine Elementary")
        f.title(year, LUPINE, True)
    add(2023, CYPRESS, "ela", "ALL", GREEN, both, name="Cypress Hills Unified")
    add(2024, CYPRESS, "ela", "ALL", GREEN, name="Cypress Hills Unified")
    for rows in f.rows.values():
        for row in rows:
            if row["rtype"] != "X":
                row["countyname"] = COUNTIES[row["cds"][:2]]
    return f


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    raw = _fixture_releases().write(root / "raw")
    out = root / "published"
    assert build_in_isolation(["--raw-dir", str(raw), "--warehouse", str(root / "w.duckdb"),
                               "--publish-dir", str(out)]) == 0
    return out


def _report(published: Path, release: str = "2023-public") -> Path:
    return published / "reports" / release


def _query(published: Path, release: str, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(published / release / "snapshot.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as instance:
        yield instance


class Opened:
    """A page opened from file:// with every request recorded (anything but file:// is aborted) and every console
    error and page error kept."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.requests: list[str] = []
        self.errors: list[str] = []

        def route(r):
            self.requests.append(r.request.url)
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.context.close()


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


# --------------------------------------------------------------------------------------------------- seeds
def _seed_colour_label(code: int) -> str:
    with (SEEDS / "eligibility" / "level_labels.csv").open(newline="") as handle:
        return next(r["label"] for r in csv.DictReader(handle) if r["measure"] == "color" and int(r["rating"]) == code)


def _seed_status_label(direction: str, level: int) -> str:
    with (SEEDS / "eligibility" / "level_labels.csv").open(newline="") as handle:
        return next(r["label"] for r in csv.DictReader(handle) if r["measure"] == "status_level"
                    and r["better_direction"] == direction and int(r["rating"]) == level)


def _seed_grid_colour(indicator: str, year: int, status_level: int, change_level: int) -> int:
    with (SEEDS / "rules" / "color_grids.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["indicator"] == indicator and r["cut_table"] == "*"
                and int(r["first_year"]) <= year <= int(r["last_year"]) and int(r["status_level"]) == status_level]
    return int(rows[0][f"color_change_{change_level}"])


def _seed_change_label(indicator: str, year: int, change_level: int) -> str:
    with (SEEDS / "rules" / "change_cut_points.csv").open(newline="") as handle:
        return next(r["level_name"] for r in csv.DictReader(handle) if r["indicator"] == indicator
                    and r["cut_table"] == "*" and int(r["first_year"]) <= year <= int(r["last_year"])
                    and int(r["change_level"]) == change_level)














# --------------------------------------------------------------------------------------------------- the build
def test_cadash_build_writes_a_report_per_release(published):
    reports = published / "reports"
    for key in ("2022-public", "2023-preview", "2023-public", "2024-public"):
        assert (reports / key).is_symlink() and (reports / key / "index.html").is_file(), key
    assert os.readlink(reports / "latest") == "2024-public"
    assert sorted(p.name for p in (_report(published) / "lea").iterdir()) == sorted(
        f"{c}.html" for c in (POPPY, MANZANITA, SEQUOIA, CYPRESS))
    assert sorted(p.name for p in (_report(published) / "county").iterdir()) == ["01.html", "19.html"]
    assert not [p for p in reports.iterdir() if p.name.startswith(".staging")]
    assert 'href="2023-public/index.html"' in (reports / "index.html").read_text()


def test_the_state_page_counts_are_the_marts_counts(published, browser):
    key = "2023-public"
    with Opened(browser, _report(published, key) / "index.html") as opened:
        page = opened.page

        def count(selector: str) -> int:
            return int(page.locator(selector).get_attribute("data-count"))

        eligible, leas = _query(published, key, "select count(*) filter (where is_eligible), count(*) "
                                                "from marts.fct_da_eligibility")[0]
        assert (count("#da-eligible"), count("#da-leas")) == (eligible, leas) == (2, 4)
        for status, n in _query(published, key, "select assistance_status, count(*) from marts.fct_da_eligibility "
                                                "group by all"):
            assert count(f'#da-status td[data-status="{status}"]') == n, status
        schools = _query(published, key, "select count(*) from marts.fct_essa_school_determinations")[0][0]
        assert count("#essa-schools") == schools == 1
        by_status = dict(_query(published, key, "select assistance_status, count(*) "
                                                "from marts.fct_essa_school_determinations group by all"))
        for status in vocabulary.essa_statuses():
            assert count(f'#essa-status td[data-status="{status}"]') == by_status.get(status, 0), status
        assert by_status == {"CSI Low Performing": 1}
        entities = _query(published, key, "select count(distinct (program, cds)) "
                                          "from marts.fct_eligibility_near_misses")[0][0]
        assert count("#near-miss-entities") == entities == 3
        counties = page.locator("#counties tbody tr")
        assert counties.count() == 2
        assert page.locator('#counties a[href="county/01.html"]').inner_text() == "Alameda"
        assert opened.errors == []


def test_every_link_resolves_and_nothing_leaves_file_urls(published, browser):
    """Crawl each release's report from its state page: every relative link and resource names a file in the
    folder, every page is reached, no request goes anywhere but file://, and no page logs an error."""
    for key in ("2022-public", "2023-preview", "2023-public", "2024-public"):
        root = _report(published, key).resolve()
        pages = {p.resolve() for p in root.rglob("*.html")}
        seen, queue = set(), [root / "index.html"]
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            with Opened(browser, path) as opened:
                links = opened.page.evaluate(
                    "() => [...document.querySelectorAll('a[href], link[href], img[src], script[src]')]"
                    ".map(e => [e.getAttribute('href') || e.getAttribute('src'), e.href || e.src])")
                ids = set(opened.page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
                assert opened.errors == [], (path, opened.errors)
                assert opened.requests and all(u.startswith("file://") for u in opened.requests), opened.requests
            for raw, resolved in links:
                assert not re.match(r"^[a-z]+:", raw) and not raw.startswith("/"), (path, raw)   # relative only
                url = urlparse(resolved)
                target = Path(unquote(url.path))
                if raw.startswith("#"):
                    assert raw[1:] in ids, (path, raw)
                    continue
                assert target.is_file(), (path, raw)
                assert str(target.resolve()).startswith(str(root)), (path, raw)     # never outside the folder
                if target.suffix == ".html":
                    queue.append(target.resolve())
        assert seen == pages, f"{key}: pages no link reaches: {sorted(map(str, pages - seen))}"
        for path in pages:   # no absolute URL to load anything (the SVG namespace is a name, not a request)
            text = path.read_text()
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
            assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), path


def test_the_lea_page_shows_the_determination_and_its_evidence(published, browser):
    key = "2023-public"
    explanation, status, methods = _query(
        published, key, "select explanation, assistance_status, methods_met from marts.fct_da_eligibility "
                        "where cds = ?", [POPPY])[0]
    assert (status, explanation) == ("Differentiated Assistance, Year 1",
                                     "Eligible (Method 1): SWD met P4 (ELA Red + Math Orange), P5 (Chronic "
                                     "Absenteeism Red)")
    with Opened(browser, _report(published, key) / "lea" / f"{POPPY}.html") as opened:
        page = opened.page
        assert page.locator("#determination .badge").first.inner_text() == status
        assert page.locator("#explanation").inner_text() == explanation
        assert page.locator(".crumbs a").all_inner_texts() == ["California", "Alameda County"]
        assert [a.get_attribute("href") for a in page.locator(".crumbs a").all()] == [
            "../index.html", "../county/01.html"]
        rows = page.locator("#evidence tbody tr")
        evidence = {(r.get_attribute("data-group"), r.get_attribute("data-priority")): r.inner_text()
                    for r in rows.all()}
        assert set(evidence) == {("SWD", "4"), ("SWD", "5")}
        assert "P4 Pupil Achievement" in evidence[("SWD", "4")] and "ELA Red + Math Orange" in evidence[("SWD", "4")]
        assert "Chronic Absenteeism Red" in evidence[("SWD", "5")]
        assert "qualifying group" in evidence[("SWD", "4")]
        red_chip = page.locator('#evidence tr[data-priority="4"] .chip', has_text="Red").first
        assert red_chip.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(COLOUR_HEX["Red"])
        school_row = page.locator(f'#schools tr[data-cds="{LUPINE}"]')
        assert "CSI Low Performing" in school_row.inner_text() and "Lupine Elementary" in school_row.inner_text()
        assert methods == "1" and "Method 1" in page.locator("#determination .status-line").inner_text()
        assert opened.errors == []


@pytest.mark.parametrize("indicator, group", [("ela", "SWD"), ("ela", "ALL"), ("math", "SWD"), ("chronic", "SWD")])
def test_the_grid_puts_the_group_in_its_box_coloured_as_the_seed_says(published, browser, indicator, group):
    key = "2023-public"
    status_level, change_level, colour, box = _query(
        published, key, "select status_level, change_level, color, box from marts.fct_indicator_results "
                        "where cds = ? and indicator = ? and student_group = ?", [POPPY, indicator, group])[0]
    direction = _query(published, key, "select better_direction from marts.dim_indicator where indicator = ?",
                       [indicator])[0][0]
    with Opened(browser, _report(published, key) / "lea" / f"{POPPY}.html") as opened:
        grid = opened.page.locator(f'table.grid[data-indicator="{indicator}"]')
        chip = grid.locator(f'.group[data-group="{group}"]')
        assert chip.count() == 1
        placed = chip.evaluate("""e => { const td = e.closest('td'), tr = td.parentElement;
            const column = [...tr.children].indexOf(td);
            const header = td.closest('table').querySelectorAll('thead th')[column];
            return {row: tr.querySelector('th').innerText, rowLevel: tr.querySelector('th').dataset.statusLevel,
                    column: header.innerText.replace(/\\s+/g, ' '), columnLevel: header.dataset.changeLevel,
                    box: td.querySelector('i').innerText, background: getComputedStyle(td).backgroundColor}; }""")
        assert (int(placed["rowLevel"]), int(placed["columnLevel"])) == (status_level, change_level)
        assert placed["row"] == _seed_status_label(direction, status_level)        # e.g. Very Low; chronic: Very High
        assert placed["column"] == _seed_change_label(indicator, 2023, change_level)
        assert int(placed["box"]) == box == ((5 - status_level) * 5 + change_level) * 10
        seed_colour = _seed_grid_colour(indicator, 2023, status_level, change_level)
        assert seed_colour == colour                                  # the fixture's published colour is the grid's
        assert placed["background"] == _rgb(COLOUR_HEX[_seed_colour_label(seed_colour)])
        # and every box of that grid is coloured as the seed says
        boxes = grid.evaluate("""t => [...t.querySelectorAll('tbody tr')].map(tr => [tr.querySelector('th')
            .dataset.statusLevel, [...tr.querySelectorAll('td')].map(td => getComputedStyle(td).backgroundColor)])""")
        assert len(boxes) == 5
        for level, colours in boxes:
            for change, background in enumerate(colours, start=1):
                code = _seed_grid_colour(indicator, 2023, int(level), change)
                if code:
                    assert background == _rgb(COLOUR_HEX[_seed_colour_label(code)]), (level, change)


@pytest.mark.parametrize("release, years", [("2023-public", [2022, 2023]), ("2024-public", [2022, 2023, 2024])])
def test_the_trend_has_one_point_per_report_year_at_its_value(published, browser, release, years):
    expected = {}
    for key in ("2022-public", "2023-public", "2024-public"):
        for year, status in _query(published, key, "select report_year, curr_status from "
                                                   "marts.fct_indicator_results where cds = ? and indicator = 'ela' "
                                                   "and student_group = 'ALL'", [POPPY]):
            expected[year] = status
    with Opened(browser, _report(published, release) / "lea" / f"{POPPY}.html") as opened:
        plot = opened.page.locator('svg.trend[data-indicator="ela"]')
        scale = plot.evaluate("s => [s.dataset.xDomain, s.dataset.yDomain, s.dataset.plot]")
        points = plot.evaluate("""s => [...s.querySelectorAll('g[data-group="ALL"] circle')].map(c =>
            [+c.dataset.year, +c.dataset.value, +c.getAttribute('cx'), +c.getAttribute('cy'),
             c.querySelector('title').textContent])""")
    x0, x1 = map(float, scale[0].split())
    d0, d1 = map(float, scale[1].split())
    px0, py0, px1, py1 = map(float, scale[2].split())
    x, y = svg.LinearScale(x0, x1, px0, px1), svg.LinearScale(d0, d1, py0, py1)
    assert [p[0] for p in points] == years
    for year, value, cx, cy, title in points:
        assert value == expected[year]
        assert cx == pytest.approx(x(year), abs=0.06) and cy == pytest.approx(y(value), abs=0.06)
        assert title.startswith(f"ALL {year}: ")
    assert d0 <= min(expected[y] for y in years) and d1 >= max(expected[y] for y in years)


def test_the_county_page_lists_its_leas_near_misses_and_flips(published, browser):
    with Opened(browser, _report(published) / "county" / "01.html") as opened:
        page = opened.page
        assert page.locator("h1").inner_text().startswith("Alameda County")
        assert page.locator(".crumbs a").get_attribute("href") == "../index.html"
        leas = page.locator("#leas tr.lea")
        assert [r.get_attribute("data-cds") for r in leas.all()] == [MANZANITA, POPPY, SEQUOIA]  # identified first
        assert "Differentiated Assistance, Year 1" in page.locator(f'#leas tr[data-cds="{POPPY}"]').inner_text()
        near = page.locator(f'#near-misses tr.near-miss[data-cds="{SEQUOIA}"]')
        assert near.count() == 1
        text = near.inner_text()
        assert "Math: worse, Yellow to Orange" in text and "Differentiated Assistance (eligible)" in text
        assert "SWD" in text
        flip = page.locator(f'#flips tr.flip[data-cds="{MANZANITA}"]')
        assert "newly identified in public" in flip.inner_text() and "susp SWD: Orange -> Red" in flip.inner_text()
        assert flip.locator("a").get_attribute("href") == f"../lea/{MANZANITA}.html"
        preview, public = _query(published, "2023-public", "select preview_explanation, public_explanation from "
                                 "marts.fct_preview_public_determination_flips where cds = ?", [MANZANITA])[0]
        reason = flip.locator("td.reason").inner_text()             # the reason: both releases' explanations
        assert preview in reason and public in reason and public.startswith("Eligible (Method 1): SWD met P5")
        school = page.locator(f'#schools tr[data-cds="{LUPINE}"]')
        assert "CSI Low Performing" in school.inner_text()
        assert school.locator("a").get_attribute("href") == f"../lea/{POPPY}.html"
        assert opened.errors == []


def test_the_preview_public_section_when_both_stages_are_published(published, browser):
    flips = _query(published, "2023-public", "select count(*) from marts.fct_preview_public_determination_flips")
    assert flips == [(1,)]
    for key, shown in (("2023-public", True), ("2023-preview", True), ("2022-public", False), ("2024-public", False)):
        with Opened(browser, _report(published, key) / "index.html") as opened:
            section = opened.page.locator("#preview-public")
            assert section.count() == (1 if shown else 0), key
            if shown:
                assert section.locator("tr.flip").count() == 1
                assert "Manzanita Elementary" in section.locator("tr.flip").inner_text()
                totals = section.locator("#change-summary tr.total").inner_text().split()
                assert totals == ["All", "1", "0", "0", "0", "0"]       # one colour changed (suspension, SWD)


# --------------------------------------------------------------------------------------------------- screenshot
def _pixels_in_browser(browser, png: bytes, golden: bytes | None, points: list[tuple[int, int]],
                       threshold: int = 40) -> dict:
    """Decode the screenshot (and the golden) in the browser's canvas: the colour at each point, and the share of
    pixels whose channels differ from the golden's by more than `threshold`."""
    page = browser.new_page()
    try:
        return page.evaluate("""async ([a, b, points, threshold]) => {
            const load = src => new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i);
                                                             i.onerror = fail; i.src = src; });
            const pixels = img => { const c = document.createElement('canvas'); c.width = img.width;
                c.height = img.height; const x = c.getContext('2d'); x.drawImage(img, 0, 0);
                return x.getImageData(0, 0, img.width, img.height).data; };
            const ia = await load(a), da = pixels(ia);
            const at = points.map(([px, py]) => { const k = (py * ia.width + px) * 4;
                                                  return [da[k], da[k + 1], da[k + 2]]; });
            if (!b) return {at};
            const ib = await load(b);
            if (ib.width !== ia.width || ib.height !== ia.height)
                return {at, differing: 1, size: [ia.width, ia.height, ib.width, ib.height]};
            const db = pixels(ib); let differ = 0;
            for (let k = 0; k < da.length; k += 4)
                if (Math.abs(da[k] - db[k]) > threshold || Math.abs(da[k + 1] - db[k + 1]) > threshold
                    || Math.abs(da[k + 2] - db[k + 2]) > threshold) differ++;
            return {at, differing: differ / (da.length / 4)};
        }""", ["data:image/png;base64," + base64.b64encode(png).decode(),
               ("data:image/png;base64," + base64.b64encode(golden).decode()) if golden else None,
               points, threshold])
    finally:
        page.close()


def test_county_page_screenshot(published, browser, tmp_path):
    """The top of Alameda's 2023-public page at 1200x900 and device scale 1, against the golden PNG
    (tests/fixtures/report/county_01_2023-public.png). Fonts and antialiasing may shift a few pixels between
    machines, so the comparison allows SCREENSHOT_TOLERANCE of the pixels to differ, and the colours that carry
    meaning are checked exactly on the screenshot itself: the status badges and the colour chips of the evidence.
    The top of the page holds nothing that changes between builds (the provenance footer is below the fold).

    To regenerate the golden after an intended change of the page: UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest
    tests/integration/test_report.py -k screenshot; then look at the PNG and commit it."""
    with Opened(browser, _report(published) / "county" / "01.html") as opened:
        page = opened.page
        png = page.screenshot(full_page=False)
        badges = [(sel, page.locator(sel).first.bounding_box()) for sel in (
            f'#leas tr[data-cds="{POPPY}"] .badge', f'#leas tr[data-cds="{SEQUOIA}"] .badge')]
        chips = [(label, page.locator(f'#leas tr[data-cds="{POPPY}"] .chip', has_text=label).first.bounding_box())
                 for label in ("Red", "Orange")]
    (tmp_path / "county_01.png").write_bytes(png)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(png)
    assert GOLDEN.is_file(), f"no golden screenshot: run with UPDATE_SCREENSHOTS=1 (this run's: {tmp_path})"
    # inside the padding of each element, left of its text, halfway down
    boxes = [b for _sel, b in badges] + [b for _label, b in chips]
    points = [(int(b["x"] + 3), int(b["y"] + b["height"] / 2)) for b in boxes]
    assert all(0 <= px < VIEWPORT["width"] and 0 <= py < VIEWPORT["height"] for px, py in points), points
    result = _pixels_in_browser(browser, png, GOLDEN.read_bytes(), points)
    expected = [BADGE_HEX["da"], BADGE_HEX["ga"], COLOUR_HEX["Red"], COLOUR_HEX["Orange"]]
    for (r, g, b), hex_colour in zip(result["at"], expected):
        want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert max(abs(r - want[0]), abs(g - want[1]), abs(b - want[2])) <= 2, ((r, g, b), hex_colour)
    assert result["differing"] <= SCREENSHOT_TOLERANCE, (
        f"{result['differing']:.2%} of the pixels differ from {GOLDEN} (this run's screenshot: "
        f"{tmp_path / 'county_01.png'}; if the change is intended, UPDATE_SCREENSHOTS=1 regenerates it)")


# --------------------------------------------------------------------------------------------------- atomicity
def test_a_failed_report_build_leaves_the_previous_report_unchanged(published, monkeypatch):
    reports = published / "reports"
    before = tree_state(reports)
    calls = {"n": 0}
    real = PageModel.trends

    def failing(self, cds):
        calls["n"] += 1
        if calls["n"] == 3:          # the state and county pages and an LEA page are written, then it fails
            raise OSError(28, "No space left on device")
        return real(self, cds)

    monkeypatch.setattr(PageModel, "trends", failing)
    with pytest.raises(ReportError, match="previous report is unchanged.*No space left on device"):
        build_report(published, "2023-public", log=lambda _m: None)
    assert calls["n"] == 3
    assert tree_state(reports) == before
    assert not [p for p in reports.iterdir() if p.name.startswith(".staging")]
    with pytest.raises(ReportError, match="2019-public is not published"):
        build_report(published, "2019-public", log=lambda _m: None)
    assert tree_state(reports) == before


def test_a_release_that_fails_in_a_worker_does_not_stop_the_others(published):
    """Two releases in two worker processes: the one that cannot be built keeps nothing new and is named; the other
    is switched into place (its pages depend only on its publication)."""
    reports = published / "reports"
    before = os.path.realpath(reports / "2023-public")
    with pytest.raises(ReportError, match="2019-public is not published"):
        build_reports(published, ["2019-public", "2023-public"], log=lambda _m: None, workers=2)
    after = os.path.realpath(reports / "2023-public")
    assert after != before and (Path(after) / "index.html").is_file()
    assert not (reports / "2019-public").exists()
    assert not [p for p in reports.iterdir() if p.name.startswith(".staging")]


def test_cadash_report_rebuilds_the_same_pages(published, capsys):
    """`cadash report` rebuilds every published release; the pages depend only on the publication, so they come
    out byte for byte the same (only the version folders' names change)."""
    from orchestration.cli import main

    reports = published / "reports"

    def pages() -> dict[str, str]:   # through the release links, not the version folders (named by build)
        return {k: v for k, v in tree_state(reports).items() if not k.endswith("->") and not k.startswith(".")}

    before = pages()
    assert main(["report", "--publish-dir", str(published)]) == 0
    out = capsys.readouterr().out
    assert "4 report(s), 22 pages" in out and "report 2023-public: 7 pages (1 state, 2 county, 4 LEA)" in out
    assert pages() == before
    assert len(list((reports / ".versions").iterdir())) == 4            # one version per release is kept
    assert main(["report", "--publish-dir", str(published), "--release", "2023-someday"]) == 2
    manifest = json.loads((published / "2023-public" / "manifest.json").read_text())
    assert manifest["release"] in (reports / "2023-public" / "index.html").read_text()
