"""Poverty, inequality and city-size metrics as pure functions of numpy arrays.

Everything here takes plain sequences or 1-D numpy arrays and returns a Python
``float``; nothing depends on Mesa or the model, so the functions can be tested
against hand-computed values and reused on survey data.  The model calls them
every step on a few hundred thousand agents, so each is vectorised and sorts at
most once.

Conventions shared by all functions:

* Inputs must be one-dimensional and finite (NaN/inf raise :class:`ValueError`).
* ``weights`` are people per observation (frequency weights): a weighted result
  equals the unweighted result on the data with each row repeated ``weight``
  times.  They must match ``values`` in length and be non-negative.
* City sizes (``sizes``) must be non-negative.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "fgt",
    "gini",
    "theil",
    "hhi",
    "primacy",
    "zipf_exponent",
    "zipf_standard_error",
    "top_share",
]


# --------------------------------------------------------------------------- validation



def _dot(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Sum of products, never through BLAS: a multithreaded BLAS dot sums in an order that depends
    on the thread count, so the same run would give other last digits in a single-threaded worker."""
    return float(np.sum(np.multiply(a, b)))

def _as_1d(values: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _as_weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    if weights is None:
        return None
    w = _as_1d(weights, "weights")
    if w.size != n:
        raise ValueError(f"weights must have the same length as values ({n}), got {w.size}")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    return w


def _as_sizes(sizes: ArrayLike) -> NDArray[np.float64]:
    s = _as_1d(sizes, "sizes")
    if (s < 0).any():
        raise ValueError("sizes must be non-negative")
    return s


# --------------------------------------------------------------------------- poverty


def fgt(
    incomes: ArrayLike,
    poverty_line: float,
    alpha: float,
    weights: ArrayLike | None = None,
) -> float:
    """Foster-Greer-Thorbecke poverty index P_alpha.

    .. math:: P_\\alpha = \\frac{1}{N} \\sum_{i: y_i < z} w_i \\left(\\frac{z - y_i}{z}\\right)^\\alpha,
              \\qquad N = \\sum_i w_i

    ``alpha = 0`` gives the headcount ratio, ``1`` the poverty-gap index and ``2``
    the squared-gap (severity) index.  Only people strictly below the line are poor.

    Incomes below zero are treated as zero, so a person's normalised gap is capped
    at 1: debts do not make someone "more than totally" poor, and the index stays
    in [0, 1] and non-increasing in ``alpha``.

    Units: ``incomes`` and ``poverty_line`` in the same currency (yuan per year in
    the model); the result is dimensionless (a population share for ``alpha = 0``,
    a share times a fraction of the line otherwise), in [0, 1].

    Empty input or zero total weight gives 0.0.  Raises :class:`ValueError` unless
    ``poverty_line > 0`` and ``alpha >= 0``.

    Reference: Foster, J., Greer, J. & Thorbecke, E. (1984), "A class of
    decomposable poverty measures", *Econometrica* 52(3), 761-766.
    """
    z = float(poverty_line)
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"poverty_line must be a positive finite number, got {poverty_line!r}")
    a = float(alpha)
    if not (math.isfinite(a) and a >= 0):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    y = _as_1d(incomes, "incomes")
    w = _as_weights(weights, y.size)

    total = float(y.size) if w is None else float(w.sum())
    if total == 0:
        return 0.0
    poor = y < z
    # Clip negatives to zero so every poor person's gap lies in (0, 1].
    gap = (z - np.maximum(y[poor], 0.0)) / z
    terms = gap**a  # gap > 0, so no 0**0 ambiguity when alpha == 0
    weighted_sum = terms.sum() if w is None else _dot(w[poor], terms)
    return float(weighted_sum / total)


# --------------------------------------------------------------------------- inequality


def gini(values: ArrayLike, weights: ArrayLike | None = None, presorted: bool = False) -> float:
    """Gini coefficient, optionally with frequency weights.

    Computed from the Lorenz curve of the sorted data (one sort, O(n log n)).
    With observations sorted ascending, cumulative weight ``C_i`` (through i),
    total weight ``W`` and total ``T = sum w_i x_i``,

    .. math:: G = \\frac{1}{W T} \\sum_i w_i x_i \\, (2 C_i - w_i - W),

    which is the exact area formula 1 - sum (F_i - F_{i-1})(L_i + L_{i-1}).  For
    unweighted data it equals the mean-difference definition
    sum_i sum_j |x_i - x_j| / (2 n^2 mean) (no small-sample n/(n-1) correction),
    so it lies in [0, 1 - 1/n]; weighted, it equals that on repeated rows.

    Negative values are clipped at zero (the Gini is only defined for
    non-negative quantities; clipping treats debts as zero income).

    Units: dimensionless, in [0, 1).  Empty input, zero total weight or an
    all-zero distribution gives 0.0.

    References: Cowell, F. A. (2011), *Measuring Inequality*, 3rd ed., Oxford
    University Press, ch. 2 and Technical Appendix; Lerman, R. I. & Yitzhaki, S.
    (1989), "Improving the accuracy of estimates of Gini coefficients",
    *Journal of Econometrics* 42(1), 43-47.
    """
    x = np.maximum(_as_1d(values, "values"), 0.0)
    w = _as_weights(weights, x.size)

    if w is None:
        x.sort()  # in place (x is already a clipped copy); much faster than argsort
        n = x.size
        # 2 C_i - w_i - W with unit weights is 2i - 1 - n for ranks i = 1..n.
        coef = np.arange(1 - n, n, 2, dtype=np.float64)
        total_w = float(n)
        total_x = float(x.sum())
        numerator = _dot(coef, x)
    else:
        if not presorted:  # ``presorted``: the caller's values are in ascending order already (one sort serves all)
            order = np.argsort(x)
            x, w = x[order], w[order]
        total_w = float(w.sum())
        wx = w * x
        total_x = float(wx.sum())
        numerator = _dot(2.0 * np.cumsum(w) - w - total_w, wx)

    if total_w == 0 or total_x == 0:
        return 0.0
    # Rounding can leave about -1e-16 for perfectly equal data; G is never negative.
    return max(float(numerator / (total_w * total_x)), 0.0)


def theil(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Theil T index (GE(1)), optionally with frequency weights.

    .. math:: T = \\frac{1}{N} \\sum_i w_i \\frac{x_i}{\\mu} \\ln\\frac{x_i}{\\mu},
              \\qquad \\mu = \\frac{1}{N}\\sum_i w_i x_i, \\quad N = \\sum_i w_i

    Zeros contribute 0 (the limit of x ln x as x -> 0).  Negative values are
    clipped at zero, as in :func:`gini`.

    Units: nats (natural logarithm), dimensionless, in [0, ln N] for N people.
    Empty input, zero total weight or zero mean gives 0.0.

    Reference: Theil, H. (1967), *Economics and Information Theory*,
    North-Holland, Amsterdam; Cowell, F. A. (2011), *Measuring Inequality*,
    3rd ed., Oxford University Press.
    """
    x = np.maximum(_as_1d(values, "values"), 0.0)
    w = _as_weights(weights, x.size)

    total_w = float(x.size) if w is None else float(w.sum())
    if total_w == 0:
        return 0.0
    mu = (x.sum() if w is None else _dot(w, x)) / total_w
    if mu == 0:
        return 0.0
    pos = x > 0  # only positive values: avoids log(0) warnings
    s = x[pos] / mu
    terms = s * np.log(s)
    total = terms.sum() if w is None else _dot(w[pos], terms)
    # T >= 0 mathematically; rounding can give about -1e-17 for equal data.
    return max(float(total / total_w), 0.0)


# --------------------------------------------------------------------------- city sizes


def hhi(sizes: ArrayLike) -> float:
    """Herfindahl-Hirschman index of shares.

    .. math:: H = \\sum_i (s_i / S)^2, \\qquad S = \\sum_i s_i

    Units: dimensionless, in [1/n, 1] for n units (1/n when all are equal, 1 when
    one holds everything); expressed as a fraction, not on the 0-10,000 scale.
    Empty input or zero total gives 0.0.

    References: Hirschman, A. O. (1964), "The paternity of an index",
    *American Economic Review* 54(5), 761; Rhoades, S. A. (1993), "The
    Herfindahl-Hirschman index", *Federal Reserve Bulletin* 79, 188-189.
    """
    s = _as_sizes(sizes)
    total = s.sum()
    if total == 0:
        return 0.0
    shares = s / total
    return float(_dot(shares, shares))


def primacy(sizes: ArrayLike) -> float:
    """Primacy ratio: size of the largest city over that of the second largest.

    .. math:: P = s_{(1)} / s_{(2)}

    Units: dimensionless ratio, >= 1.  Fewer than two positive sizes gives nan.
    Uses a partial sort (O(n)).

    Reference: Jefferson, M. (1939), "The law of the primate city",
    *Geographical Review* 29(2), 226-232.
    """
    s = _as_sizes(sizes)
    s = s[s > 0]
    if s.size < 2:
        return math.nan
    second, first = np.partition(s, s.size - 2)[-2:]
    return float(first / second)


def zipf_exponent(sizes: ArrayLike, min_size: float | None = None) -> float:
    """Zipf (Pareto tail) exponent by the Gabaix-Ibragimov rank - 1/2 regression.

    Keep sizes that are positive and ``>= min_size`` (if given), sort them in
    descending order with ranks r = 1..n, and fit by OLS

    .. math:: \\ln(r - 1/2) = a - \\zeta \\ln s_{(r)},

    returning ``zeta = -slope`` (positive; Zipf's law is zeta = 1).  The 1/2 shift
    removes the leading small-sample bias of the plain log-rank regression.

    Units: dimensionless.  Fewer than 3 sizes after filtering, or all of them
    equal (the slope is then undefined), gives nan.  See
    :func:`zipf_standard_error` for the standard error.

    Reference: Gabaix, X. & Ibragimov, R. (2011), "Rank - 1/2: a simple way to
    improve the OLS estimation of tail exponents", *Journal of Business &
    Economic Statistics* 29(1), 24-39.
    """
    s = _as_sizes(sizes)
    keep = s > 0
    if min_size is not None:
        keep &= s >= float(min_size)
    s = np.sort(s[keep])[::-1]
    n = s.size
    if n < 3:
        return math.nan
    log_size = np.log(s)
    log_rank = np.log(np.arange(1, n + 1) - 0.5)
    dx = log_size - log_size.mean()
    sxx = _dot(dx, dx)
    if sxx == 0:
        return math.nan
    slope = _dot(dx, log_rank - log_rank.mean()) / sxx
    return float(-slope)


def zipf_standard_error(zeta: float, n: int) -> float:
    """Asymptotic standard error of the rank - 1/2 Zipf exponent estimate.

    .. math:: \\mathrm{se}(\\hat\\zeta) = \\hat\\zeta \\sqrt{2 / n}

    where ``n`` is the number of sizes used in the regression.  Units: those of
    ``zeta`` (dimensionless).  Raises :class:`ValueError` unless ``n > 0``; a nan
    ``zeta`` gives nan.

    Reference: Gabaix, X. & Ibragimov, R. (2011), *Journal of Business &
    Economic Statistics* 29(1), 24-39.
    """
    if not n > 0:
        raise ValueError(f"n must be positive, got {n!r}")
    return float(zeta) * math.sqrt(2.0 / n)


def top_share(sizes: ArrayLike, k: int = 1) -> float:
    """Share of the total held by the k largest units (concentration ratio CR_k).

    .. math:: CR_k = \\frac{1}{S} \\sum_{r=1}^{k} s_{(r)}, \\qquad S = \\sum_i s_i

    If ``k`` exceeds the number of units, all are counted (the result is 1).
    Uses a partial sort (O(n)).

    Units: dimensionless, in [0, 1].  Empty input or zero total gives 0.0.
    Raises :class:`ValueError` unless ``k`` is an integer >= 1.

    Reference: Rhoades, S. A. (1993), "The Herfindahl-Hirschman index",
    *Federal Reserve Bulletin* 79, 188-189 (on k-unit concentration ratios).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    s = _as_sizes(sizes)
    total = s.sum()
    if total == 0:
        return 0.0
    k = min(int(k), s.size)
    top = np.partition(s, s.size - k)[s.size - k:]
    return float(top.sum() / total)


def weighted_median(values: ArrayLike, weights: ArrayLike | None = None, presorted: bool = False) -> float:
    """Median of ``values`` with each value counting ``weights`` times (the lower median at an exact half).

    Units: those of ``values``.  Empty input or zero total weight gives nan.
    """
    y = _as_1d(values, "values")
    w = _as_weights(weights, y.size)
    if w is None:
        w = np.ones(y.size)
    if y.size == 0 or not w.sum() > 0:
        return float("nan")
    if not presorted:  # ``presorted``: ``values`` are in ascending order already
        order = np.argsort(y, kind="stable")
        y, w = y[order], w[order]
    cum = np.cumsum(w)
    return float(y[np.searchsorted(cum, 0.5 * cum[-1])])


def inverted_u(sizes: ArrayLike, values: ArrayLike) -> dict[str, float]:
    """Fit ``values = a + b ln(size) + c ln(size)^2`` by least squares (Au & Henderson's check).

    Returns ``a``, ``b``, ``c``, the size at the peak (people; nan unless ``c < 0``), the smallest and
    largest size, and ``holds`` = 1.0 when the curve is concave (c < 0) with its peak strictly inside the
    observed size range (rising for small cities, falling for the largest), else 0.0.
    """
    s = _as_sizes(sizes)
    y = _as_1d(values, "values")
    if s.size != y.size or s.size < 3:
        raise ValueError("sizes and values must have the same length, at least 3")
    x = np.log(s)
    a, b, c = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, x * x]), y, rcond=None)[0]
    peak = float(np.exp(-b / (2 * c))) if c < 0 else float("nan")
    holds = float(c < 0 and s.min() < peak < s.max())
    return {"a": float(a), "b": float(b), "c": float(c), "peak_size": peak, "min_size": float(s.min()),
            "max_size": float(s.max()), "holds": holds}
