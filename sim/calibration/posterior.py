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





def fig_posterior(data: dict[str, Any], path: Path, title: str = "") -> Path:
    """Marginal (diagonal: weighted histograms against the uniform prior over the search box) and
    pairwise (below: draws, area proportional to weight) plots of a posterior file's draws."""
    from matplotlib.figure import Figure

    keys = [p["key"] for p in data["parameters"]]
    boxes = {p["key"]: (p["low"], p["high"]) for p in data["parameters"]}
    vals = np.array([[d["values"][k] for k in keys] for d in data["draws"]])
    w = np.array([d["weight"] for d in data["draws"]])
    n = len(keys)
    fig = Figure(figsize=(2.3 * n + 0.6, 2.3 * n + 0.4), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    short = [k.rsplit(".", 1)[-1] for k in keys]
    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                lo, hi = boxes[keys[i]]
                ax.hist(vals[:, i], bins=15, range=(lo, hi), weights=w, density=True, color="C0", alpha=0.7)
                ax.axhline(1.0 / (hi - lo), color="0.4", ls="--", lw=0.8)
                q05, q95 = weighted_quantile(vals[:, i], w, [0.05, 0.95])
                ax.axvspan(q05, q95, color="C1", alpha=0.15)
                ax.set_xlim(lo, hi)
                ax.set_yticks([])
            else:
                ax.scatter(vals[:, j], vals[:, i], s=12 * w * len(w), alpha=0.5, color="C0")
                ax.set_xlim(*boxes[keys[j]])
                ax.set_ylim(*boxes[keys[i]])
            if i == n - 1:
                ax.set_xlabel(short[j], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(short[i], fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle(title or "Posterior: marginals (dashed: uniform prior; shaded: 90% interval) and pairs "
                          "(area: weight)", fontsize=9)
    fig.savefig(path, dpi=100)
    return path


__all__ = ["FORMAT", "default_path", "fig_posterior", "predictive", "to_json", "write"]
