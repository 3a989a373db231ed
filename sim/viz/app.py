"""The teaching demo: a Solara page for a class to play with, fluid on a projector.

Start it with ``hukou-sim demo`` (``--host 0.0.0.0`` to let students join from the room's network).
The page shows a map of the cities (circle area = residents, colour = poverty rate at the chosen
poverty line, migrant share or urban-hukou share), plots that grow as the model runs, the lesson
guide's key numbers, a plain "what just happened" line per year, and a control for every policy of
the model (read from the policy registry, :mod:`sim.viz.policies`).  In side-by-side mode a second
model with the same seed steps together with the first; each run gets its own plots on shared axes,
and a difference view shows B − A.

Why it is fast: the year's picture is drawn in the browser by one component (``board.vue``) from
frames of numbers (:mod:`sim.viz.frames`) that it keeps; the maps are SVG whose circles change in
place and only the Plotly plots in view are redrawn.  An :class:`AheadWorker` thread runs the models
a year ahead (more while playing), so Step and Play draw at once and the server only hears which
year is on screen.  plotly.js is served from the plotly package's own files (``hukou-sim demo``
adds them to Solara's assets), so nothing is fetched from the internet.  The run logic (presets,
history, step back, jump, the URL that restores a run) is in :mod:`sim.viz.session`; the words and
numbers in :mod:`sim.viz.lesson`.

The policy presets use the ``teaching`` scenario (12 synthetic cities, 5,000 agents) or the China
map (the 36 largest cities of the ``china`` scenario) and switch their policies on in 1990, eight
years after the 1982 start, so that a class sees the effect within a few minutes.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from sim.errors import InputError

from .session import (  # noqa: F401  (re-exported: the page's logic, importable without a web stack)
    BASE_ENV, DEFAULT_BASE, DEMO_MAX_AGENTS, MAPS, MAX_SEED, NEW_CITY_DELAY, NO_COMPARISON, POLICY_DELAY, PRESETS,
    Preset, Run, Session, Settings, View, build_session, demo_defaults, describe, from_query, input_message, overrides,
    parse_seed, preset_settings, to_query, try_build,
)

SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 20, 8  # years per second


def policy_defaults_for(settings: Settings, base: str) -> tuple[dict[str, Any], int, int]:
    """The demo's policy values before the teacher changes any, on the chosen map (sliders start there),
    and the run's first and last year."""
    import sim

    from .session import base_scenario, policy_defaults

    name, map_overrides = base_scenario(settings, base)
    values = sim.load_scenario(name, map_overrides or None).values
    start = int(values["start_year"])
    return policy_defaults(values), start, start + int(values["steps"])




# ----------------------------------------------------------------------------------------- page
import solara  # noqa: E402  (the pure logic above is importable without a web stack)

from sim.viz import charts, frames, lesson, policies  # noqa: E402
from sim.viz.lesson import MECHANISMS  # noqa: E402,F401

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


@solara.component_vue(str(HERE / "board.vue"))
def Board(spec: dict, frames: dict, server: dict, view: dict, query: str, speed_min: int, speed_max: int,
          speed_default: int, event_goto: Callable[[list], None], event_play_state: Callable[[list], None],
          event_have: Callable[[list], None]):
    pass


def Notice(kind: str, message: str, classes: str = ""):
    """An alert box (``kind``: error, warning, info), built from ipyvuetify directly."""
    return solara.v.Alert(type=kind, dense=True, text=True, class_=classes, children=[message])


def _kernel_context():
    """The page's Solara kernel context, so the worker thread's updates reach the right browser tab."""
    try:
        from solara.server import kernel_context
        return kernel_context.get_current_context()
    except Exception:  # rendered outside a server (tests): no context to carry
        return None


@contextlib.contextmanager
def _no_context():
    yield


class AheadWorker:
    """Runs a page's models ahead of the year shown, in a thread, so that Step and Play draw at once.

    ``ahead`` years are kept computed beyond the year shown: one when paused (the next Step), about 1.5 s
    of play when playing.  Each year run is announced by ``on_year`` (the page re-renders, which sends
    the new frames).  The models are deterministic, so computing ahead changes no number."""

    def __init__(self, get_session: Callable[[], Session | None], on_year: Callable[[], None],
                 on_error: Callable[[Session, Exception], None]):
        self.get_session, self.on_year, self.on_error = get_session, on_year, on_error
        self.ahead = 1
        self.wake = threading.Event()
        self.stopped = False
        self.thread: threading.Thread | None = None

    def start(self, context) -> None:
        self.thread = threading.Thread(target=self._run, args=(context,), daemon=True, name="hukou-sim-ahead")
        self.thread.start()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()

    def set_playing(self, playing: bool, speed: float) -> None:
        self.ahead = max(2, int(speed * 1.5) + 1) if playing else 1
        self.wake.set()

    def _run(self, context) -> None:
        with context if context is not None else _no_context():
            while not self.stopped:
                self.wake.wait(timeout=2.0)
                self.wake.clear()
                while not self.stopped:
                    session = self.get_session()
                    if session is None or session.computed >= min(session.shown + self.ahead, session.horizon):
                        break
                    try:
                        with session.lock:
                            session.advance()
                            frames.ensure(session, session.computed)
                    except Exception as exc:  # shown in the page; the server log has the traceback
                        traceback.print_exc()
                        self.on_error(session, exc)
                        break
                    self.on_year()


@solara.component
def Controls(settings: solara.Reactive[Settings], session_state: solara.Reactive, on_reset, base: str):
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
    with solara.Card("Policies"):
        solara.Text("Central directives start 8 years after the run does (1990 on both maps), so a "
                    "class sees them act. Every policy of the model is here: its settings show when it is on.",
                    classes=["hukou-help"])
        PolicyControls(settings, base)
        solara.InputText("Seed (whole number)", value=s.seed, on_value=set_field("seed"), error=seed_error,
                         continuous_update=True, classes=["seed-input"])
        if session is not None and s != session.settings:
            Notice("info", "Settings changed: press Reset to start a new run with them.", "settings-changed")
        solara.Button("Reset", color="primary", on_click=on_reset, classes=["reset-button"], block=True)


@solara.component
def PolicyControls(settings: solara.Reactive[Settings], base: str):
    """One group of controls per registered policy (sim.policies.REGISTRY), from its parameters (sim.params)."""
    s = settings.value
    defaults, start, end = solara.use_memo(lambda: policy_defaults_for(s, base), [s.map, base])
    groups = solara.use_memo(lambda: policies.policy_groups(start, end), [start, end])
    values = {**defaults, **dict(s.policy)}

    def set_value(key: str):
        return lambda value: settings.set(settings.value.with_policy(key, value))

    def draw(group: policies.PolicyGroup) -> None:
        on = policies.is_on(values, group)
        with solara.Column(classes=["policy-group", f"policy-{group.key}"], gap="0px"):
            if group.enabled is not None:
                solara.Checkbox(label=group.title, value=bool(values.get(group.enabled, False)),
                                on_value=set_value(group.enabled))
            else:
                solara.Text(group.title, classes=["policy-title"])
            if group.source:
                solara.Text(f"Source: {group.source}", classes=["hukou-help", "policy-source"])
            if group.enabled is not None and not on:
                return
            for c in group.controls:
                value = values.get(c.key)
                if value is None:
                    continue
                if c.kind == "switch":
                    solara.Checkbox(label=f"{c.label}: {c.doc}", value=bool(value), on_value=set_value(c.key))
                elif c.kind == "text" and c.choices:
                    solara.Select(c.label, values=list(c.choices), value=value, on_value=set_value(c.key))
                elif c.kind == "text":
                    solara.InputText(c.label, value=str(value), on_value=set_value(c.key))
                else:
                    slider = solara.SliderInt if c.kind == "int" else solara.SliderFloat
                    high = max(c.high, value)  # a scenario may set more than the demo's range
                    slider(f"{c.label}: {c.fmt(value)}", value=value, min=c.low, max=high, step=c.step,
                           on_value=set_value(c.key))
                    solara.Text(c.help, classes=["hukou-help"])

    for group in groups:
        if group.directive:
            draw(group)
    dated = [g for g in groups if not g.directive]
    if dated:
        with solara.Details(f"Dated reforms from China's history ({len(dated)})", expand=False):
            with solara.Column(gap="4px"):
                for group in dated:
                    draw(group)


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
def Page():
    base, first_preset, first_map = solara.use_memo(demo_defaults, [])
    router = solara.use_router()
    start = solara.use_memo(lambda: _start(router.search, preset_settings(first_preset, map=first_map), base), [])
    first_settings, first_session, first_view, first_error = start
    settings = solara.use_reactive(first_settings)
    session = solara.use_reactive(first_session)
    error = solara.use_reactive(first_error)
    version = solara.use_reactive(0)
    ack = solara.use_reactive(0)  # the last message from the browser the server has acted on
    view = solara.use_reactive(first_view)
    have = solara.use_memo(lambda: {"token": None, "n": 0}, [])  # frames the browser holds (not reactive)

    def failed(current: Session, exc: Exception) -> None:
        error.set(f"The model stopped in {current.start_year + current.computed}: {type(exc).__name__}: {exc}")

    worker = solara.use_memo(lambda: AheadWorker(lambda: session.value, lambda: version.set(version.value + 1),
                                                 failed), [])

    def run_worker():
        context = _kernel_context()
        if context is None:  # rendered outside a server (tests): no thread; every year is run when asked for
            return None
        worker.start(context)
        worker.wake.set()
        return worker.stop

    solara.use_effect(run_worker, [])

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
            failed(current, exc)
            return False
        return True

    def goto(message: list) -> None:
        """The browser shows (or asks for) a year: [year, sequence number, frames it holds]."""
        year, seq, held = int(message[0]), int(message[1]), int(message[2])
        current = session.value
        if current is not None:
            have.update(token=current.token, n=held)
        guarded(lambda s: s.jump(year))
        ack.set(seq)
        worker.wake.set()

    def play_state(message: list) -> None:
        worker.set_playing(bool(message[0]), float(message[1]))

    def holds(message: list) -> None:
        have.update(token=message[0], n=int(message[1]))

    def reset() -> None:
        new, problem = try_build(settings.value, base)
        error.set(problem)
        if new is not None:
            worker.set_playing(False, 0)
            session.set(new)
            worker.wake.set()

    # the handlers only reach state through reactive variables, so the first ones stay valid: stable
    # callbacks let the page skip re-rendering the sidebar every year
    handlers = solara.use_memo(lambda: dict(reset=reset, goto=goto, play_state=play_state, have=holds), [])

    solara.Style(CSS)
    solara.Title("hukou-sim teaching demo")
    with solara.AppBar():
        solara.AppBarTitle("hukou-sim: where people live, and who is poor")
    with solara.Sidebar():
        Controls(settings, session, handlers["reset"], base)
        ViewControls(view, session)
    with solara.Column(style={"padding": "0 8px 8px 8px"}, gap="6px"):
        # only Live reads the year: a new year re-renders it, not the sidebar and the explanations
        Live(session, version, ack, view, error, have, handlers)
        with solara.Card("What the model does, and what to watch for"):
            Explainer()


@solara.component
def Live(session: solara.Reactive, version: solara.Reactive, ack: solara.Reactive, view: solara.Reactive,
         error: solara.Reactive, have: dict, handlers: dict):
    """Notices, the board (time controls, numbers, maps and plots, drawn in the browser) and the exports."""
    current = session.value
    _ = version.value  # read, so that a year computed ahead (same Session object) is sent
    token = current.token if current is not None else None
    spec = solara.use_memo(lambda: frames.spec(current, token) if current is not None else None, [token])
    if error.value:
        Notice("error", error.value, "page-error")
    if current is None:
        Notice("warning", "No model yet: fix the settings on the left and press Reset.")
        return
    if current.note:
        Notice("info", current.note)
    built = frames.ensure(current, current.computed)
    held = have["n"] if have["token"] == token else 0
    Board(spec=spec, frames={"token": token, "from": held, "list": built[held:]},
          server={"token": token, "shown": current.year, "ack": ack.value},
          view={"colour": view.value.colour, "line": view.value.line}, query=to_query(current.settings, None, view.value),
          speed_min=SPEED_MIN, speed_max=SPEED_MAX, speed_default=SPEED_DEFAULT,
          event_goto=handlers["goto"], event_play_state=handlers["play_state"], event_have=handlers["have"])
    with solara.Row(style={"flex-wrap": "wrap"}, gap="12px", classes=["export-row"]):
        solara.FileDownload(lambda: charts.yearly_csv(current), filename=f"hukou-sim-{current.year}-yearly.csv",
                            label="Data: every year (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: charts.cities_csv(current), filename=f"hukou-sim-{current.year}-cities.csv",
                            label="Data: cities this year (CSV)", mime_type="text/csv")
        solara.Text("Charts: the camera icon above each plot, and PNG above each map, save them as images.",
                    classes=["hukou-help"])


def _labels(session: Session, k: int) -> list[str]:
    return frames.city_labels(session, k)


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
