"""Simulation-based calibration: fit a few free parameters to the targets by minimising a loss
over replicated runs with common random numbers.

Method (what :func:`calibrate` does):

1. **Loss.**  For a candidate parameter vector theta, run the scenario R times with the *same*
   R seeds for every candidate (common random numbers: differences between candidates are then
   differences in theta, not in luck), average each target's output over the R runs, and sum
   ``w_i * ((mean_i - observed_i) / band_i)^2`` over the fitted targets
   (:func:`sim.calibration.targets.loss`).  A target inside its band adds at most its weight.
2. **Global stage.**  The scenario's own values plus a Latin hypercube of about half the
   budget over the free parameters' search box (``scipy.stats.qmc.LatinHypercube`` with a
   fixed seed), in coordinates scaled to [0, 1].
3. **Local stage.**  Bounded Nelder-Mead (``scipy.optimize.minimize``) from the best point
   found, with an initial simplex of steps of 0.1 of each range, until the budget of
   evaluations is spent.
4. **Final evaluation.**  The best point, rounded to the digits written to the scenario file,
   is run once more with the same seeds, so the reported loss and per-target values are exactly
   those of the file.

Everything is reproducible from ``seed``: replication seeds come from
``sim.runner.seeds.run_seed(seed, "crn", 0, r)``, the hypercube from ``seed`` too.  Every run goes through
the runner (:mod:`sim.calibration.simulate`): backend, SQLite store, resumable.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import optimize
from scipy.stats import qmc

from .. import params as P
from ..errors import InputError
from ..scenario import Scenario, load_scenario
from ..stats import Summary
from .simulate import Candidate, Simulator, seeds_for
from .targets import Target, TargetSet, loss, target_set


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration may move, inside a search box within its schema bounds."""

    key: str
    low: float
    high: float
    why: str = ""

    def __post_init__(self) -> None:
        p = P.BY_KEY.get(self.key)
        if p is None:
            raise InputError("--free", self.key, "unknown parameter (see 'hukou-sim check --list')")
        if p.type is not float:
            raise InputError("--free", self.key, f"only real-valued parameters can be fitted; this one is {p.type.__name__}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise InputError("--free", self.key, f"search range {self.low:g}:{self.high:g} must have low < high")
        if (p.low is not None and self.low < p.low) or (p.high is not None and self.high > p.high):
            raise InputError("--free", self.key, f"search range {self.low:g}:{self.high:g} must lie within the "
                                                 f"schema bounds ({p.allowed()})")

    def to_value(self, u: float) -> float:
        return self.low + float(np.clip(u, 0.0, 1.0)) * (self.high - self.low)

    def to_unit(self, value: float) -> float:
        return float(np.clip((value - self.low) / (self.high - self.low), 0.0, 1.0))


FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("migration.movement_control", 0.1, 1.0,
                  "hukou movement controls in 1982: the slow rise of urbanization in the 1980s"),
    FreeParameter("migration.home_attachment", 0.0, 1.5,
                  "attachment to home and land: the level urbanization settles to"),
    FreeParameter("government.hukou_conversion_rate", 0.0, 0.1,
                  "admissions to local hukou: hukou urbanization and the floating population"),
    FreeParameter("households.remittance_share", 0.0, 0.6, "money sent home: rural income and the income ratio"),
    FreeParameter("households.farm_productivity_dispersion", 0.05, 1.5,
                  "spread of farm income within a hinterland (land was allotted per person by village): rural poverty"),
    FreeParameter("economy.native_income_dispersion", 0.2, 1.5, "spread of urban incomes: the Gini"),
    FreeParameter("economy.rural_income", 500.0, 2000.0, "farm income per person in 1982: rural poverty in 1990"),
    FreeParameter("economy.base_wage", 1500.0, 5000.0,
                  "urban wage in 1982: the level of all incomes against the absolute poverty line"),
    FreeParameter("migration.graduate_mobility", 0.0, 10.0,
                  "people choosing a city per graduate: urban-to-urban movers, the floating population"),
    FreeParameter("economy.skill_dispersion", 0.1, 1.0, "spread of migrants' earnings: the Gini"),
    FreeParameter("economy.rural_industry_wage_ratio", 0.5, 4.0,
                  "pay of local off-farm work over farm income per person: the off-farm share of rural income"),
    FreeParameter("government.land_requisition_rate", 0.0, 0.02,
                  "farmland taken by cities: people urbanized in place, neither migrants nor floating"),
    FreeParameter("policy.unified_registration.in_place_rate", 0.0, 1.0,
                  "registration in place after 2014: hukou urbanization without draining the floating population"),
    FreeParameter("policy.tiered_hukou.intensity", 0.0, 3.0,
                  "how hard the 2014 plan admitted migrants: hukou urbanization and the floating population "
                  "after 2014"),
)
DIGITS = 4  # significant digits written to the calibrated scenario


def round_value(x: float, digits: int = DIGITS) -> float:
    return float(f"{x:.{digits}g}")


def steps_for(scenario: Scenario, targets: Sequence[Target]) -> int:
    """Years to run so that every target year is reached; InputError if one precedes the start."""
    start = scenario.start_year
    early = [t.name for t in targets if t.year < start]
    if early:
        raise InputError(scenario.source, "simulation.start_year",
                         f"starts in {start}, after the target year of {', '.join(early)}; "
                         "calibrate a scenario that starts by the earliest target year")
    return max(1, max(t.year for t in targets) - start)


@dataclass
class Evaluation:
    values: dict[str, float]  # dotted key -> value
    loss: float
    per_target: dict[str, np.ndarray]
    stage: str
    seconds: float


@dataclass
class CalibrationResult:
    scenario: Scenario  # the base scenario with the calibration's overrides (n_agents)
    free: tuple[FreeParameter, ...]
    targets: TargetSet
    seeds: list[int]
    steps: int
    best: Evaluation  # the final evaluation at the rounded best values
    history: list[Evaluation] = field(default_factory=list)
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def summaries(self) -> dict[str, Summary]:
        return {k: Summary.of(v) for k, v in self.best.per_target.items()}

    def fit_loss(self) -> float:
        return self.best.loss

    def table(self) -> list[dict[str, Any]]:
        """One row per target: role, observed, simulated mean and CI, band, z, pass."""
        rows = []
        sm = self.summaries()
        held = {t.name for t in self.targets.held_out}
        for t in self.targets.all:
            s = sm[t.name]
            role = "held out" if t.name in held else ("fitted" if t.role == "fit" else "check")
            rows.append({"target": t.name, "column": t.column, "year": t.year, "role": role,
                         "observed": t.value, "band": t.band, "band_text": t.describe_band(),
                         "simulated": s.mean, "ci95": s.ci, "sd": s.sd, "replications": s.n,
                         "z": t.z(s.mean), "pass": t.passes(s.mean), "source": t.source, "note": t.note})
        return rows


class _Budget(Exception):
    """Raised inside the objective when the evaluation budget is spent."""


def setup(scenario: str | Scenario, free: Sequence[FreeParameter], targets: TargetSet | None,
          overrides: Mapping[str, Any] | None) -> tuple[tuple[FreeParameter, ...], TargetSet, Scenario, int]:
    """What every calibration method starts from: the free parameters (at least one), the target set
    (default: all fit targets but the held-out ones), the base scenario and the years to run."""
    free = tuple(free)
    if not free:
        raise InputError("--free", "free", "no free parameters; give at least one")
    ts = targets if targets is not None else target_set()
    base = load_scenario(scenario, overrides)
    return free, ts, base, steps_for(base, ts.all)


def calibrate(scenario: str | Scenario = "china", *, free: Sequence[FreeParameter] = FREE_PARAMETERS,
              targets: TargetSet | None = None, replications: int = 2, budget: int = 60, seed: int = 2024,
              overrides: Mapping[str, Any] | None = None,
              progress: Callable[[int, int, Evaluation, float], None] | None = None,
              store: str | Path | None = None, backend: str = "serial", workers: int | None = None,
              address: str | None = None, start: Scenario | None = None) -> CalibrationResult:
    """Fit ``free`` to ``targets`` (default: all fit targets but :data:`DEFAULT_HOLDOUT`).

    Without ``start``: the scenario's own values and a Latin hypercube (half the budget), then Nelder-Mead from
    the best of them.  With ``start`` (a warm start, e.g. an earlier calibration of a changed model):
    Nelder-Mead from ``start``'s values of the free parameters, with the whole budget.

    ``budget`` is the number of candidate evaluations (each is ``replications`` runs), not
    counting the final evaluation of the rounded best point.  ``overrides`` (e.g.
    ``{"simulation.n_agents": 40000}``) apply to every run and are not fitted.  Every run goes
    through the runner's ``backend`` into the SQLite ``store`` (default: a temporary file);
    rerunning with the same store reads stored runs back instead of repeating them.
    """
    if replications < 1:
        raise InputError("--replications", "replications", f"got {replications}; expected an integer >= 1")
    if budget < 1:
        raise InputError("--budget", "budget", f"got {budget}; expected an integer >= 1")
    free, ts, base, steps = setup(scenario, free, targets, overrides)
    seeds = seeds_for(seed, "crn", 0, replications)  # common random numbers: the same for every candidate
    fit_targets = ts.fitted
    weights = {t.name: ts.weight(t) for t in ts.all}
    history: list[Evaluation] = []
    t0 = time.perf_counter()
    definition = {"method": "nelder-mead", "seed": seed, "replications": replications,
                  "free": [[f.key, f.low, f.high] for f in free], "overrides": dict(overrides or {}),
                  "held_out": [t.name for t in ts.held_out], "description": METHOD_LINE}
    tmp = None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="hukou-calibrate-")
        store = Path(tmp.name) / "calibration.sqlite"
    sim = Simulator(base, ts, steps, store, "calibrate-nelder-mead", definition, backend, workers, address)
    sim.check()

    def evaluate_many(points: Sequence[Mapping[str, float]], stage: str) -> list[Evaluation]:
        start = time.perf_counter()
        per = sim.evaluate([Candidate(dict(v), "crn", 0, seeds) for v in points])
        secs = (time.perf_counter() - start) / max(len(points), 1)
        out = []
        for values, pt in zip(points, per):
            means = {k: float(np.mean(v)) for k, v in pt.items()}
            out.append(Evaluation(dict(values), loss(means, fit_targets, weights), pt, stage, secs))
        return out

    def record(ev: Evaluation) -> float:
        history.append(ev)
        if progress is not None:
            progress(len(history), budget, ev, min(e.loss for e in history))
        return ev.loss

    def objective(u: np.ndarray, stage: str) -> float:
        if len(history) >= budget:
            raise _Budget
        values = {f.key: f.to_value(x) for f, x in zip(free, u)}
        return record(evaluate_many([values], stage)[0])

    def unit_of(ev: Evaluation) -> np.ndarray:
        return np.array([f.to_unit(ev.values[f.key]) for f in free])

    def values_of(u: np.ndarray) -> dict[str, float]:
        return {f.key: f.to_value(x) for f, x in zip(free, u)}

    # 1. the scenario's own values, then a Latin hypercube: one batch, run in parallel on the backend
    origin = base if start is None else start
    start_u = np.array([f.to_unit(float(origin.values[P.BY_KEY[f.key].name])) for f in free])
    n_lhs = 0 if start is not None else max(0, min(budget - 1, budget // 2))
    design = qmc.LatinHypercube(d=len(free), seed=np.random.default_rng(np.random.SeedSequence(int(seed)))).random(n_lhs)
    try:
        with sim:
            first = evaluate_many([values_of(start_u)], "start") + evaluate_many([values_of(u) for u in design], "lhs")
            for ev in first:
                record(ev)
            # 2. bounded Nelder-Mead from the best point so far
            x0 = unit_of(min(history, key=lambda e: e.loss))
            simplex = [x0]
            for i in range(len(free)):
                x = x0.copy()
                x[i] = x[i] + 0.1 if x[i] + 0.1 <= 1.0 else x[i] - 0.1
                simplex.append(x)
            remaining = budget - len(history)
            if remaining > 0:
                try:
                    optimize.minimize(objective, x0, args=("nelder-mead",), method="Nelder-Mead",
                                      bounds=[(0.0, 1.0)] * len(free),
                                      options={"initial_simplex": np.array(simplex), "maxfev": remaining,
                                               "xatol": 1e-3, "fatol": 1e-3})
                except _Budget:
                    pass
            best_raw = min(history, key=lambda e: e.loss)
            rounded = {k: round_value(v) for k, v in best_raw.values.items()}
            # keep the rounded value inside the search box (rounding can step just outside it)
            for f in free:
                rounded[f.key] = min(max(rounded[f.key], f.low), f.high)
            best = evaluate_many([rounded], "final")[0]
    finally:
        if tmp is not None:
            tmp.cleanup()
    settings = {"replications": replications, "budget": budget, "seed": seed, "evaluations": len(history),
                "overrides": dict(overrides or {}), "best_unrounded_loss": best_raw.loss,
                "store": None if tmp is not None else str(store), "backend": sim.backend.describe(),
                "simulated": sim.simulated, "reused_from_store": sim.reused,
                "start": None if start is None else {"scenario": start.name, "values": values_of(start_u)}}
    return CalibrationResult(base, free, ts, list(seeds), steps, best, history, time.perf_counter() - t0, settings)


METHOD_LINE = ("weighted squared loss in band units over the mean of R replications with common random numbers; "
               "Latin hypercube (half the budget) then bounded Nelder-Mead (scipy)")
WARM_METHOD_LINE = ("weighted squared loss in band units over the mean of R replications with common random numbers; "
                    "bounded Nelder-Mead (scipy) from a warm start, no Latin hypercube")
