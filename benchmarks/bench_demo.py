"""Speed of the teaching demo, as a class sees it: in a real browser.

Run:  .venv/bin/python benchmarks/bench_demo.py [--presses 8] [--play-seconds 5] [--src DIR]

Starts ``hukou-sim demo`` on a free port on 127.0.0.1 and drives it with Playwright in Debian's
Chromium (as tests/viz/test_browser.py does).  Prints:

  * the model step alone (no drawing) on the synthetic and China presets, one model and side by side;
  * Step: the time from a click on Step until the page shows the new year (the counter, and every map
    and plot in the 1440x900 window: the page brings plots out of view up to date when idle or when
    they scroll into view), measured inside the page (performance.now() at the click, checked on
    every animation frame); median and first press of ``--presses``, for one model and side by side,
    on the synthetic and the China map, and the median until every chart on the page, in view or
    not, shows the year;  target (issue 10): median <= 100 ms, side by side <= 150 ms;
  * Play: the years per second the page actually shows over ``--play-seconds`` (less if the run ends
    first) at each speed setting; target: >= 8 years/s and following the speed control.

``--src DIR`` runs the server from another checkout (e.g. an export of the previous version) to
measure before/after on the same machine; a page without live charts (the PNG version) is timed
until the map and plot images have all been replaced.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CASES = (  # label, URL query (new page), preset/compare for the old page
    ("synthetic, one model", "preset=cap&cap=1"),
    ("synthetic, side by side", "preset=cap&cap=1&compare=neutral"),
    ("China, one model", "preset=cap&cap=1&map=china"),
    ("China, side by side", "preset=cap&cap=1&compare=neutral&map=china"),
)

# click Step and wait, inside the page, until the counter and every chart in view show the new year
# (returns that time, and the time until every chart on the page, in view or not, shows it)
STEP_JS = """async () => {
  const counter = () => (document.querySelector('.step-counter') || {}).innerText || '';
  const before = counter();
  const live = document.querySelectorAll('.hukou-chart').length > 0;
  const oldImgs = [...document.querySelectorAll('.hukou-map img, .hukou-plot img')].map(i => i.src);
  const inView = e => { const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; };
  const t0 = performance.now();
  let seen = null;
  document.querySelector('.step-button').click();
  await new Promise(res => { const check = () => {
    const now = counter();
    let done = now !== before, all = done;
    if (done && live) {
      const y = now.slice(-4), charts = [...document.querySelectorAll('.hukou-chart')];
      done = charts.filter(inView).every(e => e.dataset.year === y);
      all = charts.every(e => e.dataset.year === y);
    } else if (done) {
      const imgs = [...document.querySelectorAll('.hukou-map img, .hukou-plot img')];
      done = all = imgs.length === oldImgs.length && imgs.every((im, i) => im.src !== oldImgs[i] && im.complete);
    }
    if (done && seen === null) seen = performance.now() - t0;
    if (all) res(); else requestAnimationFrame(check); }; check(); });
  return [seen, performance.now() - t0];
}"""


def model_steps(steps: int = 40) -> None:
    from sim.viz import session

    for label, query in CASES:
        settings, _, _, _ = session.from_query(query, session.Settings())
        s = session.build_session(settings)
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            s._advance_models()
            times.append((time.perf_counter() - t) * 1000)
        print(f"  model step alone, {label:26s} median {statistics.median(times):6.1f} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(src: str | None, port: int, log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HUKOU_SIM_DEMO_SCENARIO", None)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "demo", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env=env, cwd=src or None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the demo server did not start")


def open_page(browser, url: str, live: bool):
    pg = browser.new_page(viewport={"width": 1440, "height": 900})
    pg.set_default_timeout(120_000)
    pg.goto(url)
    if live:
        pg.wait_for_function("() => document.querySelectorAll('.hukou-chart[data-year]').length >= 5")
    else:
        pg.wait_for_function("() => [...document.querySelectorAll('.hukou-map img')].some(i => i.complete)")
    return pg


def old_page_setup(pg, query: str) -> None:
    """The PNG page has no URL state: choose the comparison and preset with its controls."""
    if "compare=neutral" in query:
        pg.locator(".compare-select").click()
        pg.locator(".menuable__content__active .v-list-item", has_text="No central policy").first.click()
    pg.locator(".preset-select").click()
    pg.locator(".menuable__content__active .v-list-item", has_text="Cap on the 4 largest").first.click()
    pg.locator(".reset-button").click()
    pg.get_by_text("Running:").first.wait_for()
    time.sleep(2)


PLAY_JS = """async (seconds) => {
  const year = () => Number(document.querySelector('.step-counter').innerText.slice(-4));
  const end = Number((document.querySelector('.year-slider') || {max: 1e9}).max);
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  document.querySelector('.play-button').click();
  await sleep(1000);  // let it get going
  const y0 = year(), t0 = performance.now();
  let y1 = y0, t1 = t0;
  // watched inside the page; stops early at the last year (fast speeds run out of years)
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise(r => requestAnimationFrame(r));
    const y = year();
    if (y !== y1) { y1 = y; t1 = performance.now(); }
    if (y >= end) break;
  }
  const playing = document.querySelector('.play-button').innerText.includes('Pause');
  if (playing) document.querySelector('.play-button').click();
  return (y1 - y0) / Math.max((y1 >= end ? t1 : performance.now()) - t0, 1) * 1000;
}"""


def play_rate(pg, live: bool, speed: int, seconds: float) -> float:
    if live:
        pg.eval_on_selector(".speed-slider", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input'));"
                            " el.dispatchEvent(new Event('change')); }", speed)
        pg.get_by_text(f"Speed {speed} years/s").wait_for()
    rate = pg.evaluate(PLAY_JS, seconds)
    time.sleep(1.0)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=8)
    parser.add_argument("--play-seconds", type=float, default=5.0)
    parser.add_argument("--src", help="run the server from this checkout (before/after comparisons)")
    parser.add_argument("--cases", default="0,1,2,3", help="which of the four cases (comma-separated indexes)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not args.src:
        print("model alone (no drawing):")
        model_steps()
    port = free_port()
    with tempfile.TemporaryFile("w+") as log, sync_playwright() as p:
        proc = start_server(args.src, port, log)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            url = f"http://127.0.0.1:{port}/"
            probe = open_page(browser, url, live=True) if not args.src else None
            live = probe is not None or False
            if probe is None:
                probe = browser.new_page()
                probe.goto(url)
                time.sleep(5)
                live = probe.locator(".hukou-chart").count() > 0
            probe.close()
            kind = "live charts" if live else "PNG page"
            print(f"Step, click to new year on screen ({kind}; {args.presses} presses):")
            for k in map(int, args.cases.split(",")):
                label, query = CASES[k]
                if not live and "china" in query:
                    continue  # the PNG page has no China preset
                pg = open_page(browser, url + "?" + query if live else url, live)
                if not live:
                    old_page_setup(pg, query)
                both = [pg.evaluate(STEP_JS) for _ in range(args.presses)]
                times, every = [t for t, _ in both], [a for _, a in both]
                print(f"  {label:26s} median {statistics.median(times[1:]):6.0f} ms   first {times[0]:6.0f} ms   "
                      f"max {max(times):6.0f} ms   (every chart, in view or not: median "
                      f"{statistics.median(every[1:]):4.0f} ms)")
                pg.close()
            print(f"Play, years shown per second over {args.play_seconds:g} s:")
            for k in (0, 1):
                label, query = CASES[k]
                pg = open_page(browser, url + "?" + query if live else url, live)
                if not live:
                    old_page_setup(pg, query)
                speeds = (2, 5, 10, 20) if live else (4,)  # the PNG page: its default speed
                rates = []
                for speed in speeds:
                    pg.locator(".year-slider").count() and pg.eval_on_selector(
                        ".year-slider", "el => { el.value = el.min; el.dispatchEvent(new Event('input'));"
                        " el.dispatchEvent(new Event('change')); }")
                    pg.wait_for_function("() => document.querySelector('.step-counter').innerText.includes('Step 0 ')"
                                         " || !document.querySelector('.year-slider')")
                    rates.append(play_rate(pg, live, speed, args.play_seconds))
                print(f"  {label:26s} " + "   ".join(f"speed {s:2d}: {r:5.1f}/s" for s, r in zip(speeds, rates)))
                pg.close()
        finally:
            browser.close()
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
