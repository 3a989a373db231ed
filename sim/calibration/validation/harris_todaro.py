"""Harris-Todaro: the ``harris_todaro`` scenario (one city, E formal jobs at wage w_u, a fixed
rural wage w_r, no costs or barriers) against Harris & Todaro's L* = w_u E / w_r (choice noise 0)
and against the logit fixed point :func:`~sim.calibration.checks.harris_todaro_fixed_point`
(choice noise > 0).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ...scenario import load_scenario
from ..checks import harris_todaro_fixed_point
from .runs import Execution, replicate

# (w_u yuan, w_r yuan, formal jobs per initial urban resident)
PARAMETER_SETS: tuple[tuple[float, float, float], ...] = (
    (3000, 1000, 1.0), (2000, 1500, 1.0), (5000, 800, 0.3), (4000, 2500, 0.5), (2500, 600, 0.4))
NOISE_LEVELS: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)
SETTLE_YEARS = 20  # "settled" = mean of the last 20 years
TOLERANCE = 0.02  # the issue's +/-2% at noise 0


def _overrides(w_u: float, w_r: float, jobs_per_resident: float, noise: float) -> dict[str, float]:
    return {"economy.base_wage": float(w_u), "economy.rural_income": float(w_r),
            "economy.formal_jobs_per_resident": float(jobs_per_resident), "migration.choice_noise": float(noise)}


def label(w_u: float, w_r: float, jobs_per_resident: float, noise: float) -> str:
    return f"ht_{w_u:g}_{w_r:g}_{jobs_per_resident:g}_{noise:g}"


def predicted_share(w_u: float, w_r: float, jobs_per_resident: float, noise: Sequence[float]) -> np.ndarray:
    """Predicted urban share L_u / N of the scenario at each noise level (the logit fixed point)."""
    v = load_scenario("harris_todaro").values
    n = v["total_population"]
    jobs = jobs_per_resident * v["urban_share"] * n
    return np.array([harris_todaro_fixed_point(w_u, jobs, w_r, n, s) / n for s in noise])


def harris_todaro(cases: Iterable[tuple[float, float, float, float]], base_seed: int, steps: int | None = None,
                  execution: Execution = Execution()) -> dict[str, pd.DataFrame]:
    """One run of the ``harris_todaro`` scenario per case ``(w_u, w_r, jobs per resident, noise)``,
    for ``steps`` years (default the scenario's 100).

    Returns ``runs`` (one row per case: w_u, w_r, jobs E, population N, noise, seed, ``star`` =
    w_u E / w_r, ``predicted`` logit fixed point, ``settled`` urban labour force (mean of the last
    20 years), ``error_star`` = settled / star - 1, ``error_predicted``) and ``paths`` (one row per
    case and year: urban labour force, people).
    """
    cases = [tuple(float(x) for x in c) for c in cases]
    specs = [{"scenario": "harris_todaro", "label": label(*c), "overrides": _overrides(*c)} for c in cases]
    reps = replicate("harris_todaro", specs, 1, base_seed, ["urbanization_rate"], steps=steps,
                     execution=execution)
    rows, paths = [], []
    for case, spec in zip(cases, specs):
        w_u, w_r, jpr, noise = case
        v = load_scenario("harris_todaro", spec["overrides"]).values
        n = v["total_population"]
        jobs = jpr * v["urban_share"] * n
        urban = reps.series(spec["label"], "urbanization_rate")[0] * n
        star = w_u * jobs / w_r
        predicted = harris_todaro_fixed_point(w_u, jobs, w_r, n, noise)
        settled = float(urban[-SETTLE_YEARS:].mean())
        seed = int(reps.final.loc[reps.final["scenario"] == spec["label"], "seed"].iloc[0])
        rows.append({"w_u": w_u, "w_r": w_r, "jobs_per_resident": jpr, "jobs": jobs, "N": n, "noise": noise,
                     "seed": seed, "star": star, "predicted": predicted, "settled": settled,
                     "error_star": settled / star - 1, "error_predicted": settled / predicted - 1})
        paths += [{"case": len(rows) - 1, "year": int(y), "urban": float(u)}
                  for y, u in zip(reps.years(spec["label"]), urban)]
    return {"runs": pd.DataFrame(rows), "paths": pd.DataFrame(paths)}
