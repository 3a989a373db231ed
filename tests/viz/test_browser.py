"""End-to-end: ``hukou-sim demo`` in a subprocess, driven by Playwright in Debian's Chromium.

Playwright's own browser download is not used: Chromium comes from the system package
(``.ci/install-browser``).  Screenshots go to ``test-artifacts/`` (gitignored) and are checked
to be more than a blank page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 60_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it with .ci/install-browser
    pytest.skip(f"{CHROMIUM} not installed (run .ci/install-browser)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HUKOU_SIM_DEMO_SCENARIO", None)
    log = ARTIFACTS / "demo-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim", "demo", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"hukou-sim demo exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"hukou-sim demo did not answer on {url}:\n{log.read_text()}")
            time.sleep(0.5)
        assert f"open {url}" in log.read_text()  # the command tells the user where to go
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    pg.on("console", lambda msg: problems.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    pg.goto(server)
    pg.get_by_text("Step 0 of 40").wait_for()
    _images_loaded(pg, ".hukou-map img", 1)
    pg.problems = problems
    yield pg
    context.close()


def _images_loaded(pg, selector: str, n: int) -> list[str]:
    pg.wait_for_function(
        "([sel, n]) => { const im = [...document.querySelectorAll(sel)];"
        " return im.length === n && im.every(i => i.complete && i.naturalWidth > 0); }",
        arg=[selector, n], timeout=TIMEOUT_MS)
    return pg.eval_on_selector_all(selector, "els => els.map(e => e.src)")


def _screenshot(pg, name: str) -> Path:
    from PIL import Image, ImageStat

    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        spread = ImageStat.Stat(rgb.convert("L")).stddev[0]
        assert rgb.width == 1400 and rgb.height == 1000
        assert colours is None or len(colours) > 200, f"{path} has only {len(colours)} colours"
        assert spread > 10, f"{path} looks blank (grey-level spread {spread:.1f})"
    return path


def _click(pg, label: str) -> None:
    """Press the Reset, Play/Pause or Step button (found by its class: Vuetify upper-cases labels)."""
    button = pg.locator(f".{'play' if label == 'Pause' else label.lower()}-button")
    if label in ("Play", "Pause"):
        assert button.inner_text().strip().lower() == label.lower()
    button.click()


def _choose(pg, label: str) -> None:
    """Pick ``label`` in the open drop-down menu (Vuetify renders it in an overlay)."""
    # Vuetify 2 (ipyvuetify 1.x, which solara 1.58's bundled front end is built for) menus
    pg.locator(".menuable__content__active .v-list-item", has_text=label).first.click()
    pg.locator(".menuable__content__active").first.wait_for(state="detached")


def test_page_loads_without_console_errors(page):
    assert page.locator(".hukou-plot img").count() == 4
    page.get_by_text("What the model does, and what to watch for").wait_for()
    _screenshot(page, "demo-initial")
    assert page.problems == []


def test_step_advances_the_counter_and_changes_the_plots(page):
    plots = _images_loaded(page, ".hukou-plot img", 4)
    _click(page, "Step")
    page.get_by_text("Step 1 of 40 · year 1983").wait_for()
    page.wait_for_function(
        "old => { const now = [...document.querySelectorAll('.hukou-plot img')].map(e => e.src);"
        " return now.length === 4 && now.filter((s, i) => s !== old[i]).length >= 3; }",
        arg=plots, timeout=TIMEOUT_MS)
    _screenshot(page, "demo-after-step")
    assert page.problems == []


def test_cap_slider_and_reset_change_the_model(page):
    page.get_by_text("Running: no central policy (seed 0)").wait_for()
    # click a third of the way along the 0..1.5 track: a cap at about half each city's size
    track = page.locator(".cap-slider .v-slider__track-container").bounding_box()
    page.mouse.click(track["x"] + track["width"] / 3, track["y"] + track["height"] / 2)
    page.get_by_text("Settings changed: press Reset").wait_for()
    _click(page, "Reset")
    running = page.get_by_text(re.compile(r"Running: cap \d\.\d\dx on 4 largest, enforcement 0\.60 \(seed 0\)"))
    running.wait_for()
    level = float(re.search(r"cap (\d\.\d\d)x", running.inner_text()).group(1))
    assert 0.3 <= level <= 0.7, level
    assert page.get_by_text("Settings changed: press Reset").count() == 0
    for year in range(1983, 1992):  # the cap is decreed in 1990: the capped cities get black rings
        _click(page, "Step")
        page.get_by_text(f"· year {year}").wait_for()
    status = page.locator(".status-line").inner_text()
    assert status.startswith("1991:")
    _screenshot(page, "demo-cap-0.5")
    assert page.problems == []


def test_play_then_pause(page):
    _click(page, "Play")
    page.locator(".play-button", has_text=re.compile("pause", re.I)).wait_for()
    page.wait_for_function(
        "() => { const m = /Step (\\d+) of/.exec(document.querySelector('.step-counter').innerText);"
        " return m && Number(m[1]) >= 2; }", timeout=120_000)
    assert page.locator(".page-error").count() == 0, page.locator(".page-error").all_inner_texts()
    _click(page, "Pause")
    page.locator(".play-button", has_text=re.compile("play", re.I)).wait_for()
    time.sleep(2.0)  # a step in flight finishes
    stopped = page.locator(".step-counter").inner_text()
    time.sleep(2.0)
    assert page.locator(".step-counter").inner_text() == stopped
    assert page.problems == []


def test_side_by_side_shows_two_maps(page):
    page.locator(".compare-select").click()
    _choose(page, "No central policy (neutral)")
    page.locator(".preset-select").click()
    _choose(page, "Cap on the 4 largest cities from 1990")
    _click(page, "Reset")
    page.get_by_text("Running: A: cap 1.00x on 4 largest, enforcement 0.60").wait_for()
    page.get_by_text("Running: B: no central policy").wait_for()
    maps = _images_loaded(page, ".hukou-map img", 2)
    _click(page, "Step")
    page.get_by_text("Step 1 of 40 · year 1983").wait_for()
    page.wait_for_function(
        "old => { const now = [...document.querySelectorAll('.hukou-map img')].map(e => e.src);"
        " return now.length === 2 && now[0] !== old[0] && now[1] !== old[1]; }", arg=maps, timeout=TIMEOUT_MS)
    assert page.locator(".status-line").count() == 2
    _screenshot(page, "demo-side-by-side")
    assert page.problems == []
