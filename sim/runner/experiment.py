"""Experiment files: which scenarios to compare, over which design, with how many replications.

An experiment is a TOML file (see ``docs/runner.md`` for every field)::

    name = "cap_vs_neutral"
    description = "Caps and decentralization against neutral urbanization"
    scenarios = ["neutral", "cap", {scenario = "cap", label = "cap_strict", overrides = {"policy.cap.level" = 0.9}}]
    baseline = "neutral"
    replications = 20
    steps = 40
    base_seed = 2024
    keep_every = 1
    outputs = ["urbanization_rate", "poverty_headcount"]

    [overrides]                  # applied to every scenario
    "simulation.n_agents" = 20000

    [design]                     # optional: kind = "none" (default), "grid", "lhs", "sobol" or "posterior"
    kind = "grid"
    [design.parameters]
    "migration.choice_noise" = [0.1, 0.3, 0.9]   # grid: the values; lhs/sobol: [low, high]

    # or: each design point a draw from a posterior written by `hukou-sim calibrate --method abc`
    # [design]
    # kind = "posterior"
    # file = "../scenarios/china_calibrated.posterior.json"   # relative to the experiment file
    # draws = 40

Everything is validated when the file is loaded, against the same parameter schema as scenario
files; any problem raises :class:`sim.errors.InputError` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from .. import params as P
from ..errors import InputError
from ..outcomes import COLUMNS
from ..scenario import Scenario, bundled_scenarios, check_consistency, load_scenario
from .seeds import run_seed

EXPERIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "experiments"
TOP_LEVEL = ("name", "description", "scenarios", "baseline", "replications", "steps", "base_seed",
             "keep_every", "outputs", "overrides", "design", "discovery")
DESIGN_FIELDS = ("kind", "parameters", "samples", "seed", "file", "draws")
DESIGN_KINDS = ("none", "grid", "lhs", "sobol", "posterior")
SCENARIO_FIELDS = ("scenario", "label", "overrides")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_RUNS = 10_000_000


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of an experiment: its label (unique in the experiment), what it refers to,
    its own overrides, and the resolved scenario (experiment and own overrides applied)."""

    label: str
    ref: str
    overrides: Mapping[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Design:
    """Design points over scenario parameters: ``points[i]`` maps dotted keys to values."""

    kind: str
    parameters: Mapping[str, Any]  # key -> list of values (grid) or (low, high) (lhs, sobol)
    samples: int
    seed: int
    points: tuple[Mapping[str, Any], ...]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict (lhs and sobol designs)."""
        names = list(self.parameters)
        return {"num_vars": len(names), "names": names,
                "bounds": [[float(lo), float(hi)] for lo, hi in self.parameters.values()]}


@dataclass(frozen=True)
class Task:
    """One run to do: everything a worker needs, plain data so it pickles to any backend."""

    key: str
    scenario: str  # label
    point: int
    replication: int
    seed: int
    steps: int
    keep_every: int
    outputs: tuple[str, ...]
    values: Mapping[str, Any]  # every model parameter, by flat name
    design_values: Mapping[str, Any]  # this point's design values, by dotted key
    scenario_name: str
    scenario_source: str


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    source: str
    scenarios: tuple[ScenarioSpec, ...]
    baseline: str | None
    replications: int
    steps: int | None
    base_seed: int
    keep_every: int
    outputs: tuple[str, ...]
    overrides: Mapping[str, Any]
    design: Design
    posterior: Mapping[str, Any] | None = None  # file, its method and creation, for the report
    discovery: tuple[Mapping[str, str], ...] = ()  # outcomes to explain by scenario discovery (report only)

    @property
    def n_runs(self) -> int:
        return len(self.scenarios) * len(self.design.points) * self.replications

    def definition(self) -> dict[str, Any]:
        """A JSON-able description of the experiment as resolved (stored in the results store)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "scenarios": [{"label": s.label, "ref": s.ref, "overrides": dict(s.overrides),
                           "scenario_name": s.scenario.name, "description": s.scenario.description}
                          for s in self.scenarios],
            "baseline": self.baseline,
            "replications": self.replications,
            "steps": self.steps,
            "base_seed": self.base_seed,
            "keep_every": self.keep_every,
            "outputs": list(self.outputs),
            "overrides": dict(self.overrides),
            "design": {"kind": self.design.kind, "samples": self.design.samples, "seed": self.design.seed,
                       "parameters": {k: list(v) for k, v in self.design.parameters.items()},
                       "parameter_order": list(self.design.parameters),  # the sample's column order
                       "n_points": len(self.design.points)},
            "posterior": dict(self.posterior) if self.posterior else None,
            "discovery": [dict(d) for d in self.discovery],
        }

    def fingerprint(self, version: str) -> str:
        """What makes two stores hold the same experiment: everything that determines its runs
        except the number of replications (adding replications extends a store) and the
        description; plus the package version (a new model version is a new experiment)."""
        d = self.definition()
        for k in ("description", "replications", "source", "posterior", "discovery"):
            d.pop(k)
        d["scenarios"] = [{"label": s.label, "values": dict(s.scenario.values)} for s in self.scenarios]
        d["design"]["points"] = [dict(p) for p in self.design.points]
        d["version"] = version
        return hashlib.sha256(_canonical(d).encode()).hexdigest()

    def tasks(self, version: str) -> Iterator[Task]:
        """Every run of the experiment, in a fixed order, generated lazily."""
        for spec in self.scenarios:
            for point, dv in enumerate(self.design.points):
                values = dict(spec.scenario.values)
                for key, value in dv.items():
                    values[P.BY_KEY[key].name] = value
                steps = self.steps if self.steps is not None else int(values["steps"])
                for rep in range(self.replications):
                    seed = run_seed(self.base_seed, spec.label, point, rep)
                    yield Task(run_key(spec.label, values, steps, seed, self.keep_every, self.outputs, version),
                               spec.label, point, rep, seed, steps, self.keep_every, self.outputs, values,
                               dict(dv), spec.scenario.name, spec.scenario.source)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def run_key(label: str, values: Mapping[str, Any], steps: int, seed: int, keep_every: int,
            outputs: tuple[str, ...], version: str) -> str:
    """Hash of everything that determines a run's stored outputs."""
    payload = {"scenario": label, "values": dict(values), "steps": steps, "seed": seed,
               "keep_every": keep_every, "outputs": list(outputs), "version": version}
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:32]


# ----------------------------------------------------------------------------- loading
def find_experiment(name_or_path: str | Path) -> Path:
    """A path, or the name of a bundled experiment (``cap_vs_neutral``)."""
    text = str(name_or_path)
    path = Path(text)
    if path.is_file():
        return path
    if not text.endswith(".toml") and "/" not in text and (EXPERIMENT_DIR / f"{text}.toml").is_file():
        return EXPERIMENT_DIR / f"{text}.toml"
    bundled = ", ".join(sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml")))
    raise InputError(text, "file", f"no such experiment file; expected a .toml path or a bundled name ({bundled})")


def load_experiment(name_or_path: str | Path) -> Experiment:
    """Load and validate an experiment file; raise :class:`InputError` for anything wrong."""
    path = find_experiment(name_or_path)
    src = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(src, "syntax", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(src, "encoding", f"byte {exc.start} is not UTF-8; expected a UTF-8 text file (TOML)") from None
    except OSError as exc:
        raise InputError(src, "file", f"cannot be read ({exc.strerror})") from None
    return experiment_from_dict(data, src, base_dir=path.parent)


def experiment_from_dict(data: Mapping[str, Any], source: str = "<experiment>",
                         base_dir: Path | None = None) -> Experiment:
    for k in data:
        if k not in TOP_LEVEL:
            raise InputError(source, k, f"unknown field; allowed fields are {', '.join(TOP_LEVEL)}")
    name = _get(data, "name", str, source, required=True)
    if not _NAME.match(name):
        raise InputError(source, "name", f"got {name!r}; expected letters, digits, '_', '-' or '.' "
                                         "(it names the store file)")
    description = _get(data, "description", str, source, default="")
    replications = _int(data, "replications", source, 1, 1_000_000, default=1)
    steps = _int(data, "steps", source, 1, P.BY_KEY["simulation.steps"].high, default=None)
    base_seed = _int(data, "base_seed", source, 0, 2**63 - 1, default=0)
    keep_every = _int(data, "keep_every", source, 1, 10_000, default=1)
    outputs = _outputs(data.get("outputs"), source)
    overrides = _overrides(data.get("overrides", {}), source, "overrides")
    scenarios = _scenarios(data, source, overrides, base_dir)
    labels = [s.label for s in scenarios]
    baseline = data.get("baseline")
    if baseline is None:
        baseline = "neutral" if "neutral" in labels else None
    elif not isinstance(baseline, str) or baseline not in labels:
        raise InputError(source, "baseline", f"got {baseline!r}; expected one of the scenario labels ({', '.join(labels)})")
    # the design's size is checked from its definition, before a single point is built
    design, posterior = _design(data.get("design", {}), source, base_seed, base_dir,
                                runs_per_point=len(scenarios) * replications)
    if posterior is not None:
        from ..posterior import check_matches
        for spec in scenarios:
            check_matches(posterior, spec.scenario.values, {**overrides, **spec.overrides}, source, spec.label)
    # every (scenario, point) must make a valid scenario: bounds are checked per value above,
    # cross-field rules here, so a bad combination fails now rather than mid-sweep
    for spec in scenarios:
        for point in design.points:
            values = dict(spec.scenario.values)
            for key, value in point.items():
                values[P.BY_KEY[key].name] = value
            check_consistency(values, source)
    post_meta = None
    if posterior is not None:
        post_meta = {"file": str(data["design"]["file"]), "created": posterior.meta.get("created"),
                     "method": posterior.meta.get("method"), "scenario": posterior.meta.get("scenario"),
                     "draws_in_file": len(posterior.weights)}
    discovery = _discovery(data.get("discovery", []), source, [s.label for s in scenarios], baseline, outputs,
                           design.kind)
    exp = Experiment(name, description, source, tuple(scenarios), baseline, replications, steps, base_seed,
                     keep_every, outputs, overrides, design, post_meta, discovery)
    if exp.n_runs > MAX_RUNS:
        raise InputError(source, "replications", f"the experiment has {exp.n_runs:,} runs; at most {MAX_RUNS:,} allowed")
    return exp


def _get(data: Mapping[str, Any], key: str, typ: type, source: str, required: bool = False, default: Any = None) -> Any:
    if key not in data:
        if required:
            raise InputError(source, key, f"missing; expected {_kind(typ)}")
        return default
    value = data[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise InputError(source, key, f"got {value!r}; expected {_kind(typ)}")
    return value


def _kind(typ: type) -> str:
    return {str: "a string", int: "an integer", list: "an array", dict: "a table"}.get(typ, typ.__name__)


def _int(data: Mapping[str, Any], key: str, source: str, low: int, high: float | None, default: Any) -> Any:
    if key not in data:
        return default
    value = _get(data, key, int, source)
    if value < low or (high is not None and value > high):
        rng = f"from {low} to {int(high)}" if high is not None else f">= {low}"
        raise InputError(source, key, f"got {value!r}; expected an integer {rng}")
    return value


def _outputs(value: Any, source: str) -> tuple[str, ...]:
    if value is None:
        return tuple(c for c in COLUMNS if c not in ("step", "year"))
    allowed = [c for c in COLUMNS if c not in ("step", "year")]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InputError(source, "outputs", f"got {value!r}; expected a non-empty array of output names")
    for v in value:
        if v not in allowed:
            raise InputError(source, "outputs", f"unknown output {v!r}; expected some of {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise InputError(source, "outputs", "an output is listed twice")
    return tuple(value)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables (``[overrides.economy]`` or bare dotted keys) -> {dotted key: value}."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _overrides(table: Any, source: str, field_name: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise InputError(source, field_name, f"got {table!r}; expected a table of parameter = value")
    out: dict[str, Any] = {}
    for key, value in _flatten(table).items():
        p = P.resolve_key(key, source)
        out[p.key] = p.validate(value, source)
    return out


def _scenarios(data: Mapping[str, Any], source: str, overrides: Mapping[str, Any],
               base_dir: Path | None) -> list[ScenarioSpec]:
    items = data.get("scenarios")
    if not isinstance(items, list) or not items:
        raise InputError(source, "scenarios", f"got {items!r}; expected a non-empty array of scenario names, "
                                              "files, or tables {scenario = ..., label = ..., overrides = {...}}")
    specs: list[ScenarioSpec] = []
    for i, item in enumerate(items):
        where = f"scenarios[{i}]"
        own: dict[str, Any] = {}
        if isinstance(item, str):
            ref, label = item, None
        elif isinstance(item, dict):
            for k in item:
                if k not in SCENARIO_FIELDS:
                    raise InputError(source, f"{where}.{k}", f"unknown field; allowed are {', '.join(SCENARIO_FIELDS)}")
            ref = item.get("scenario")
            if not isinstance(ref, str):
                raise InputError(source, f"{where}.scenario", f"got {ref!r}; expected a scenario name or .toml file")
            label = item.get("label")
            if label is not None and not isinstance(label, str):
                raise InputError(source, f"{where}.label", f"got {label!r}; expected a string")
            own = _overrides(item.get("overrides", {}), source, f"{where}.overrides")
        else:
            raise InputError(source, where, f"got {item!r}; expected a scenario name, a file, or a table")
        resolved_ref = ref
        if (ref.endswith(".toml") or "/" in ref) and base_dir is not None and not Path(ref).is_absolute():
            if (base_dir / ref).is_file():
                resolved_ref = str(base_dir / ref)
        elif ref not in bundled_scenarios() and not Path(ref).is_file():
            raise InputError(source, f"{where}.scenario" if isinstance(item, dict) else where,
                             f"unknown scenario {ref!r}; expected a bundled name ({', '.join(bundled_scenarios())}) "
                             "or a .toml file")
        try:
            sc = load_scenario(resolved_ref, {**overrides, **own})
        except InputError as exc:
            if exc.source in ("<scenario>", "--set"):
                raise InputError(source, f"{where}: {exc.field}", exc.message) from None
            raise
        if label is None:
            label = Path(ref).stem if ref.endswith(".toml") else ref
        if not _NAME.match(label):
            raise InputError(source, f"{where}.label", f"got {label!r}; expected letters, digits, '_', '-' or '.'")
        if any(s.label == label for s in specs):
            raise InputError(source, where, f"label {label!r} is used twice; give one of them a label = \"...\"")
        specs.append(ScenarioSpec(label, ref, own, sc))
    return specs


def _check_size(n_points: int, runs_per_point: int, source: str, field_name: str) -> None:
    """Refuse a design whose runs exceed MAX_RUNS -- computed, not built (10^9 points would not fit)."""
    runs = n_points * runs_per_point
    if runs > MAX_RUNS:
        raise InputError(source, field_name, f"the design has {n_points:,} points, so the experiment would have "
                                             f"{runs:,} runs; at most {MAX_RUNS:,} allowed")


def _design(table: Any, source: str, base_seed: int, base_dir: Path | None = None,
            runs_per_point: int = 1) -> tuple[Design, Any]:
    if not isinstance(table, dict):
        raise InputError(source, "design", f"got {table!r}; expected a table")
    for k in table:
        if k not in DESIGN_FIELDS:
            raise InputError(source, f"design.{k}", f"unknown field; allowed are {', '.join(DESIGN_FIELDS)}")
    kind = table.get("kind", "none" if "parameters" not in table else "grid")
    if kind not in DESIGN_KINDS:
        raise InputError(source, "design.kind", f"got {kind!r}; expected one of {', '.join(DESIGN_KINDS)}")
    seed = table.get("seed", base_seed)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(source, "design.seed", f"got {seed!r}; expected an integer >= 0")
    if kind == "posterior":
        return _posterior_design(table, source, seed, base_dir, runs_per_point)
    for k in ("file", "draws"):
        if k in table:
            raise InputError(source, f"design.{k}", "only used with kind = \"posterior\"")
    raw = table.get("parameters", {})
    if not isinstance(raw, dict):
        raise InputError(source, "design.parameters", f"got {raw!r}; expected a table of parameter = values")
    flat = _flatten(raw)
    if kind == "none":
        if flat:
            raise InputError(source, "design.kind", "parameters are given; set kind to 'grid', 'lhs' or 'sobol'")
        return Design("none", {}, 0, seed, ({},)), None
    if not flat:
        least = "two parameters" if kind == "sobol" else "one parameter"
        raise InputError(source, "design.parameters", f"a {kind} design needs at least {least}")
    if kind == "sobol" and len(flat) < 2:
        raise InputError(source, "design.parameters", f"got one parameter ({next(iter(flat))}); a Sobol design "
                                                      "needs at least two (Sobol indices split variance among them)")
    params: dict[str, Any] = {}
    for key, value in flat.items():
        p = P.resolve_key(key, source)
        field_name = f"design.parameters.{p.key}"
        if not isinstance(value, list) or not value:
            what = "an array of values" if kind == "grid" else "[low, high]"
            raise InputError(source, field_name, f"got {value!r}; expected {what}")
        if kind == "grid":
            vals = [p.validate(v, source) for v in value]
            if len(set(map(repr, vals))) != len(vals):
                raise InputError(source, field_name, "a value is listed twice")
            params[p.key] = vals
        else:
            if p.type not in (int, float):
                raise InputError(source, field_name, f"a {kind} design needs numeric parameters; {p.key} is {p.allowed()}")
            if len(value) != 2:
                raise InputError(source, field_name, f"got {value!r}; expected [low, high]")
            lo, hi = (p.validate(v, source) for v in value)
            if not lo < hi:
                raise InputError(source, field_name, f"got {value!r}; expected low < high")
            params[p.key] = (lo, hi)
    samples = table.get("samples")
    if kind == "grid":
        if samples is not None:
            raise InputError(source, "design.samples", "a grid design takes no samples (every combination is run)")
        _check_size(math.prod(len(v) for v in params.values()), runs_per_point, source, "design.parameters")
        keys = list(params)
        points = tuple(dict(zip(keys, combo)) for combo in itertools.product(*params.values()))
        return Design(kind, params, 0, seed, points), None
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise InputError(source, "design.samples", f"got {samples!r}; expected an integer >= 1")
    _check_size(samples * (len(params) + 2 if kind == "sobol" else 1), runs_per_point, source, "design.samples")
    if kind == "lhs":
        from scipy.stats import qmc
        unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed)).random(samples)
    else:
        if samples & (samples - 1):
            raise InputError(source, "design.samples", f"got {samples}; a Sobol design needs a power of 2 "
                                                       "(the sample has samples * (parameters + 2) points)")
        if len(params) < 2:
            raise InputError(source, "design.parameters", "a Sobol design needs at least two parameters")
        from SALib.sample import sobol as sobol_sample
        problem = {"num_vars": len(params), "names": list(params), "bounds": [[0.0, 1.0]] * len(params)}
        unit = sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
    points = []
    for row in unit:
        point = {}
        for (key, (lo, hi)), u in zip(params.items(), row):
            v = lo + float(u) * (hi - lo)
            p = P.BY_KEY[key]
            point[key] = min(max(int(round(v)), lo), hi) if p.type is int else float(v)
        points.append(point)
    return Design(kind, params, samples, seed, tuple(points)), None


def _discovery(items: Any, source: str, labels: list[str], baseline: str | None, outputs: tuple[str, ...],
               kind: str) -> tuple[dict[str, str], ...]:
    """``discovery = [{scenario = "cap", output = "poverty_headcount", direction = "increase"}]``: outcomes the
    report explains by scenario discovery over the posterior ("where does the cap raise poverty?")."""
    if not isinstance(items, list):
        raise InputError(source, "discovery", f"got {items!r}; expected an array of tables")
    if items and kind != "posterior":
        raise InputError(source, "discovery", "scenario discovery needs design.kind = \"posterior\"")
    out = []
    for i, item in enumerate(items):
        where = f"discovery[{i}]"
        if not isinstance(item, dict) or set(item) != {"scenario", "output", "direction"}:
            raise InputError(source, where, f"got {item!r}; expected {{scenario = ..., output = ..., "
                                            "direction = \"increase\" or \"decrease\"}")
        if item["scenario"] not in labels or item["scenario"] == baseline:
            raise InputError(source, f"{where}.scenario", f"got {item['scenario']!r}; expected a scenario label "
                                                          f"other than the baseline ({', '.join(labels)})")
        if item["output"] not in outputs:
            raise InputError(source, f"{where}.output", f"got {item['output']!r}; expected one of the outputs")
        if item["direction"] not in ("increase", "decrease"):
            raise InputError(source, f"{where}.direction", f"got {item['direction']!r}; expected increase or decrease")
        out.append(dict(item))
    return tuple(out)


def _posterior_design(table: Mapping[str, Any], source: str, seed: int, base_dir: Path | None,
                      runs_per_point: int = 1) -> tuple[Design, Any]:
    """``draws`` design points drawn (systematic resampling, by weight) from a posterior file."""
    from .. import posterior as PO

    for k in ("parameters", "samples"):
        if k in table:
            raise InputError(source, f"design.{k}", "a posterior design takes its parameters from the posterior "
                                                    "file; give file and draws")
    file = table.get("file")
    if not isinstance(file, str) or not file:
        raise InputError(source, "design.file", f"got {file!r}; expected the path of a posterior .json file "
                                                "(written by 'hukou-sim calibrate --method abc')")
    path = Path(file)
    if not path.is_absolute() and base_dir is not None and (base_dir / path).is_file():
        path = base_dir / path
    draws = table.get("draws")
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise InputError(source, "design.draws", f"got {draws!r}; expected an integer >= 1 (posterior draws, "
                                                 "each a design point with its replications)")
    post = PO.load(path, source)
    boxes = {p["key"]: (float(p["low"]), float(p["high"])) for p in post.meta["parameters"]
             if isinstance(p.get("low"), (int, float)) and isinstance(p.get("high"), (int, float))}
    params = {k: boxes.get(k, (float(post.values[:, j].min()), float(post.values[:, j].max())))
              for j, k in enumerate(post.keys)}
    _check_size(draws, runs_per_point, source, "design.draws")
    return Design("posterior", params, draws, seed, tuple(post.sample(draws, seed))), post
