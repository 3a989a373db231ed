"""The posterior of ``hukou-sim calibrate --method abc``, checked: the posterior predictive check
stored in its file (share of held-out targets inside the 90% predictive interval) and its draws as
a table for marginal and pairwise plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ...stats import effective_sample_size, weighted_mean, weighted_quantile


def posterior_check(path: str | Path) -> dict[str, Any] | None:
    """The posterior predictive check stored in a posterior file; ``None`` if there is no such file."""
    p = Path(path)
    if not p.is_file():
        return None
    data = json.loads(p.read_text(encoding="utf-8"))
    pred = data.get("predictive", {})
    held = [k for k, v in pred.items() if v["role"] == "held out"]
    checks = [k for k, v in pred.items() if v["role"] == "check"]
    share = (lambda names: sum(pred[n]["inside90"] for n in names) / len(names) if names else float("nan"))
    return {"data": data, "predictive": pred, "held_out": held, "checks": checks, "held_out_n": len(held),
            "checks_n": len(checks),
            "held_out_inside90": share(held), "checks_inside90": share(checks),
            "fitted_inside90": share([k for k, v in pred.items() if v["role"] == "fitted"])}


def posterior_draws(data: dict[str, Any]) -> pd.DataFrame:
    """The final population's draws: one row per draw, a column per free parameter, ``weight``
    (normalised to sum 1) and ``distance``."""
    keys = [p["key"] for p in data["parameters"]]
    df = pd.DataFrame([{**{k: d["values"][k] for k in keys}, "weight": d["weight"], "distance": d["distance"]}
                       for d in data["draws"]])
    df["weight"] = df["weight"] / df["weight"].sum()
    return df


def posterior_summary(data: dict[str, Any]) -> pd.DataFrame:
    """Per free parameter: search box, weighted mean, 5/50/95% weighted quantiles, and how much of
    the box the 90% credible interval covers (1: the targets say nothing about it); recomputed
    from the draws with :mod:`sim.stats`."""
    draws = posterior_draws(data)
    w = draws["weight"].to_numpy()
    rows = []
    for p in data["parameters"]:
        v = draws[p["key"]].to_numpy(float)
        q05, q50, q95 = weighted_quantile(v, w, [0.05, 0.5, 0.95])
        rows.append({"key": p["key"], "low": p["low"], "high": p["high"], "mean": weighted_mean(v, w),
                     "q05": float(q05), "q50": float(q50), "q95": float(q95),
                     "box_share90": float((q95 - q05) / (p["high"] - p["low"]))})
    out = pd.DataFrame(rows)
    out.attrs["ess"] = effective_sample_size(w)
    return out


__all__ = ["posterior_check", "posterior_draws", "posterior_summary"]
