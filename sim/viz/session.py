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
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

from sim.errors import InputError

from .citymetrics import snapshot

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
class MapPreset:
    """The cities a run is on: a bundled scenario, cut to a size that steps in a few milliseconds."""

    label: str
    scenario: str
    overrides: tuple[tuple[str, Any], ...] = ()


MAPS: dict[str, MapPreset] = {
    "synthetic": MapPreset("Synthetic network (12 cities)", DEFAULT_BASE),
    # the `china` scenario's GeoNames cities, cut to the 36 largest and 5,000 agents: a year takes ~4 ms
    "china": MapPreset("China: the 36 largest cities", "china",
                       (("network.n_cities", 36), ("simulation.n_agents", 5000),
                        ("simulation.decision_rounds", 2))),
}


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
    map: str = "synthetic"  # key of MAPS


def preset_settings(key: str, seed: str = "0", compare: str = NO_COMPARISON, map: str = "synthetic") -> Settings:
    """The controls a preset sets (seed, comparison and map are kept)."""
    if key not in PRESETS:
        raise InputError("preset", "preset", f"got {key!r}; expected one of {', '.join(PRESETS)}")
    p = PRESETS[key]
    return Settings(preset=key, cap_level=p.cap_level, enforcement=0.6, decentralization=p.decentralization,
                    reform=p.reform, seed=seed, compare=compare, map=map)


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

    @property
    def poverty_rate(self) -> np.ndarray:
        return _share(self.poor, self.population)

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


POLICY_WORDS = {  # class name -> plain words, until the policy registry gives every policy a title
    "HukouCap": "hukou cap on the largest cities",
    "HukouReform": "hukou reform (equal services for all residents)",
    "Decentralization": "jobs and services moved to smaller cities",
    "NewCity": "a new city planned beside the largest",
}


def policy_title(policy: Any) -> str:
    title = getattr(policy, "title", None)
    if isinstance(title, str) and title:
        return title
    name = type(policy).__name__
    return POLICY_WORDS.get(name, name)


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
    return YearRecord(year=year, population=snap.population, poor=snap.poor, migrants=snap.floating,
                      hukou=hukou, active=snap.active, cap=np.asarray(model.cities.cap, float).copy(),
                      metrics={k: float(v) for k, v in model.metrics().items() if _is_number(v)},
                      policies=starting, refused=np.asarray(getattr(model, "refused_entry", np.zeros(0)),
                                                            float).copy())


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


_QUERY_KEYS = {"preset": "preset", "cap": "cap_level", "enf": "enforcement", "dec": "decentralization",
               "reform": "reform", "seed": "seed", "compare": "compare", "map": "map"}


def to_query(settings: Settings, year: int | None, view: View) -> str:
    """The URL query string that restores ``settings``, the year shown and ``view``."""
    q: dict[str, Any] = {}
    default = Settings()
    for key, attr in _QUERY_KEYS.items():
        value = getattr(settings, attr)
        if key in ("preset", "seed", "map") or value != getattr(default, attr):
            q[key] = int(value) if isinstance(value, bool) else value
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
    values: dict[str, Any] = {}
    year: int | None = None
    view = View()
    problems: list[str] = []
    types = {f.name: f.type for f in fields(Settings)}
    for key, raw in parse_qsl(query or "", keep_blank_values=True):
        try:
            if key in _QUERY_KEYS:
                attr = _QUERY_KEYS[key]
                kind = types[attr]
                if attr == "reform":
                    if raw not in ("0", "1", "true", "false"):
                        raise ValueError("expected 0 or 1")
                    values[attr] = raw in ("1", "true")
                elif kind in ("float", float):
                    number = float(raw)
                    if not np.isfinite(number) or number < 0:
                        raise ValueError("expected a number >= 0")
                    values[attr] = number
                else:
                    values[attr] = raw
            elif key == "year":
                year = int(raw)
            elif key == "colour":
                view = replace(view, colour=raw)
            elif key == "line":
                view = replace(view, line=raw)
        except ValueError as exc:
            problems.append(f"URL: {key}: got {raw!r}; {exc}")
    settings = replace(first, **values)
    for attr, allowed in (("preset", PRESETS), ("map", MAPS)):
        if getattr(settings, attr) not in allowed:
            problems.append(f"URL: {attr}: got {getattr(settings, attr)!r}; expected one of {', '.join(allowed)}")
            settings = replace(settings, **{attr: getattr(first, attr)})
    if settings.compare and settings.compare not in PRESETS:
        problems.append(f"URL: compare: got {settings.compare!r}; expected one of {', '.join(PRESETS)}")
        settings = replace(settings, compare=NO_COMPARISON)
    return settings, year, view, problems
