"""Writing the posterior file of an ABC-SMC calibration (format: :mod:`sim.posterior`), with the
posterior predictive check of every target."""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..posterior import FORMAT, FORMAT_VERSION, default_path
from ..stats import weighted_mean, weighted_quantile


def predictive(result: Any) -> dict[str, dict[str, Any]]:
    """Posterior predictive check: per target, the weighted 5/50/95% quantiles of the final
    population's simulated values (each accepted particle's own runs: draws from the posterior
    predictive) and whether the observed value lies in the 90% interval."""
    gen = result.posterior
    held = {t.name for t in result.targets.held_out}
    out = {}
    for t in result.targets.all:
        vals = np.array([float(np.mean(p[t.name])) for p in gen.per_target])
        ok = np.isfinite(vals)
        if not ok.any():
            continue
        q05, q50, q95 = weighted_quantile(vals[ok], gen.weights[ok], [0.05, 0.5, 0.95])
        role = "held out" if t.name in held else ("fitted" if t.role == "fit" else "check")
        out[t.name] = {"role": role, "column": t.column, "year": t.year, "observed": t.value, "band": t.band,
                       "q05": float(q05), "q50": float(q50), "q95": float(q95),
                       "inside90": bool(q05 <= t.value <= q95), "within_band_share": float(
                           np.sum(gen.weights[ok] * (np.abs(vals[ok] - t.value) <= t.band)) / np.sum(gen.weights[ok]))}
    return out


def to_json(result: Any, date: str | None = None) -> dict[str, Any]:
    from .. import __version__
    from .abc import METHOD

    gen = result.posterior
    keys = [f.key for f in result.free]
    held = {t.name for t in result.targets.held_out}
    summary = {}
    for j, k in enumerate(keys):
        q05, q50, q95 = weighted_quantile(gen.theta[:, j], gen.weights, [0.05, 0.5, 0.95])
        summary[k] = {"mean": weighted_mean(gen.theta[:, j], gen.weights), "q05": float(q05), "q50": float(q50),
                      "q95": float(q95)}
    s = result.settings
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created": date or _dt.datetime.now().isoformat(timespec="seconds"), "version": __version__,
        "method": METHOD,
        "scenario": {"name": result.scenario_name, "source": result.scenario_source},
        "overrides": result.overrides, "steps": result.steps, "start_year": result.start_year,
        "parameters": [{"key": f.key, "low": f.low, "high": f.high, "why": f.why} for f in result.free],
        "targets": [{"name": t.name, "column": t.column, "year": t.year, "observed": t.value, "band": t.band,
                     "role": "held out" if t.name in held else ("fitted" if t.role == "fit" else "check")}
                    for t in result.targets.all],
        "settings": {"particles": s.particles, "generations": s.generations, "alpha": s.alpha,
                     "replications": s.replications, "min_acceptance": s.min_acceptance,
                     "max_simulations": s.max_simulations, "seed": s.seed},
        "generations": [{"generation": g.index, "epsilon": g.epsilon if math.isfinite(g.epsilon) else None,
                         "accepted": int(len(g.theta)), "proposed": int(g.proposed), "simulations": int(g.simulations),
                         "acceptance": g.acceptance, "ess": g.ess,
                         "median_distance": float(np.median(g.distances))} for g in result.generations],
        "stopped": result.stopped, "store": result.store, "backend": result.backend,
        "simulations": int(sum(g.simulations for g in result.generations)),
        "draws": [{"weight": float(w), "distance": float(d), "values": {k: float(v) for k, v in zip(keys, th)}}
                  for th, w, d in zip(gen.theta, gen.weights, gen.distances)],
        "summary": summary,
        "predictive": predictive(result),
    }


def write(result: Any, path: Path, date: str | None = None) -> Path:
    from ..cli import _write_atomic
    _write_atomic(path, json.dumps(to_json(result, date), indent=1) + "\n")
    return path



__all__ = ["FORMAT", "default_path", "predictive", "to_json", "write"]
