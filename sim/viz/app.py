"""The teaching demo: a Solara page in the style of Mesa's SolaraViz, for a class to play with.

Start it with ``hukou-sim demo`` (or ``solara run sim.viz.app``).  The page shows a map of the cities
(circle area = residents, colour = poverty rate or migrant share), four plots that grow as the model
runs, controls for the policies, and a plain-language panel on the mechanisms.  In side-by-side mode
a second model with the same seed steps together with the first, so a class sees what a policy
changes as it unfolds.

Why not ``mesa.visualization.SolaraViz`` itself: its controller re-creates *one* model from its
slider values and lets a construction error escape.  The page needs two models stepping together,
presets that move the sliders, and every bad entry reported in the page, so it is composed from
Solara parts the way SolaraViz is (sidebar controls, Reset / Play / Step, a step counter, plots
redrawn on every step) around :class:`Session`, which owns the models.

The policy presets use the ``teaching`` scenario (12 synthetic cities, 5,000 agents) and switch
their policies on in 1990, eight years after the 1982 start, instead of the bundled scenarios'
2014 (step 32), so that a class sees the effect within a few minutes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Any

from sim.errors import InputError

BASE_ENV = "HUKOU_SIM_DEMO_SCENARIO"  # set by ``hukou-sim demo --scenario``
DEFAULT_BASE = "teaching"
POLICY_DELAY = 8  # years after the start at which the presets' policies begin (1990 on teaching)
NEW_CITY_DELAY = 10  # years after the start at which the new city is founded
DEMO_MAX_AGENTS = 20_000  # bigger scenarios are cut to this many agents so the page stays fluid
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Preset:
    label: str
    watch: str  # what to watch for, in plain language
    cap_level: float = 0.0  # 0 = no cap
    decentralization: float = 0.0
    reform: bool = False
    new_city: bool = False
    cap_top_n: int = 4


PRESETS: dict[str, Preset] = {
    "neutral": Preset(
        "No central policy (neutral)",
        "Migrants go where incomes are highest, mostly to the big cities. Watch the gap between living in "
        "a city and holding its hukou open up, and the big circles grow fastest."),
    "cap": Preset(
        "Cap on the 4 largest cities from 1990",
        "Once the four largest cities reach their caps they enforce: demolition, school exclusion, market "
        "clearing, eviction. Watch their circles stop growing (black rings), the Zipf exponent rise "
        "(flatter city sizes), and whether migrants' poverty rises where they are pushed to.",
        cap_level=1.0),
    "decentralize": Preset(
        "Decentralization of jobs and services from 1990",
        "Each year 5% of the largest cities' excess formal jobs and service budgets move to smaller cities. "
        "Watch whether migrants follow the jobs, and whether urbanization keeps up.",
        decentralization=0.05),
    "cap_decentralize": Preset(
        "Cap and decentralization from 1990",
        "China's stated mix: caps on the largest cities and jobs moved to smaller ones. Compare it side by "
        "side with the cap alone: does moving jobs soften the cap's effect on migrants?",
        cap_level=1.0, decentralization=0.05),
    "hukou_reform": Preset(
        "Hukou reform from 1990",
        "Residents get the same schools, hospitals and guarantees whatever their hukou, and more migrants "
        "are converted. Watch the hukou line catch up with the resident line and migrant poverty fall.",
        reform=True),
    "new_city": Preset(
        "New city beside the largest, capital capped (1990, founded 1992)",
        "A new city (dashed circle until founded) takes jobs and services relocated from the capped "
        "largest city. Watch whether people follow them to it.",
        cap_level=1.0, new_city=True, cap_top_n=1),
}
NO_COMPARISON = ""


@dataclass(frozen=True)
class Settings:
    """What the controls say. Applied to a new run when Reset is pressed."""

    preset: str = "neutral"
    cap_level: float = 0.0  # multiple of each capped city's size when the cap starts; 0 = no cap
    enforcement: float = 0.6  # 0..1
    decentralization: float = 0.0  # share of excess jobs moved per year
    reform: bool = False
    seed: str = "0"
    compare: str = NO_COMPARISON  # preset run beside this one with the same seed ("" = none)


def preset_settings(key: str, seed: str = "0", compare: str = NO_COMPARISON) -> Settings:
    """The controls a preset sets (seed and comparison are kept)."""
    if key not in PRESETS:
        raise InputError("preset", "preset", f"got {key!r}; expected one of {', '.join(PRESETS)}")
    p = PRESETS[key]
    return Settings(preset=key, cap_level=p.cap_level, enforcement=0.6, decentralization=p.decentralization,
                    reform=p.reform, seed=seed, compare=compare)


def parse_seed(text: Any) -> int:
    """A seed typed by a person: a whole number from 0 to 2**32 - 1."""
    s = str(text).strip()
    try:
        value = int(s)
    except ValueError:
        raise InputError("seed", "seed", f"got {s!r}; expected a whole number from 0 to {MAX_SEED}") from None
    if not 0 <= value <= MAX_SEED:
        raise InputError("seed", "seed", f"got {value}; expected a whole number from 0 to {MAX_SEED}")
    return value


def overrides(settings: Settings, base: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides (dotted keys) that apply ``settings`` to the base scenario's values."""
    if settings.preset not in PRESETS:
        raise InputError("preset", "preset", f"got {settings.preset!r}; expected one of {', '.join(PRESETS)}")
    preset = PRESETS[settings.preset]
    start = int(base["start_year"])
    n = int(base["network_n_cities"])
    policy_year = start + POLICY_DELAY
    o: dict[str, Any] = {}
    if base["n_agents"] > DEMO_MAX_AGENTS:
        o["simulation.n_agents"] = DEMO_MAX_AGENTS
    if settings.cap_level > 0:
        o.update({"policy.cap.enabled": True, "policy.cap.level": float(settings.cap_level),
                  "policy.cap.top_n": min(preset.cap_top_n, n), "policy.cap.start_year": policy_year})
    else:
        o["policy.cap.enabled"] = False
    o["policy.enforcement.intensity"] = float(settings.enforcement)
    o["policy.decentralization.rate"] = float(settings.decentralization)
    if settings.decentralization > 0:
        top = min(4, max(n - 1, 1))
        o.update({"policy.decentralization.start_year": policy_year,
                  "policy.decentralization.from_top_n": top,
                  # receivers: the smaller half of the cities (rank 20 and below on a real network)
                  "policy.decentralization.to_min_rank": max(min(20, n // 2 + 1), top + 1)})
    o["policy.reform.enabled"] = bool(settings.reform)
    if settings.reform:
        o["policy.reform.start_year"] = policy_year
    o["policy.new_city.enabled"] = preset.new_city
    if preset.new_city:
        o.update({"policy.new_city.beside": "", "policy.new_city.founded_year": start + NEW_CITY_DELAY})
    return o


def describe(settings: Settings) -> str:
    """The policies a run has, in a few words (labels in legends and titles)."""
    parts = []
    preset = PRESETS.get(settings.preset)
    if settings.cap_level > 0:
        who = "largest city" if preset and preset.cap_top_n == 1 else "4 largest"
        parts.append(f"cap {settings.cap_level:.2f}x on {who}, enforcement {settings.enforcement:.2f}")
    if settings.decentralization > 0:
        parts.append(f"decentralization {settings.decentralization:.0%}/yr")
    if settings.reform:
        parts.append("hukou reform")
    if preset and preset.new_city:
        parts.append("new city")
    return ", ".join(parts) if parts else "no central policy"


@dataclass
class Run:
    label: str
    settings: Settings
    model: Any  # sim.MigrationModel


@dataclass
class Session:
    """The models on the page: one, or two with the same seed stepping together."""

    settings: Settings
    runs: list[Run]
    horizon: int  # years to run (the base scenario's steps)
    size_ref: float  # people drawn with the largest circle (largest city at the start)
    note: str = ""  # e.g. that the agent count was cut
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def time(self) -> int:
        return int(round(self.runs[0].model.time))

    @property
    def year(self) -> int:
        return self.runs[0].model.year

    @property
    def finished(self) -> bool:
        return self.time >= self.horizon

    def step(self) -> None:
        """Advance every run one year (the runs stay in step)."""
        with self.lock:
            if self.finished:
                return
            for run in self.runs:
                run.model.step()

    def pairs(self) -> list[tuple[str, Any]]:
        return [(r.label, r.model) for r in self.runs]


def build_session(settings: Settings, base: str = DEFAULT_BASE) -> Session:
    """Build the run(s) ``settings`` ask for on the ``base`` scenario; raise InputError on bad input."""
    import sim
    from sim.viz.drawing import remember_initial_sizes

    seed = parse_seed(settings.seed)
    scenario = sim.load_scenario(base)
    if settings.compare and settings.compare not in PRESETS:
        raise InputError("compare", "compare", f"got {settings.compare!r}; expected one of {', '.join(PRESETS)}")
    wanted = [settings] + ([preset_settings(settings.compare, settings.seed)] if settings.compare else [])
    runs = []
    for k, s in enumerate(wanted):
        model = sim.MigrationModel.from_scenario(scenario, rng=seed, overrides=overrides(s, scenario.values))
        remember_initial_sizes(model)
        label = describe(s)
        if len(wanted) > 1:
            label = f"{'AB'[k]}: {label}"
        runs.append(Run(label, s, model))
    note = ""
    if scenario.values["n_agents"] > DEMO_MAX_AGENTS:
        note = (f"{scenario.name} has {scenario.values['n_agents']:,} agents; the demo uses "
                f"{DEMO_MAX_AGENTS:,} so that it stays fluid.")
    size_ref = max(float(r.model._viz_initial_sizes.max()) for r in runs)
    return Session(settings=settings, runs=runs, horizon=int(scenario.values["steps"]), size_ref=size_ref, note=note)


def try_build(settings: Settings, base: str) -> tuple[Session | None, str | None]:
    """:func:`build_session`, with any error turned into a message for the page."""
    try:
        return build_session(settings, base), None
    except InputError as exc:
        return None, f"Not applied: {exc}"
    except Exception as exc:  # the page must stay up whatever goes wrong; the log has the details
        traceback.print_exc()
        return None, f"Could not build the model: {type(exc).__name__}: {exc}"


def demo_defaults() -> tuple[str, str]:
    """(base scenario, first preset) from ``hukou-sim demo --scenario`` (an environment variable).

    A preset name starts on that preset on the teaching scenario; any other scenario (bundled name
    or file) becomes the base the presets act on."""
    chosen = os.environ.get(BASE_ENV, "").strip()
    if not chosen:
        return DEFAULT_BASE, "neutral"
    if chosen in PRESETS:
        return DEFAULT_BASE, chosen
    return chosen, "neutral"


MECHANISMS = """
**Migration.** Every year some rural people compare what they would earn, pay and get in a few
cities they know of (big and near ones first) with staying at home, and move if a city looks
better. Expected income counts the chance of a formal job, which is lower without local hukou.

**Hukou.** The household registration decides who gets a city's schools, hospitals, insurance
and minimum-income guarantee. Migrants live in the city but keep a rural hukou: they are the gap
between the two urbanization lines. Cities admit a few of them to local hukou each year.

**Urban villages and the new urban poor.** Most migrants rent rooms from urban villagers
(farmers whose land the city took). Poor migrants are reached by neither the urban guarantee
(wrong hukou) nor the rural one (not at home): watch migrant poverty against the other groups.

**Cap and enforcement.** A capped city that is over its cap enforces: it tears down added floors,
excludes migrants' children from school, clears street markets and evicts. Enforcement intensity
scales all four. Watch the capped circles (black rings) and where the pushed-out migrants go.

**Decentralization.** The largest cities' excess formal jobs and public-service budgets are moved
to smaller cities. Watch whether smaller cities grow and whether total urbanization holds up.

**Hukou reform.** All residents get equal services and guarantees, and more migrants convert.
Watch the hukou line rise towards the resident line and migrant poverty fall.

**Reading the plots.** Rank-size: each city's residents against its rank, on log axes; a straight
line is Zipf's law, and a flatter line means more equal city sizes (a higher Zipf exponent).
Primacy is the largest city's size over the second's.
"""


# ----------------------------------------------------------------------------------------- page
import solara  # noqa: E402  (the pure logic above is importable without a web stack)

from sim.viz import drawing  # noqa: E402

COLOUR_CHOICES = {"poverty rate": "poverty", "migrant share": "migrants"}
LABEL_TO_PRESET = {p.label: k for k, p in PRESETS.items()}
NO_COMPARISON_LABEL = "(none: one model)"


def _fig_map(session: Session, run: Run, colour_by: str):
    fig = drawing.new_figure(5.4, 4.4)
    ax, cax = drawing.map_axes(fig)
    with session.lock:
        drawing.draw_map(ax, run.model, colour_by, size_ref=session.size_ref,
                         title=f"{run.label}\n{run.model.year}", cax=cax)
    return fig


def _fig_plot(session: Session, which: str):
    fig = drawing.new_figure(5.4, 3.4)
    ax = fig.add_subplot()
    with session.lock:
        pairs = session.pairs()
        if which == "rank":
            drawing.plot_rank_size(ax, pairs)
        else:
            getattr(drawing, f"plot_{which}")(ax, pairs, horizon=session.horizon)
    return fig


@solara.component
def Figure(make, dependencies: list, classes: list[str]):
    """A matplotlib figure, rebuilt only when ``dependencies`` change."""
    fig = solara.use_memo(make, dependencies)
    with solara.Column(classes=classes, gap="0px"):
        solara.FigureMatplotlib(fig, dependencies=dependencies, format="png")


@solara.component
def Controls(settings: solara.Reactive[Settings], session: Session | None, on_reset, on_step, playing,
             speed: solara.Reactive[float], on_play):
    s = settings.value
    seed_error: str | bool = False
    try:
        parse_seed(s.seed)
    except InputError as exc:
        seed_error = exc.message

    def choose_preset(label: str) -> None:
        key = LABEL_TO_PRESET.get(label)
        if key is not None:
            settings.set(preset_settings(key, seed=s.seed, compare=s.compare))

    def set_field(name):
        return lambda value: settings.set(replace(settings.value, **{name: value}))

    def choose_compare(label: str) -> None:
        settings.set(replace(settings.value, compare=LABEL_TO_PRESET.get(label, NO_COMPARISON)))

    with solara.Card("Scenario"):
        solara.Select("Preset", values=[p.label for p in PRESETS.values()], value=PRESETS[s.preset].label,
                      on_value=choose_preset, classes=["preset-select"])
        solara.Text(PRESETS[s.preset].watch, style={"font-size": "0.85em"})
    with solara.Card("Policy settings"):
        with solara.Column(classes=["cap-slider"]):
            solara.Text("Cap on the largest cities, as a multiple of their size when decreed (0 = none)",
                        style={"font-size": "0.85em"})
            solara.SliderFloat("Cap level", value=s.cap_level, min=0.0, max=1.5, step=0.05, on_value=set_field("cap_level"))
        with solara.Column(classes=["enforcement-slider"]):
            solara.SliderFloat("Enforcement", value=s.enforcement, min=0.0, max=1.0, step=0.05,
                               on_value=set_field("enforcement"))
        with solara.Column(classes=["decentralization-slider"]):
            solara.Text("Share of the largest cities' excess jobs and services moved to smaller ones per year",
                        style={"font-size": "0.85em"})
            solara.SliderFloat("Decentralization", value=s.decentralization, min=0.0, max=0.2, step=0.01,
                               on_value=set_field("decentralization"))
        solara.Checkbox(label="Hukou reform (equal services for all residents)", value=s.reform,
                        on_value=set_field("reform"))
        solara.InputText("Seed", value=s.seed, on_value=set_field("seed"), error=seed_error, continuous_update=True,
                         classes=["seed-input"])
        solara.Select("Side by side with", values=[NO_COMPARISON_LABEL] + [p.label for p in PRESETS.values()],
                      value=PRESETS[s.compare].label if s.compare else NO_COMPARISON_LABEL,
                      on_value=choose_compare, classes=["compare-select"])
        if session is not None and s != session.settings:
            Notice("info", "Settings changed: press Reset to start a new run with them.", "settings-changed")
    with solara.Card("Run"):
        finished = session is None or session.finished
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=on_reset, classes=["reset-button"])
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=on_play, disabled=finished and not playing.value,
                          classes=["play-button"])
            solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value or finished,
                          classes=["step-button"])
        solara.SliderFloat("Steps/second", value=speed, min=0.5, max=10.0, step=0.5)


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


def Notice(kind: str, message: str, classes: str = ""):
    """An alert box (``kind``: error, warning, info).  Built from ipyvuetify directly: solara
    1.58's Info/Error pass Vuetify 2 arguments that ipyvuetify 3 rejects."""
    return solara.v.Alert(type=kind, density="compact", variant="tonal", class_=classes, children=[message])


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
    base, first_preset = solara.use_memo(demo_defaults, [])
    first = solara.use_memo(lambda: try_build(preset_settings(first_preset), base), [])
    settings = solara.use_reactive(preset_settings(first_preset))
    session = solara.use_reactive(first[0])
    error = solara.use_reactive(first[1])
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(4.0)
    colour = solara.use_reactive("poverty rate")

    def step_once() -> bool:
        current = session.value
        if current is None or current.finished:
            return False
        try:
            current.step()
        except Exception as exc:  # shown in the page; the server log has the traceback
            traceback.print_exc()
            error.set(f"The model stopped in {current.year}: {type(exc).__name__}: {exc}")
            return False
        version.set(version.value + 1)
        return not current.finished

    def on_step() -> None:
        step_once()

    def on_reset() -> None:
        playing.set(False)
        new, problem = try_build(settings.value, base)
        error.set(problem)
        if new is not None:
            session.set(new)
            version.set(version.value + 1)

    runner = solara.use_memo(lambda: {"thread": None}, [])

    def play_loop(context) -> None:
        """Step until paused or finished, paced by the speed slider (one thread per page)."""
        with context if context is not None else _no_context():
            while playing.value:
                started = time.perf_counter()
                if not step_once():
                    playing.set(False)
                    return
                time.sleep(max(1.0 / max(speed.value, 0.1) - (time.perf_counter() - started), 0.01))

    def toggle_play() -> None:
        if playing.value:
            playing.set(False)
            return
        playing.set(True)
        thread = runner["thread"]
        if thread is None or not thread.is_alive():
            runner["thread"] = threading.Thread(target=play_loop, args=(_kernel_context(),), daemon=True,
                                                name="hukou-sim-play")
            runner["thread"].start()

    current = session.value
    with solara.AppBar():
        solara.AppBarTitle("hukou-sim: where people live and who is poor")
    with solara.Sidebar():
        Controls(settings, current, on_reset, on_step, playing, speed, toggle_play)

    with solara.Column(style={"padding": "8px"}):
        if error.value:
            Notice("error", error.value, "page-error")
        if current is None:
            Notice("warning", "No model yet: fix the settings on the left and press Reset.")
            return
        if current.note:
            Notice("info", current.note)
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"Step {current.time} of {current.horizon} · year {current.year}",
                        classes=["step-counter"], style={"font-size": "1.3em", "font-weight": "bold"})
            if current.finished:
                solara.Text("finished: press Reset to run again", style={"color": "#666"})
            solara.ToggleButtonsSingle(value=colour, values=list(COLOUR_CHOICES), classes=["colour-toggle"])
        for run in current.runs:
            solara.Text(f"Running: {run.label}" if len(current.runs) > 1 else f"Running: {run.label} (seed "
                        f"{current.settings.seed.strip()})", classes=["run-description"], style={"color": "#444"})
            solara.Text(drawing.status_line(run.model), classes=["status-line"])
        deps = [version.value, id(current)]
        colour_by = COLOUR_CHOICES[colour.value]
        with solara.Columns([1] * len(current.runs)):
            for k, run in enumerate(current.runs):
                Figure(lambda run=run: _fig_map(current, run, colour_by), deps + [colour_by, k],
                       classes=["hukou-map"])
        with solara.Columns([1, 1]):
            Figure(lambda: _fig_plot(current, "poverty"), deps + ["poverty"], classes=["hukou-plot"])
            Figure(lambda: _fig_plot(current, "urbanization"), deps + ["urbanization"], classes=["hukou-plot"])
        with solara.Columns([1, 1]):
            Figure(lambda: _fig_plot(current, "concentration"), deps + ["concentration"], classes=["hukou-plot"])
            Figure(lambda: _fig_plot(current, "rank"), deps + ["rank"], classes=["hukou-plot"])
        with solara.Card("What the model does, and what to watch for"):
            Explainer()


page = Page
