"""The teaching demo: a Solara page for a class to play with, fluid on a projector.

Start it with ``hukou-sim demo`` (``--host 0.0.0.0`` to let students join from the room's network).
The page shows a map of the cities (circle area = residents, colour = poverty rate, migrant share or
urban-hukou share), plots that grow as the model runs, the lesson guide's key numbers, a plain
"what just happened" line per year, and controls for the policies.  In side-by-side mode a second
model with the same seed steps together with the first; each run gets its own plots on shared
axes, and a difference view shows B − A.

Why it is fast: the charts are Plotly charts that live in the browser (``plotly_chart.vue``); each
year the server sends only the new numbers and plotly.js redraws in place (``Plotly.react``).
plotly.js is served from the plotly package's own files (``hukou-sim demo`` adds them to Solara's
assets), so nothing is fetched from the internet.  The run logic (presets, history, step back,
jump, the URL that restores a run) is in :mod:`sim.viz.session`; the words and numbers in
:mod:`sim.viz.lesson`; the figures in :mod:`sim.viz.charts`.

The policy presets use the ``teaching`` scenario (12 synthetic cities, 5,000 agents) or the China
map (the 36 largest cities of the ``china`` scenario) and switch their policies on in 1990, eight
years after the 1982 start, so that a class sees the effect within a few minutes.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from sim.errors import InputError

from .session import (  # noqa: F401  (re-exported: the page's logic, importable without a web stack)
    BASE_ENV, DEFAULT_BASE, DEMO_MAX_AGENTS, MAPS, MAX_SEED, NEW_CITY_DELAY, NO_COMPARISON, POLICY_DELAY, PRESETS,
    Preset, Run, Session, Settings, View, build_session, demo_defaults, describe, from_query, input_message, overrides,
    parse_seed, preset_settings, to_query, try_build,
)

SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 20, 8  # years per second


@dataclass(frozen=True)
class SliderSpec:
    """A policy slider: the Settings field it sets and the model parameter it maps to (for its unit
    and explanation, from sim.params), with the range the demo offers."""

    field: str
    param: str  # name in sim.params.BY_NAME
    title: str
    low: float
    high: float
    step: float
    fmt: Callable[[float], str]


SLIDERS = (
    SliderSpec("cap_level", "cap_level", "Cap level", 0.0, 1.5, 0.05,
               lambda v: "no cap" if v == 0 else f"{v:.2f} × size when decreed"),
    SliderSpec("enforcement", "enforcement_intensity", "Enforcement", 0.0, 1.0, 0.05, lambda v: f"{v:.0%} of full"),
    SliderSpec("decentralization", "decentralization_rate", "Decentralization", 0.0, 0.2, 0.01,
               lambda v: f"{v:.0%} of excess jobs per year"),
)


def slider_help(spec: SliderSpec) -> str:
    """The parameter's own explanation and unit (sim.params), so the page says what the model means."""
    from sim.params import BY_NAME

    p = BY_NAME.get(spec.param)
    if p is None:
        return ""
    unit = "" if p.unit in ("-", "") else f" Unit: {p.unit}."
    return f"{p.doc}{unit}"




# ----------------------------------------------------------------------------------------- page
import solara  # noqa: E402  (the pure logic above is importable without a web stack)

from sim.viz import charts, lesson  # noqa: E402
from sim.viz.lesson import MECHANISMS  # noqa: E402,F401
from sim.viz.chinamap import city_labels, province_outlines  # noqa: E402

HERE = Path(__file__).parent
COLOUR_CHOICES = {"poverty rate": "poverty", "migrant share": "migrants", "urban-hukou share": "hukou"}
COLOUR_WORDS = {v: k for k, v in COLOUR_CHOICES.items()}
LABEL_TO_PRESET = {p.label: k for k, p in PRESETS.items()}
LABEL_TO_MAP = {m.label: k for k, m in MAPS.items()}
NO_COMPARISON_LABEL = "(none: one model)"

CSS = """
.v-application { font-size: 16px; }
.v-application .v-label, .v-application .v-input, .v-application .v-select__selection,
.v-application .v-messages, .v-application .v-list-item__title, .v-application .v-btn,
.v-application .v-alert { font-size: 16px !important; }
.v-application .v-messages { font-size: 14px !important; }
.hukou-help { font-size: 14px; color: #333; line-height: 1.35; }
.hukou-sticky { position: sticky; top: 0; z-index: 6; background: white; padding: 6px 8px;
                border-bottom: 1px solid #ddd; }
.what-happened { font-size: 18px; font-weight: 500; margin: 4px 0; }
.hukou-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 8px; }
.hukou-pair { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.hukou-stack { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.hukou-numbers { display: flex; flex-wrap: wrap; gap: 4px 6px; }
.key-number { border: 1px solid #ddd; border-radius: 6px; padding: 2px 8px; font-size: 15px; }
.key-name { color: #444; margin-right: 6px; }
.key-value { font-weight: bold; font-size: 16px; }
@media (max-width: 700px) {
  .hukou-grid, .hukou-pair { grid-template-columns: 1fr; }
  .hukou-timebar .step-counter { font-size: 16px; }
  /* on a phone the time controls sit at the bottom of the screen, like a media player's */
  .hukou-sticky { position: fixed; top: auto; bottom: 0; left: 0; right: 0; z-index: 20;
                  border-top: 1px solid #bbb; box-shadow: 0 -2px 6px rgba(0,0,0,0.15); }
  .v-application .v-main, .v-application main { padding-bottom: 150px !important; }
}
"""


@solara.component_vue(str(HERE / "plotly_chart.vue"))
def PlotlyChart(figure: dict, static_data: list = [], class_name: str = "", height: str = "360px",
                filename: str = "hukou-sim"):
    pass


@solara.component_vue(str(HERE / "timebar.vue"))
def TimeBar(shown: int, start: int, end: int, playing: bool, finished: bool, busy: bool, counter: str,
            speed: int, speed_min: int, speed_max: int, query: str,
            event_back: Callable[[int], None], event_step: Callable[[int], None],
            event_play: Callable[[int], None], event_pause: Callable[[int], None],
            event_jump: Callable[[int], None], event_set_speed: Callable[[int], None],
            event_rendered: Callable[[int], None]):
    pass


def Notice(kind: str, message: str, classes: str = ""):
    """An alert box (``kind``: error, warning, info), built from ipyvuetify directly."""
    return solara.v.Alert(type=kind, dense=True, text=True, class_=classes, children=[message])


def _kernel_context():
    """The page's Solara kernel context, so the play thread's updates reach the right browser tab."""
    try:
        from solara.server import kernel_context
        return kernel_context.get_current_context()
    except Exception:  # rendered outside a server (tests): no context to carry
        return None


@contextlib.contextmanager
def _no_context():
    yield


@solara.component
def Controls(settings: solara.Reactive[Settings], session_state: solara.Reactive, on_reset):
    s = settings.value
    session = session_state.value
    seed_error: str | bool = False
    try:
        parse_seed(s.seed)
    except InputError as exc:
        seed_error = exc.message

    def set_field(name):
        return lambda value: settings.set(replace(settings.value, **{name: value}))

    def choose_preset(label: str) -> None:
        key = LABEL_TO_PRESET.get(label)
        if key is not None:
            settings.set(preset_settings(key, seed=settings.value.seed, compare=settings.value.compare,
                                         map=settings.value.map))

    def choose_compare(label: str) -> None:
        settings.set(replace(settings.value, compare=LABEL_TO_PRESET.get(label, NO_COMPARISON)))

    def choose_map(label: str) -> None:
        settings.set(replace(settings.value, map=LABEL_TO_MAP.get(label, "synthetic")))

    with solara.Card("Scenario"):
        solara.Select("Map", values=[m.label for m in MAPS.values()], value=MAPS[s.map].label,
                      on_value=choose_map, classes=["map-select"])
        solara.Select("Preset", values=[p.label for p in PRESETS.values()], value=PRESETS[s.preset].label,
                      on_value=choose_preset, classes=["preset-select"])
        solara.Text(PRESETS[s.preset].watch, classes=["hukou-help"])
        solara.Select("Side by side with", values=[NO_COMPARISON_LABEL] + [p.label for p in PRESETS.values()],
                      value=PRESETS[s.compare].label if s.compare else NO_COMPARISON_LABEL,
                      on_value=choose_compare, classes=["compare-select"])
    with solara.Card("Policy settings"):
        for spec in SLIDERS:
            value = getattr(s, spec.field)
            with solara.Column(classes=[f"{spec.field.replace('_level', '')}-slider"], gap="0px"):
                solara.SliderFloat(f"{spec.title}: {spec.fmt(value)}", value=value, min=spec.low, max=spec.high,
                                   step=spec.step, on_value=set_field(spec.field))
                solara.Text(slider_help(spec), classes=["hukou-help"])
        solara.Checkbox(label="Hukou reform (equal services for all residents)", value=s.reform,
                        on_value=set_field("reform"))
        solara.InputText("Seed (whole number)", value=s.seed, on_value=set_field("seed"), error=seed_error,
                         continuous_update=True, classes=["seed-input"])
        if session is not None and s != session.settings:
            Notice("info", "Settings changed: press Reset to start a new run with them.", "settings-changed")
        solara.Button("Reset", color="primary", on_click=on_reset, classes=["reset-button"], block=True)


@solara.component
def ViewControls(view: solara.Reactive, session_state: solara.Reactive):
    """What the map is coloured by and which poverty line the plots and numbers use (apply at once)."""
    lines = lesson.poverty_lines()
    current = session_state.value
    metrics = current.now().metrics if current is not None else {}
    available = [k for k in lines if k == "official" or lesson.poverty_column("", k) in metrics]
    line = view.value.line if view.value.line in available else available[0]
    with solara.Card("What the page shows"):
        solara.Select("Colour the map by", values=list(COLOUR_CHOICES),
                      value=COLOUR_WORDS.get(view.value.colour, "poverty rate"), classes=["colour-select"],
                      on_value=lambda w: view.set(replace(view.value, colour=COLOUR_CHOICES[w])))
        solara.Select("Poverty line", values=[lines[k].label for k in available], value=lines[line].label,
                      on_value=lambda label: view.set(replace(view.value, line=next(
                          k for k in available if lines[k].label == label))), classes=["line-select"])
        solara.Text(lines[line].meaning, classes=["hukou-help", "line-meaning"])


@solara.component
def Explainer():
    """MECHANISMS as paragraphs with bold leads (plain HTML: solara.Markdown would fetch KaTeX,
    which the offline asset bundle lacks)."""
    for paragraph in MECHANISMS.strip().split("\n\n"):
        text = " ".join(paragraph.split())
        lead, _, body = text.partition(".** ")
        with solara.v.Html(tag="p", style_="margin-bottom: 0.6em"):
            solara.v.Html(tag="b", children=[lead.lstrip("*") + "."])
            solara.v.Html(tag="span", children=[" " + body])


@solara.component
def KeyNumbers(session: Session, line: str, shown: int):
    """The lesson guide's numbers for the year shown, as numbers (A, B and B − A side by side)."""
    rows = [lesson.key_numbers(session.now(k), line) for k in range(len(session.runs))]
    with solara.v.Html(tag="div", class_="hukou-numbers key-numbers"):
        for i, (name, _, meaning) in enumerate(rows[0]):
            if len(rows) == 1:
                value = rows[0][i][1]
            else:
                value = f"A {rows[0][i][1]} · B {rows[1][i][1]} ({_difference(rows[0][i][1], rows[1][i][1])})"
            solara.v.Html(tag="div", class_="key-number", attributes={"title": meaning}, children=[
                solara.v.Html(tag="span", class_="key-name", children=[name]),
                solara.v.Html(tag="span", class_="key-value", children=[value])])


def _difference(a: str, b: str) -> str:
    try:
        if a.endswith("%") and b.endswith("%"):
            return f"{float(b[:-1]) - float(a[:-1]):+.1f} pts"
        return f"{float(b) - float(a):+.2f}"
    except ValueError:
        return ""


@solara.component
def RunCharts(session: Session, k: int, colour: str, line: str, labels: list[str], named: list[int],
              outline: list, slug: str, shown: int, computed: int):
    """One run's map and plots (``shown`` and ``computed`` are props so that a new year re-renders)."""
    figures = solara.use_memo(
        lambda: [("hukou-map", charts.map_figure(session, k, colour, labels, named), outline, "460px"),
                 ("hukou-plot poverty-plot", charts.poverty_figure(session, k, line), [], "340px"),
                 ("hukou-plot urbanization-plot", charts.urbanization_figure(session, k), [], "340px"),
                 ("hukou-plot concentration-plot", charts.concentration_figure(session, k), [], "340px"),
                 ("hukou-plot rank-plot", charts.rank_figure(session, k), [], "340px")],
        [id(session), shown, computed, colour, line, k])
    for cls, fig, static, height in figures:
        PlotlyChart(figure=fig, static_data=static, class_name=cls, height=height,
                    filename=f"hukou-sim-{slug}-{cls.split()[-1]}-{session.year}")


@solara.component
def Page():
    base, first_preset, first_map = solara.use_memo(demo_defaults, [])
    router = solara.use_router()
    start = solara.use_memo(lambda: _start(router.search, preset_settings(first_preset, map=first_map), base), [])
    first_settings, first_session, first_view, first_error = start
    settings = solara.use_reactive(first_settings)
    session = solara.use_reactive(first_session)
    error = solara.use_reactive(first_error)
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(SPEED_DEFAULT)
    view = solara.use_reactive(first_view)
    runner = solara.use_memo(lambda: {"thread": None, "on_screen": threading.Event()}, [])

    def guarded(action: Callable[[Session], None]) -> bool:
        current = session.value
        if current is None:
            return False
        try:
            action(current)
        except InputError as exc:
            error.set(f"Not applied: {input_message(exc)}")
            return False
        except Exception as exc:  # shown in the page; the server log has the traceback
            traceback.print_exc()
            error.set(f"The model stopped in {current.year}: {type(exc).__name__}: {exc}")
            playing.set(False)
            return False
        version.set(version.value + 1)
        return True

    def step_from(year: int) -> None:
        def act(s: Session) -> None:
            if s.year != year and s.start_year <= year <= s.start_year + s.horizon:
                s.jump(year)  # the browser was behind: step from what it showed
            s.step()
        guarded(act)

    def back_from(year: int) -> None:
        guarded(lambda s: s.jump(max(int(year) - 1, s.start_year)))

    def jump_to(year: int) -> None:
        playing.set(False)
        guarded(lambda s: s.jump(int(year)))

    def play_loop(context) -> None:
        """Show one year per tick, paced by the speed control, until paused or finished."""
        with context if context is not None else _no_context():
            next_tick = time.perf_counter()
            on_screen = runner["on_screen"]
            while playing.value:
                current = session.value
                on_screen.clear()
                if current is None or current.finished or not guarded(lambda s: s.step()):
                    playing.set(False)
                    return
                if current.finished:
                    playing.set(False)
                    return
                # back-pressure: wait (a little) until the browser shows this year
                on_screen.wait(timeout=1.0)
                next_tick += 1.0 / max(speed.value, 0.1)
                delay = next_tick - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:  # running late: do not try to catch up in a burst
                    next_tick = time.perf_counter()

    def play(year: int) -> None:
        if playing.value or session.value is None or session.value.finished:
            return
        playing.set(True)
        thread = runner["thread"]
        if thread is None or not thread.is_alive():
            runner["thread"] = threading.Thread(target=play_loop, args=(_kernel_context(),), daemon=True,
                                                name="hukou-sim-play")
            runner["thread"].start()

    def pause(year: int) -> None:
        playing.set(False)
        thread = runner["thread"]
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        # stop on the year this browser showed when Pause was pressed, even if the server ran ahead
        guarded(lambda s: s.jump(int(year)) if s.start_year <= int(year) <= s.year else None)

    def reset() -> None:
        playing.set(False)
        new, problem = try_build(settings.value, base)
        error.set(problem)
        if new is not None:
            session.set(new)
            version.set(version.value + 1)

    # the handlers only reach state through reactive variables, so the first ones stay valid: stable
    # callbacks let the page skip re-rendering the sidebar and the time bar's handlers every year
    handlers = solara.use_memo(lambda: dict(reset=reset, back=back_from, step=step_from, play=play, pause=pause,
                                            jump=jump_to, speed=lambda v: speed.set(int(v)),
                                            rendered=lambda year: runner["on_screen"].set()), [])

    solara.Style(CSS)
    solara.Title("hukou-sim teaching demo")
    with solara.AppBar():
        solara.AppBarTitle("hukou-sim: where people live, and who is poor")
    with solara.Sidebar():
        Controls(settings, session, handlers["reset"])
        ViewControls(view, session)
    with solara.Column(style={"padding": "0 8px 8px 8px"}, gap="6px"):
        # only Live reads the year: a new year re-renders it, not the sidebar and the explanations
        Live(session, version, playing, speed, view, error, handlers)
        with solara.Card("What the model does, and what to watch for"):
            Explainer()


@solara.component
def Live(session: solara.Reactive, version: solara.Reactive, playing: solara.Reactive, speed: solara.Reactive,
         view: solara.Reactive, error: solara.Reactive, handlers: dict):
    """Everything that changes with the year: time bar, sentences, numbers, maps and plots."""
    current = session.value
    _ = version.value  # read, so that a new year (same Session object, changed inside) re-renders
    lines = lesson.poverty_lines()
    if current is not None:
        query = to_query(current.settings, current.year, view.value)
        with solara.v.Html(tag="div", class_="hukou-sticky"):
            TimeBar(shown=current.year, start=current.start_year, end=current.start_year + current.horizon,
                    playing=playing.value, finished=current.finished, busy=False,
                    counter=f"Step {current.time} of {current.horizon} · year {current.year}",
                    speed=int(speed.value), speed_min=SPEED_MIN, speed_max=SPEED_MAX, query=query,
                    event_back=handlers["back"], event_step=handlers["step"], event_play=handlers["play"],
                    event_pause=handlers["pause"], event_jump=handlers["jump"],
                    event_set_speed=handlers["speed"], event_rendered=handlers["rendered"])
    if error.value:
        Notice("error", error.value, "page-error")
    if current is None:
        Notice("warning", "No model yet: fix the settings on the left and press Reset.")
        return
    if current.note:
        Notice("info", current.note)
    line = view.value.line if view.value.line in lines else next(iter(lines))
    for k, run in enumerate(current.runs):
        solara.Text(f"Running: {run.label}" if len(current.runs) > 1 else
                    f"Running: {run.label} (seed {current.settings.seed.strip()})",
                    classes=["run-description"], style={"color": "#444", "font-size": "16px"})
        solara.Text(lesson.what_happened(current.history(k), _labels(current, k), line),
                    classes=["what-happened"])
    KeyNumbers(current, line, current.shown)
    labels = _labels(current, 0)
    named = charts.labelled_cities(current, 14 if len(labels) > 12 else 5)
    outline = _outline(current)
    colour = view.value.colour if view.value.colour in charts.COLOURINGS else "poverty"
    if len(current.runs) == 1:
        with solara.v.Html(tag="div", class_="hukou-grid"):
            RunCharts(current, 0, colour, line, labels, named, outline, "run", current.shown, current.computed)
    else:
        with solara.v.Html(tag="div", class_="hukou-pair"):
            for k in range(len(current.runs)):
                with solara.v.Html(tag="div", class_=f"hukou-stack run-{'ab'[k]}"):
                    RunCharts(current, k, colour, line, _labels(current, k), named, outline, "AB"[k],
                              current.shown, current.computed)
        with solara.Card("Difference B − A", classes=["difference-view"]):
            with solara.v.Html(tag="div", class_="hukou-grid"):
                PlotlyChart(figure=charts.difference_map(current, labels, named), static_data=outline,
                            class_name="difference-map", height="460px", filename="hukou-sim-difference-map")
                PlotlyChart(figure=charts.difference_figure(current, line), class_name="difference-plot",
                            height="460px", filename="hukou-sim-difference")
    with solara.Row(style={"flex-wrap": "wrap"}, gap="12px", classes=["export-row"]):
        solara.FileDownload(lambda: charts.yearly_csv(current), filename=f"hukou-sim-{current.year}-yearly.csv",
                            label="Data: every year (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: charts.cities_csv(current), filename=f"hukou-sim-{current.year}-cities.csv",
                            label="Data: cities this year (CSV)", mime_type="text/csv")
        solara.Text("Charts: the camera icon above each chart saves it as PNG.", classes=["hukou-help"])


def _labels(session: Session, k: int) -> list[str]:
    """City names for the map (with Chinese characters on the China map); cached on the run."""
    run = session.runs[k]
    if not hasattr(run, "_labels"):
        try:
            run._labels = city_labels(run.model.network)
        except Exception:  # names are a nicety: never let them break the page
            traceback.print_exc()
            run._labels = list(run.names)
    return run._labels


def _outline(session: Session) -> list:
    net = session.runs[0].model.network
    if getattr(net, "lon", None) is None:
        return []
    lon, lat = province_outlines()
    return charts.outline_traces(lon, lat)


def _start(search: str | None, first: Settings, base: str) -> tuple[Settings, Session | None, View, str | None]:
    """The first run: from the URL if it names one (settings, year, view), else ``first``."""
    settings, year, view, problems = from_query(search, first)
    new, problem = try_build(settings, base)
    if new is None and settings != first:  # a bad URL must not leave the class without a model
        problems.append(problem or "")
        settings = first
        new, problem = try_build(settings, base)
    if new is not None and year is not None:
        try:
            new.jump(year)
        except InputError as exc:
            problems.append(f"URL: {input_message(exc)}")
    message = "; ".join(p for p in [*problems, problem or ""] if p) or None
    return settings, new, view, message


page = Page
