"""City-size laws: does the distribution move towards Zipf (ζ = 1) with caps off and no policy
(synthetic networks started at several ζ₀, and the calibrated China network), and what do caps do
to it (:func:`cap_effect`, from the policy runs of :mod:`.published`)?
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .runs import Execution, Replications, difference, mean_interval, replicate

START_EXPONENTS: tuple[float, ...] = (0.8, 1.0, 1.5)
CITY_SIZE_MEASURES = ("zipf_exponent", "primacy", "top_city_share", "hhi")


def synthetic_label(zeta0: float) -> str:
    return f"synthetic_zeta{zeta0:g}"


CHINA = "china_calibrated"


def zipf_runs(replications: int, steps: int, base_seed: int, start_exponents: Sequence[float] = START_EXPONENTS,
              n_cities: int = 60, synthetic_agents: int = 10000, china_agents: int | None = 40000,
              execution: Execution = Execution()) -> Replications:
    """ζ paths with caps off and no policy: the ``teaching`` scenario on ``n_cities`` synthetic
    cities started at each ζ₀ (labels :func:`synthetic_label`), and ``china_calibrated`` (label
    ``china_calibrated``; left out if ``china_agents`` is None)."""
    specs: list[dict[str, Any]] = [
        {"scenario": "teaching", "label": synthetic_label(z0),
         "overrides": {"network.n_cities": n_cities, "network.zipf_exponent": float(z0),
                       "simulation.n_agents": synthetic_agents}} for z0 in start_exponents]
    if china_agents is not None:
        specs.append({"scenario": CHINA, "label": CHINA, "overrides": {"simulation.n_agents": china_agents}})
    return replicate("city_sizes", specs, replications, base_seed, ["zipf_exponent"], steps=steps,
                     execution=execution)


def zipf_trend(paths: np.ndarray, years_after: int = 40) -> dict[str, Any]:
    """Summary of ζ paths (replications x years, yearly): mean ζ at the start, after
    ``years_after`` years and at the end; the change over the run with its 95% interval; the
    linear trend of the mean per decade; and the verdict: towards 1 (with the years in which the
    distance to 1 halves, at the measured rate), away from 1, or no significant move.  A move
    counts only if the 95% interval of the change excludes zero."""
    a = np.asarray(paths, float)
    z0, zmid, zend = a[:, 0].mean(), a[:, min(years_after, a.shape[1] - 1)].mean(), a[:, -1].mean()
    change = mean_interval(a[:, -1] - a[:, 0])
    towards = np.sign(1.0 - z0)  # +1 if ζ must rise to reach 1
    toward_sign = mean_interval((a[:, -1] - a[:, 0]) * towards)["sign"] if towards != 0 else 0
    slope = float(np.polyfit(np.arange(a.shape[1]), a.mean(axis=0), 1)[0] * 10)
    half_life = math.nan
    if toward_sign > 0 and abs(zend - 1) < abs(z0 - 1):
        half_life = (a.shape[1] - 1) * math.log(2) / math.log(abs(z0 - 1) / abs(zend - 1))
        verdict = f"towards 1 (distance halves in ~{half_life:,.0f} years)"
    elif toward_sign < 0:
        verdict = "away from 1"
    else:
        verdict = "no significant move"
    return {"start": float(z0), "middle": float(zmid), "end": float(zend), "change": change,
            "trend_per_decade": slope, "half_life_years": half_life, "verdict": verdict,
            "direction": toward_sign, "replications": a.shape[0], "years": a.shape[1] - 1}


def zipf_trends(runs: Replications, start_exponents: Sequence[float] = START_EXPONENTS) -> dict[str, dict[str, Any]]:
    """:func:`zipf_trend` of every network of :func:`zipf_runs`, by label."""
    labels = [synthetic_label(z) for z in start_exponents]
    if (runs.final["scenario"] == CHINA).any():
        labels.append(CHINA)
    return {lab: zipf_trend(runs.series(lab, "zipf_exponent")) for lab in labels}


def cap_effect(final: pd.DataFrame, measures: Sequence[str] = CITY_SIZE_MEASURES) -> pd.DataFrame:
    """City-size measures of ``neutral`` and ``cap`` (final rows of the policy runs) with 95%
    t-intervals, and cap - neutral with its Welch interval and sign (0: not significant)."""
    rows = []
    for col in measures:
        n = final.loc[final["scenario"] == "neutral", col].to_numpy(float)
        c = final.loc[final["scenario"] == "cap", col].to_numpy(float)
        rows.append({"measure": col, "neutral": mean_interval(n), "cap": mean_interval(c),
                     "difference": difference(c, n)})
    return pd.DataFrame(rows)
