"""The statistics every summary in hukou-sim uses: one place, so model fits, the runner's
report and the validation page compute intervals the same way.

* :func:`t_interval` / :class:`Summary` -- mean of replications with a Student-t interval;
* :func:`welch_interval` -- difference of two means (independent runs) with a Welch interval;
* :func:`weighted_quantile`, :func:`weighted_mean` -- for weighted posterior draws;
* :func:`decompose` -- a policy difference measured over posterior draws, each with its own
  replications, split into parameter uncertainty (between draws) and stochastic uncertainty
  (within draws), with the share of draws in which the difference has the sign of its mean.

Values are in the unit of whatever is summarised; NaNs are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _st

CONFIDENCE = 0.95


def _finite(values: Any) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def t_interval(values: Any, confidence: float = CONFIDENCE) -> tuple[int, float, float, float, float]:
    """``(n, mean, sd, low, high)``: Student-t interval for the mean of ``values`` (NaNs dropped)."""
    x = _finite(values)
    n = len(x)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(_st.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


@dataclass(frozen=True)
class Summary:
    """Replications of one quantity: mean, standard deviation, half-width of the 95% t-interval."""

    mean: float
    sd: float
    ci: float  # half-width of the 95% interval of the mean (nan with fewer than two values)
    n: int

    @classmethod
    def of(cls, values: Any, confidence: float = CONFIDENCE) -> "Summary":
        n, mean, sd, lo, hi = t_interval(values, confidence)
        return cls(mean, sd, (hi - lo) / 2 if n >= 2 else math.nan, n)


def welch_interval(x: Any, y: Any, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """``(difference, low, high)``: mean(x) - mean(y) with a Welch t-interval."""
    x, y = _finite(x), _finite(y)
    if len(x) == 0 or len(y) == 0:
        return math.nan, math.nan, math.nan
    diff = float(x.mean() - y.mean())
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, diff, diff
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    half = float(_st.t.ppf(0.5 + confidence / 2, df)) * se
    return diff, diff - half, diff + half


def weighted_mean(values: Any, weights: Any) -> float:
    v, w = np.asarray(values, float), np.asarray(weights, float)
    return float(np.sum(v * w) / np.sum(w))


def weighted_quantile(values: Any, weights: Any, q: Any) -> np.ndarray:
    """Quantiles ``q`` (in [0, 1]) of a weighted sample: the inverse of its weighted empirical CDF,
    interpolated between the midpoints of each draw's weight."""
    v, w = np.asarray(values, float), np.asarray(weights, float)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return np.interp(np.asarray(q, float), cdf, v)


def effective_sample_size(weights: Any) -> float:
    """Kish's effective sample size of importance weights: (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w ** 2)) if w.size else 0.0


@dataclass(frozen=True)
class Decomposition:
    """A difference measured in ``draws`` posterior draws with ``reps`` replications each.

    ``mean`` is the posterior mean of the difference.  ``parameter_sd`` is the spread of the
    per-draw expected difference across draws (what we do not know about the parameters, with
    the replications' noise in the draw means removed), ``stochastic_sd`` the spread of one run
    around its draw's mean (the model's own dice).  ``low``/``high`` is the 2.5-97.5% interval of
    the difference over draws *and* runs (mixed: both kinds of uncertainty); ``draw_low`` /
    ``draw_high`` the same interval over the draw means only (parameter uncertainty, plus the
    leftover noise of a mean of ``reps`` runs).  ``sign_share`` is the share of draws whose mean
    difference has the sign of ``mean``; ``significant_share`` the share of draws where the
    draw's own 95% t-interval excludes zero on that side.
    """

    mean: float
    parameter_sd: float
    stochastic_sd: float
    parameter_share: float  # parameter variance / total variance of a single run's difference
    low: float
    high: float
    draw_low: float
    draw_high: float
    sign: int
    sign_share: float
    significant_share: float
    draws: int
    reps: float  # mean replications per draw


def decompose(draw: Any, diff: Any) -> Decomposition:
    """Split the variance of a difference observed as runs ``diff`` grouped by posterior ``draw``.

    One-way random-effects ANOVA: within-draw variance ``s_w^2`` (pooled over draws), and the
    between-draw variance of the expected difference ``s_b^2 = var(draw means) - s_w^2 / n``
    (floored at 0), so that a single run's difference has variance ``s_b^2 + s_w^2``.  With one
    run per draw the split cannot be made and the stochastic part is ``nan``.
    """
    d = np.asarray(draw)
    x = np.asarray(diff, float)
    ok = np.isfinite(x)
    d, x = d[ok], x[ok]
    groups = [x[d == g] for g in dict.fromkeys(d.tolist())]
    groups = [g for g in groups if g.size]
    if not groups:
        nan = math.nan
        return Decomposition(nan, nan, nan, nan, nan, nan, nan, nan, 0, nan, nan, 0, 0.0)
    means = np.array([g.mean() for g in groups])
    sizes = np.array([g.size for g in groups], float)
    mean = float(means.mean())  # every draw counts once: draws are (resampled) posterior draws
    dof_w = float(np.sum(sizes - 1))
    s_w2 = float(sum(((g - g.mean()) ** 2).sum() for g in groups) / dof_w) if dof_w > 0 else math.nan
    var_means = float(means.var(ddof=1)) if len(means) > 1 else math.nan
    n_h = float(len(sizes) / np.sum(1.0 / sizes))  # harmonic mean replications per draw
    s_b2 = max(var_means - (s_w2 / n_h if math.isfinite(s_w2) else 0.0), 0.0) if math.isfinite(var_means) else math.nan
    total = s_b2 + s_w2 if math.isfinite(s_w2) else math.nan
    share = s_b2 / total if math.isfinite(total) and total > 0 else math.nan
    sign = int(np.sign(mean))
    sign_share = float(np.mean(np.sign(means) == sign)) if sign else math.nan
    sig = []
    for g in groups:
        _, _, _, lo, hi = t_interval(g)
        sig.append((lo > 0) if sign > 0 else (hi < 0) if sign < 0 else False)
    lo, hi = np.quantile(x, [0.025, 0.975])
    dlo, dhi = np.quantile(means, [0.025, 0.975])
    return Decomposition(mean, math.sqrt(s_b2) if math.isfinite(s_b2) else math.nan,
                         math.sqrt(s_w2) if math.isfinite(s_w2) else math.nan, share, float(lo), float(hi),
                         float(dlo), float(dhi), sign, sign_share, float(np.mean(sig)), len(groups),
                         float(sizes.mean()))


__all__ = ["CONFIDENCE", "Decomposition", "Summary", "decompose", "effective_sample_size", "t_interval",
           "weighted_mean", "weighted_quantile", "welch_interval"]
