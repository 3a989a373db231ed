"""ABC-SMC: a posterior over the free parameters, not a point (``hukou-sim calibrate --method abc``).

Algorithm: population Monte Carlo ABC (Beaumont, Cornuet, Marin & Robert 2009; Toni et al.
2009) with an adaptive tolerance schedule (each generation's tolerance is the ``alpha`` weighted
quantile of the previous generation's distances, as in Drovandi & Pettitt 2011 and pyABC's
default).  In the free parameters' search box, with a uniform prior over it:

* generation 0: ``N`` draws from the prior (a tolerance of infinity: all accepted, equal weights);
* generation t: tolerance ``eps_t`` = ``alpha``-quantile of generation t-1's distances; proposals
  are drawn in batches: pick a particle of t-1 by weight, perturb it with a Gaussian kernel of
  twice the weighted covariance of t-1 (Beaumont et al.'s optimal scale for a Gaussian kernel),
  redraw until inside the box; simulate; keep those with distance <= eps_t, until ``N`` are kept
  (the first ``N`` in proposal order).  Weight of a kept particle: prior / sum_j w_j K(theta - theta_j).
* stop after ``generations``, when a generation accepts fewer than ``min_acceptance`` of its
  proposals, or when the next generation would exceed ``max_simulations`` (the last complete
  generation is the posterior).

Distance: root mean square over the fitted targets of (mean simulated - observed) / band, the
mean being over ``replications`` runs (``sqrt(loss / sum w)`` of :func:`sim.calibration.targets.loss`):
1 means "on average at the edge of the bands".

Why our own ~200 lines and not a library: every simulation must go through the runner's backends
(process pool, Dask) into *our* SQLite store, keyed so that a rerun after SIGKILL repeats no stored
simulation and proposes the same particles.  pyABC (0.13) keeps its own SQLAlchemy history database
(a second store) and resumes only at generation boundaries, and its samplers draw from numpy's global
random state; ELFI (0.8) keeps its own output pool and batch/seed scheme and drives its own clients;
sbi needs torch.  Here every proposal comes from ``numpy.random.SeedSequence([seed, generation,
batch])`` and every run's seed from :func:`sim.runner.seeds.run_seed`, and the generation loop is
recomputed from the store on a rerun (cheap: no simulation is repeated), so a resumed calibration
is the uninterrupted one, number for number, whatever the backend.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import stats as _st

from ..errors import InputError
from ..runner.seeds import stable_hash
from ..stats import effective_sample_size, weighted_quantile
from .fit import FREE_PARAMETERS, FreeParameter, setup
from .simulate import Candidate, Simulator, seeds_for
from .targets import TargetSet, loss

METHOD = ("ABC-SMC (population Monte Carlo ABC, Beaumont et al. 2009) with adaptive tolerance: alpha-quantile of "
          "the previous generation's distances; Gaussian perturbation kernel with twice the weighted covariance; "
          "uniform prior over the search box; distance = RMS of (mean simulated - observed) / band over fitted targets")


@dataclass(frozen=True)
class ABCSettings:
    particles: int = 200
    generations: int = 6
    alpha: float = 0.5
    replications: int = 1
    min_acceptance: float = 0.02
    max_simulations: int = 5000
    seed: int = 2024

    def __post_init__(self) -> None:
        if self.particles < 2:
            raise InputError("--particles", "particles", f"got {self.particles}; expected an integer >= 2")
        if self.generations < 1:
            raise InputError("--generations", "generations", f"got {self.generations}; expected an integer >= 1")
        if not 0.0 < self.alpha < 1.0:
            raise InputError("--alpha", "alpha", f"got {self.alpha}; expected a number strictly between 0 and 1")
        if self.replications < 1:
            raise InputError("--replications", "replications", f"got {self.replications}; expected an integer >= 1")
        if not 0.0 <= self.min_acceptance < 1.0:
            raise InputError("--min-acceptance", "min_acceptance", f"got {self.min_acceptance}; expected 0 <= x < 1")
        if self.max_simulations < self.particles * self.replications:
            raise InputError("--max-simulations", "max_simulations",
                             f"got {self.max_simulations}; expected at least particles x replications "
                             f"({self.particles * self.replications}) for the first generation")


@dataclass
class Generation:
    index: int
    epsilon: float  # tolerance (RMS band units); inf for generation 0
    theta: np.ndarray  # (N, d) accepted parameter values
    weights: np.ndarray  # (N,) normalised
    distances: np.ndarray  # (N,)
    per_target: list[dict[str, np.ndarray]]  # each accepted particle's simulated targets (per replication)
    proposed: int
    simulations: int
    seconds: float

    @property
    def acceptance(self) -> float:
        return len(self.theta) / self.proposed if self.proposed else math.nan

    @property
    def ess(self) -> float:
        return effective_sample_size(self.weights)


@dataclass
class ABCResult:
    free: tuple[FreeParameter, ...]
    targets: TargetSet
    settings: ABCSettings
    generations: list[Generation]
    scenario_name: str
    scenario_source: str
    overrides: dict[str, Any]
    steps: int
    start_year: int
    store: str
    backend: str
    simulated: int  # runs executed by this call
    reused: int  # runs read back from the store
    stopped: str
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]


def distance(per_target: Mapping[str, np.ndarray], targets: TargetSet) -> float:
    """RMS over the fitted targets of (mean over replications - observed) / band; inf if a run failed."""
    means = {k: float(np.mean(v)) if np.all(np.isfinite(v)) else math.nan for k, v in per_target.items()}
    total_w = sum(targets.weight(t) for t in targets.fitted)
    value = loss(means, targets.fitted, {t.name: targets.weight(t) for t in targets.all})
    return math.sqrt(value / total_w) if math.isfinite(value) else math.inf


def _rng(seed: int, generation: int, batch: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), stable_hash("abc-proposal"), generation, batch]))


def _propose(prev: Generation, cov: np.ndarray, n: int, rng: np.random.Generator, low: np.ndarray,
             high: np.ndarray) -> np.ndarray:
    """``n`` perturbed particles of ``prev`` inside the box (redrawn until inside)."""
    chol = np.linalg.cholesky(cov)
    out = np.empty((0, len(low)))
    for _ in range(10_000):
        need = n - len(out)
        if need <= 0:
            break
        k = max(need * 2, 16)
        idx = rng.choice(len(prev.theta), size=k, p=prev.weights)
        cand = prev.theta[idx] + rng.standard_normal((k, len(low))) @ chol.T
        inside = np.all((cand >= low) & (cand <= high), axis=1)
        out = np.vstack([out, cand[inside]])
    if len(out) < n:  # pragma: no cover - the kernel is scaled to the population, which lies in the box
        raise RuntimeError("could not propose particles inside the search box")
    return out[:n]


def _kernel_cov(prev: Generation, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Twice the weighted covariance of the previous population, kept positive definite."""
    cov = 2.0 * np.atleast_2d(np.cov(prev.theta.T, aweights=prev.weights, ddof=0))
    floor = (1e-6 * (high - low)) ** 2  # a population collapsed onto one point still moves a little
    return cov + np.diag(floor)


def run_abc(scenario: str = "china", *, free: Sequence[FreeParameter] = FREE_PARAMETERS,
            targets: TargetSet | None = None, settings: ABCSettings = ABCSettings(),
            overrides: Mapping[str, Any] | None = None, store: str | Path = "results/calibrate-abc.sqlite",
            backend: str = "process", workers: int | None = None, address: str | None = None,
            progress: Callable[[str], None] | None = None, backend_obj: Any = None) -> ABCResult:
    """Run ABC-SMC; every simulation through ``backend`` into ``store`` (a rerun resumes)."""
    free, ts, base, steps = setup(scenario, free, targets, overrides)
    s = settings
    low = np.array([f.low for f in free])
    high = np.array([f.high for f in free])
    keys = [f.key for f in free]
    definition = {"method": "abc-smc", "free": [[f.key, f.low, f.high] for f in free],
                  "overrides": dict(overrides or {}), "seed": s.seed, "replications": s.replications,
                  "particles": s.particles, "alpha": s.alpha, "held_out": [t.name for t in ts.held_out],
                  "description": METHOD,
                  "budget_info": {"generations": s.generations, "max_simulations": s.max_simulations,
                                  "min_acceptance": s.min_acceptance}}
    sim = Simulator(base, ts, steps, store, "calibrate-abc", definition, backend, workers, address, backend_obj)
    sim.check()
    say = progress or (lambda text: None)
    t_start = time.perf_counter()
    gens: list[Generation] = []
    used = 0  # simulations the algorithm has asked for (stored or run)
    stopped = f"reached {s.generations} generations"

    def simulate(theta: np.ndarray, g: int, first_point: int) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
        cands = [Candidate(dict(zip(keys, map(float, th))), f"abc-g{g}", first_point + i,
                           seeds_for(s.seed, f"abc-g{g}", first_point + i, s.replications))
                 for i, th in enumerate(theta)]
        per = sim.evaluate(cands)
        return per, np.array([distance(p, ts) for p in per])

    with sim:
        t0 = time.perf_counter()
        theta0 = low + _rng(s.seed, 0, 0).random((s.particles, len(free))) * (high - low)
        per0, d0 = simulate(theta0, 0, 0)
        used += len(theta0) * s.replications
        w0 = np.full(len(theta0), 1.0 / len(theta0))
        gens.append(Generation(0, math.inf, theta0, w0, d0, per0, len(theta0), len(theta0) * s.replications,
                               time.perf_counter() - t0))
        say(_line(gens[-1], sim))
        for g in range(1, s.generations):
            prev = gens[-1]
            finite = np.isfinite(prev.distances)
            if not finite.any():
                stopped = "every simulation of the last generation failed"
                break
            eps = float(weighted_quantile(prev.distances[finite], prev.weights[finite], s.alpha))
            cov = _kernel_cov(prev, low, high)
            t0 = time.perf_counter()
            kept_theta, kept_per, kept_d = [], [], []
            proposed, batch, point = 0, 0, 0
            while len(kept_theta) < s.particles:
                rate = len(kept_theta) / proposed if proposed else 1.0
                need = s.particles - len(kept_theta)
                size = min(4 * s.particles, math.ceil(need / max(rate, 0.05)))
                if used + size * s.replications > s.max_simulations:
                    size = (s.max_simulations - used) // s.replications
                    if size <= 0:
                        break
                theta = _propose(prev, cov, size, _rng(s.seed, g, batch), low, high)
                per, d = simulate(theta, g, point)
                used += size * s.replications
                proposed += size
                point += size
                batch += 1
                for th, p, dd in zip(theta, per, d):
                    if dd <= eps and len(kept_theta) < s.particles:
                        kept_theta.append(th)
                        kept_per.append(p)
                        kept_d.append(dd)
                if proposed and len(kept_theta) / proposed < s.min_acceptance and len(kept_theta) < s.particles:
                    break
            if len(kept_theta) < s.particles:
                rate = len(kept_theta) / max(proposed, 1)
                stopped = (f"generation {g} stopped with {len(kept_theta)} of {s.particles} particles "
                           f"(acceptance {rate:.3f}; " + ("simulation budget spent" if used >= s.max_simulations
                                                          or rate >= s.min_acceptance else
                                                          f"below the minimum {s.min_acceptance}") +
                           "); the posterior is the last complete generation")
                break
            theta = np.array(kept_theta)
            mix = _st.multivariate_normal(mean=np.zeros(len(free)), cov=cov, allow_singular=True)
            dens = np.array([np.sum(prev.weights * mix.pdf(th - prev.theta)) for th in theta])
            w = 1.0 / np.maximum(dens, 1e-300)  # uniform prior: constant numerator
            w /= w.sum()
            gens.append(Generation(g, eps, theta, w, np.array(kept_d), kept_per, proposed,
                                   proposed * s.replications, time.perf_counter() - t0))
            say(_line(gens[-1], sim))
            if gens[-1].acceptance < s.min_acceptance:
                stopped = f"acceptance {gens[-1].acceptance:.3f} fell below {s.min_acceptance} in generation {g}"
                break
    return ABCResult(free, ts, s, gens, base.name, base.source, dict(overrides or {}), steps, base.start_year,
                     str(store), sim.backend.describe(), sim.simulated, sim.reused, stopped,
                     time.perf_counter() - t_start)


def _line(g: Generation, sim: Simulator) -> str:
    eps = "inf" if not math.isfinite(g.epsilon) else f"{g.epsilon:.3f}"
    return (f"  generation {g.index}: epsilon {eps}, accepted {len(g.theta)}/{g.proposed} "
            f"({g.acceptance:.0%}), ESS {g.ess:.0f}, median distance {np.median(g.distances):.3f}; "
            f"{sim.simulated} simulated, {sim.reused} read from the store so far")
