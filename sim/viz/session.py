"""The runs behind the teaching page: presets, settings, and a session that keeps every year's figures.

Pure logic, no web stack: :mod:`sim.viz.app` draws what this module computes.

A :class:`Session` holds one model, or two with the same seed stepping together (side by side), and a
:class:`YearRecord` per run and year.  The models only ever step forward; stepping back and jumping to
an earlier year show the recorded years, and stepping on from there replays them (the models are
deterministic, so the recorded years are the ones a rerun would give).  :func:`to_query` and
:func:`from_query` put a run (settings, year shown, view) in a URL and read it back.
"""

from __future__ import annotations

import os
import threading
import traceback
import uuid
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

from sim.errors import InputError

from .citymetrics import poor_by_line, poverty_line_values, snapshot

BASE_ENV = "HUKOU_SIM_DEMO_SCENARIO"  # set by ``hukou-sim demo --scenario``
DEFAULT_BASE = "teaching"
POLICY_DELAY = 8  # years after the start at which the presets' policies begin (1990 on teaching)
NEW_CITY_DELAY = 10  # years after the start at which the new city is founded
DEMO_MAX_AGENTS = 20_000  # bigger scenarios are cut to this many agents so the page stays fluid
MAX_SEED = 2**32 - 1
CAP_BINDS = 0.98  # a capped city at this share of its cap or more is "at its cap"


@dataclass(frozen=True)
class Preset:
    label: str
    watch: str  # what to watch for, in plain language
    policy: tuple[tuple[str, Any], ...] = ()  # policy parameters it sets (dotted keys of sim.params)


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
        (("policy.cap.enabled", True), ("policy.cap.level", 1.0))),
    "decentralize": Preset(
        "Decentralization of jobs and services from 1990",
        "Each year 5% of the largest cities' excess formal jobs and service budgets move to smaller cities. "
        "Watch whether migrants follow the jobs, and whether urbanization keeps up.",
        (("policy.decentralization.rate", 0.05),)),
    "cap_decentralize": Preset(
        "Cap and decentralization from 1990",
        "China's stated mix: caps on the largest cities and jobs moved to smaller ones. Compare it side by "
        "side with the cap alone: does moving jobs soften the cap's effect on migrants?",
        (("policy.cap.enabled", True), ("policy.cap.level", 1.0), ("policy.decentralization.rate", 0.05))),
    "hukou_reform": Preset(
        "Hukou reform from 1990",
        "Residents get the same schools, hospitals and guarantees whatever their hukou, and more migrants "
        "are converted. Watch the hukou line catch up with the resident line and migrant poverty fall.",
        (("policy.reform.enabled", True),)),
    "new_city": Preset(
        "New city beside the largest, capital capped (1990, founded 1992)",
        "A new city (dashed circle until founded) takes jobs and services relocated from the capped "
        "largest city. Watch whether people follow them to it.",
        (("policy.cap.enabled", True), ("policy.cap.level", 1.0), ("policy.cap.top_n", 1),
         ("policy.new_city.enabled", True))),
}
NO_COMPARISON = ""


@dataclass(frozen=True)
class MapPreset:
    """The cities a run is on: a bundled scenario, cut to a size that steps in a few milliseconds."""

    label: str
    scenario: str
    overrides: tuple[tuple[str, Any], ...] = ()


MAPS: dict[str, MapPreset] = {
    "synthetic": MapPreset("Synthetic network (12 cities)", DEFAULT_BASE),
    # the `china` scenario's GeoNames cities, cut to the 36 largest and 5,000 agents: a year takes ~4 ms; every
    # urban person lives in one of them (no towns nodes: a class watches the cities it can see); the presets and
    # sliders set the caps (the scenario's history has the 2017 master plans' caps, which the sliders do not move)
    "china": MapPreset("China: the 36 largest cities", "china",
                       (("network.n_cities", 36), ("network.towns", False), ("policy.cap.enabled", False),
                        ("policy.cap.plan", ""), ("simulation.n_agents", 5000),
                        ("simulation.decision_rounds", 2))),
}


@dataclass(frozen=True)
class Settings:
    """What the controls say. Applied to a new run when Reset is pressed."""

    preset: str = "neutral"
    # policy parameters set by the preset or the teacher, (dotted key, value) sorted by key; every other
    # policy parameter keeps the demo's default (policy_defaults)
    policy: tuple[tuple[str, Any], ...] = ()
    seed: str = "0"
    compare: str = NO_COMPARISON  # preset run beside this one with the same seed ("" = none)
    map: str = "synthetic"  # key of MAPS

    def value(self, key: str, default: Any = None) -> Any:
        return dict(self.policy).get(key, default)

    def with_policy(self, key: str, value: Any) -> "Settings":
        """These settings with one policy parameter changed."""
        return replace(self, policy=tuple(sorted({**dict(self.policy), key: value}.items())))


def preset_settings(key: str, seed: str = "0", compare: str = NO_COMPARISON, map: str = "synthetic") -> Settings:
    """The controls a preset sets (seed, comparison and map are kept)."""
    if key not in PRESETS:
        raise InputError("preset", "preset", f"got {key!r}; expected one of {', '.join(PRESETS)}")
    return Settings(preset=key, policy=tuple(sorted(PRESETS[key].policy)), seed=seed, compare=compare, map=map)


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


def policy_defaults(base: dict[str, Any]) -> dict[str, Any]:
    """Every policy parameter's value in the demo before any preset: the base scenario's, with the central
    directives moved to start ``POLICY_DELAY`` years after the start (so a class sees them act) and their
    city counts fitted to the network."""
    from sim.params import PARAMS

    from .policies import policy_groups

    start = int(base["start_year"])
    n = int(base["network_n_cities"])
    out = {p.key: base[p.name] for p in PARAMS if p.key.startswith("policy.") and p.name in base}
    for group in policy_groups(start, start + int(base.get("steps", 40))):
        year = f"policy.{group.key}.start_year"
        if group.directive and year in out:
            out[year] = start + POLICY_DELAY
    top = min(4, max(n - 1, 1))
    fitted = {"policy.cap.top_n": min(4, n), "policy.decentralization.from_top_n": top,
              # receivers: the smaller half of the cities (rank 20 and below on a real network)
              "policy.decentralization.to_min_rank": max(min(20, n // 2 + 1), top + 1),
              "policy.new_city.beside": "", "policy.new_city.founded_year": start + NEW_CITY_DELAY}
    out.update({k: v for k, v in fitted.items() if k in out})
    return out


def overrides(settings: Settings, base: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides (dotted keys) that apply ``settings`` to the base scenario's values."""
    if settings.preset not in PRESETS:
        raise InputError("preset", "preset", f"got {settings.preset!r}; expected one of {', '.join(PRESETS)}")
    o: dict[str, Any] = {}
    if base["n_agents"] > DEMO_MAX_AGENTS:
        o["simulation.n_agents"] = DEMO_MAX_AGENTS
    o.update(policy_defaults(base))
    o.update(dict(settings.policy))
    if "policy.cap.top_n" in o:
        o["policy.cap.top_n"] = min(int(o["policy.cap.top_n"]), int(base["network_n_cities"]))
    return o


def describe(settings: Settings) -> str:
    """The policies a run has, in a few words (labels in legends and titles)."""
    from sim.params import PARAMS

    from .policies import is_on, policy_groups

    v = {**{p.key: p.default for p in PARAMS if p.key.startswith("policy.")}, **dict(settings.policy)}
    parts = []
    for group in policy_groups():
        if not is_on(v, group):
            continue
        if group.key == "cap":
            top = int(v["policy.cap.top_n"])
            who = "largest city" if top == 1 else f"{top} largest"
            parts.append(f"cap {float(v['policy.cap.level']):.2f}x on {who}, "
                         f"enforcement {float(v['policy.enforcement.intensity']):.2f}")
        elif group.key == "decentralization":
            parts.append(f"decentralization {float(v['policy.decentralization.rate']):.0%}/yr")
        elif group.key == "reform":
            parts.append("hukou reform")
        elif group.key == "new_city":
            parts.append("new city")
        elif dict(settings.policy).get(group.enabled or ""):  # a reform the teacher switched on
            parts.append(group.title.split(":")[0])
    return ", ".join(parts) if parts else "no central policy"


# ------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class YearRecord:
    """What the page shows about one run in one year (people, shares 0..1)."""

    year: int
    population: np.ndarray  # residents per city
    poor: np.ndarray  # residents below the official poverty line per city
    migrants: np.ndarray  # rural-hukou residents per city (the floating population)
    hukou: np.ndarray  # urban-hukou residents per city
    active: np.ndarray  # bool: founded
    cap: np.ndarray  # people; inf where uncapped
    metrics: dict[str, float]  # the model's outcome columns this year
    policies: tuple[str, ...] = ()  # titles of the policies that start this year
    refused: np.ndarray | None = None  # people turned away by each city's cap this year
    poor_at: dict[str, np.ndarray] = field(default_factory=dict)  # poverty line key -> residents below it

    @property
    def poverty_rate(self) -> np.ndarray:
        return _share(self.poor, self.population)

    def poverty_rate_at(self, line: str) -> np.ndarray:
        """Share of each city's residents below poverty line ``line`` (official if not recorded)."""
        return _share(self.poor_at.get(line, self.poor), self.population)

    @property
    def migrant_share(self) -> np.ndarray:
        return _share(self.migrants, self.population)

    @property
    def hukou_share(self) -> np.ndarray:
        return _share(self.hukou, self.population)

    @property
    def capped(self) -> np.ndarray:
        return np.isfinite(self.cap)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    out = np.zeros(len(whole))
    np.divide(part, whole, out=out, where=whole > 0)
    return out


def policy_title(policy: Any) -> str:
    """A policy's plain words (the registry's ``title``), its class name if it has none."""
    title = getattr(policy, "title", None)
    return title if isinstance(title, str) and title else type(policy).__name__


def record(model: Any) -> YearRecord:
    """The current year of ``model`` as a :class:`YearRecord` (copies; the model goes on)."""
    snap = snapshot(model)
    try:
        hukou = np.asarray(model.hukou_population(), float).copy()
    except Exception:  # an older or newer model without the method: hukou share from the migrants
        hukou = snap.population - snap.floating
    year = int(model.year)
    starting = tuple(policy_title(p) for p in getattr(model, "policies", ())
                     if getattr(p, "start_year", None) == year)
    metrics = {k: float(v) for k, v in model.metrics().items() if _is_number(v)}
    try:  # each poverty line the model reports, for the map (the official one is snap.poor)
        lines = {k: z for k, z in poverty_line_values(model).items() if k != "official"
                 and f"poverty_headcount_{k}" in metrics}
        poor_at = {"official": snap.poor, **poor_by_line(model, lines)}
    except ImportError:  # a model without sim.poverty: the official line only
        poor_at = {"official": snap.poor}
    return YearRecord(year=year, population=snap.population, poor=snap.poor, migrants=snap.floating,
                      hukou=hukou, active=snap.active, cap=np.asarray(model.cities.cap, float).copy(),
                      metrics=metrics, policies=starting,
                      refused=np.asarray(getattr(model, "refused_entry", np.zeros(0)), float).copy(), poor_at=poor_at)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


# ------------------------------------------------------------------------------------- session
@dataclass(eq=False)  # compared by identity: the page re-renders on a new run, not on equal numbers
class Run:
    label: str
    settings: Settings
    model: Any  # sim.MigrationModel
    records: list[YearRecord] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Session:
    """The models on the page: one, or two with the same seed stepping together."""

    settings: Settings
    runs: list[Run]
    horizon: int  # years to run (the base scenario's steps)
    size_ref: float  # people drawn with the largest circle (largest city at the start)
    note: str = ""  # e.g. that the agent count was cut
    shown: int = 0  # the year shown, as steps from the start (<= computed)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # names this run in the browser
    # what the page's board draws, per year (sim.viz.frames builds them; kept so each is built once)
    frames: list[dict[str, Any]] = field(default_factory=list, repr=False)
    extremes: list[dict[str, tuple[float, float]]] = field(default_factory=list, repr=False)

    @property
    def computed(self) -> int:
        """Years the models have run."""
        return len(self.runs[0].records) - 1

    @property
    def start_year(self) -> int:
        return self.runs[0].records[0].year

    @property
    def time(self) -> int:
        return self.shown

    @property
    def year(self) -> int:
        return self.start_year + self.shown

    @property
    def finished(self) -> bool:
        return self.shown >= self.horizon

    def _advance_models(self) -> None:
        for run in self.runs:
            run.model.step()
        for run in self.runs:
            run.records.append(record(run.model))

    def advance(self) -> None:
        """Run the models one year on without changing the year shown (the page computes ahead)."""
        with self.lock:
            if self.computed < self.horizon:
                self._advance_models()

    def step(self) -> None:
        """Show the next year: a recorded one, or the models step (the runs stay in step)."""
        with self.lock:
            if self.finished:
                return
            if self.shown == self.computed:
                self._advance_models()
            self.shown += 1

    def back(self) -> None:
        """Show the year before (recorded)."""
        with self.lock:
            self.shown = max(self.shown - 1, 0)

    def jump(self, year: int) -> None:
        """Show ``year`` (a calendar year), running the models on to it if it was not reached yet."""
        with self.lock:
            target = int(year) - self.start_year
            if not 0 <= target <= self.horizon:
                raise InputError("year", "year", f"got {year}; expected a year from {self.start_year} to "
                                 f"{self.start_year + self.horizon}")
            while self.computed < target:
                self._advance_models()
            self.shown = target

    def now(self, k: int = 0) -> YearRecord:
        return self.runs[k].records[self.shown]

    def history(self, k: int = 0) -> list[YearRecord]:
        return self.runs[k].records[: self.shown + 1]

    def pairs(self) -> list[tuple[str, Any]]:
        return [(r.label, r.model) for r in self.runs]


def base_scenario(settings: Settings, base: str) -> tuple[str, dict[str, Any]]:
    """(scenario, overrides) the runs are built on: the chosen map, or ``base`` if it is not teaching."""
    if settings.map not in MAPS:
        raise InputError("map", "map", f"got {settings.map!r}; expected one of {', '.join(MAPS)}")
    chosen = MAPS[settings.map]
    if settings.map == "synthetic" and base != DEFAULT_BASE:
        return base, {}
    return chosen.scenario, dict(chosen.overrides)


def build_session(settings: Settings, base: str = DEFAULT_BASE) -> Session:
    """Build the run(s) ``settings`` ask for; raise InputError on bad input."""
    import sim

    seed = parse_seed(settings.seed)
    name, map_overrides = base_scenario(settings, base)
    scenario = sim.load_scenario(name, map_overrides or None)
    if settings.compare and settings.compare not in PRESETS:
        raise InputError("compare", "compare", f"got {settings.compare!r}; expected one of {', '.join(PRESETS)}")
    wanted = [settings] + ([preset_settings(settings.compare, settings.seed, map=settings.map)]
                           if settings.compare else [])
    runs = []
    for k, s in enumerate(wanted):
        model = sim.MigrationModel.from_scenario(scenario, rng=seed, overrides=overrides(s, scenario.values))
        label = describe(s)
        if len(wanted) > 1:
            label = f"{'AB'[k]}: {label}"
        run = Run(label, s, model, names=list(model.network.names))
        run.records.append(record(model))
        model._viz_initial_sizes = run.records[0].population  # the start line of drawing.plot_rank_size
        runs.append(run)
    note = ""
    if scenario.values["n_agents"] > DEMO_MAX_AGENTS:
        note = (f"{scenario.name} has {scenario.values['n_agents']:,} agents; the demo uses "
                f"{DEMO_MAX_AGENTS:,} so that it stays fluid.")
    size_ref = max(float(r.records[0].population.max()) for r in runs)
    return Session(settings=settings, runs=runs, horizon=int(scenario.values["steps"]), size_ref=size_ref, note=note)


def try_build(settings: Settings, base: str) -> tuple[Session | None, str | None]:
    """:func:`build_session`, with any error turned into a message for the page."""
    try:
        return build_session(settings, base), None
    except InputError as exc:
        return None, f"Not applied: {input_message(exc)}"
    except Exception as exc:  # the page must stay up whatever goes wrong; the log has the details
        traceback.print_exc()
        return None, f"Could not build the model: {type(exc).__name__}: {exc}"


def input_message(exc: InputError) -> str:
    """``source: field: message``, without repeating a source that is the field itself."""
    if exc.source == exc.field:
        return f"{exc.field}: {exc.message}"
    return str(exc)


def demo_defaults() -> tuple[str, str, str]:
    """(base scenario, first preset, first map) from ``hukou-sim demo --scenario`` (an environment variable).

    A preset name starts on that preset on the teaching scenario, a map name (``china``) on that map;
    any other scenario (bundled name or file) becomes the base the presets act on."""
    chosen = os.environ.get(BASE_ENV, "").strip()
    if not chosen:
        return DEFAULT_BASE, "neutral", "synthetic"
    if chosen in PRESETS:
        return DEFAULT_BASE, chosen, "synthetic"
    if chosen in MAPS:
        return DEFAULT_BASE, "neutral", chosen
    return chosen, "neutral", "synthetic"


# ------------------------------------------------------------------------------------- URL
@dataclass(frozen=True)
class View:
    """How the page shows a run (changes apply at once, no Reset)."""

    colour: str = "poverty"  # poverty | migrants | hukou
    line: str = "official"  # key of sim.poverty.POVERTY_LINES


_QUERY_KEYS = {"preset": "preset", "seed": "seed", "compare": "compare", "map": "map"}
# short URL names of the presets' main controls (earlier URLs used them)
_ALIASES = {"cap": "policy.cap.level", "enf": "policy.enforcement.intensity", "dec": "policy.decentralization.rate",
            "reform": "policy.reform.enabled"}


def _url_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def to_query(settings: Settings, year: int | None, view: View) -> str:
    """The URL query string that restores ``settings``, the year shown and ``view``."""
    q: dict[str, Any] = {"preset": settings.preset, "seed": settings.seed, "map": settings.map}
    if settings.compare:
        q["compare"] = settings.compare
    preset = dict(PRESETS[settings.preset].policy) if settings.preset in PRESETS else {}
    for key, value in settings.policy:
        if preset.get(key, None) != value or key not in preset:
            q[key[len("policy."):]] = _url_value(value)
    if year is not None:
        q["year"] = year
    if view.colour != View.colour:
        q["colour"] = view.colour
    if view.line != View.line:
        q["line"] = view.line
    return urlencode(q)


def from_query(query: str | None, first: Settings) -> tuple[Settings, int | None, View, list[str]]:
    """Settings, year and view from a URL query (``first`` fills what it does not say).

    Returns the problems found as one-line messages (``field: what is wrong; what is allowed``);
    a bad entry is left at its default rather than failing the page."""
    from .policies import parse_value

    pairs = parse_qsl(query or "", keep_blank_values=True)
    named = {key: raw for key, raw in pairs if key in _QUERY_KEYS}
    problems: list[str] = []
    settings = first
    for attr, allowed in (("preset", PRESETS), ("map", MAPS)):
        if attr in named and named[attr] not in allowed:
            problems.append(f"URL: {attr}: got {named[attr]!r}; expected one of {', '.join(allowed)}")
            del named[attr]
    if named.get("compare") and named["compare"] not in PRESETS:
        problems.append(f"URL: compare: got {named['compare']!r}; expected one of {', '.join(PRESETS)}")
        named["compare"] = NO_COMPARISON
    if "preset" in named:  # the preset's own values, then what the URL changes
        settings = preset_settings(named["preset"], first.seed, first.compare, first.map)
    settings = replace(settings, **{_QUERY_KEYS[k]: v for k, v in named.items() if k != "preset"})
    year: int | None = None
    view = View()
    for key, raw in pairs:
        try:
            if key in _QUERY_KEYS:
                continue
            if key in _ALIASES or "." in key:
                name = _ALIASES.get(key, f"policy.{key}")
                value = parse_value(name, raw)
                settings = settings.with_policy(name, value)
                if key == "cap":  # cap=0 meant no cap
                    settings = settings.with_policy("policy.cap.enabled", value > 0)
                    if value <= 0:
                        settings = replace(settings, policy=tuple(p for p in settings.policy
                                                                  if p[0] != "policy.cap.level"))
            elif key == "year":
                year = int(raw)
            elif key == "colour":
                view = replace(view, colour=raw)
            elif key == "line":
                view = replace(view, line=raw)
        except InputError as exc:
            problems.append(f"URL: {exc.field}: {exc.message}")
        except ValueError as exc:
            problems.append(f"URL: {key}: got {raw!r}; {exc}")
    return settings, year, view, problems
