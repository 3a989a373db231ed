"""Synthetic city networks: a seeded, tiered system of cities following the rank-size rule."""

from __future__ import annotations

import numpy as np

from .checks import _int_param, _positive_param
from .core import CityNetwork, _assemble

_SYNTHETIC = "synthetic network"


def synthetic_network(
    n_cities: int = 30,
    zipf_exponent: float = 1.0,
    largest_city: float = 20e6,
    neighbours: int = 4,
    extent_km: float = 2000.0,
    seed: int = 0,
) -> CityNetwork:
    """A seeded tiered system of ``n_cities`` cities.

    Sizes follow the rank-size rule ``size_r = largest_city * r**(-1/zipf_exponent)``
    (people) times seeded lognormal noise (sigma 0.1) for r >= 2, capped at
    ``largest_city`` and re-sorted, so city 1 has exactly ``largest_city`` people.
    ``zipf_exponent`` is zeta of P(size > s) ~ s**-zeta (1 = Zipf's law).
    Positions are uniform in the square [0, extent_km]^2 (km); the largest city
    takes the drawn position nearest the centre.  Each city is linked to its
    ``neighbours`` nearest cities (Euclidean km).  Names "City 1".."City n" by rank.
    Uses only ``np.random.default_rng(seed)``.
    """
    src = _SYNTHETIC
    n = _int_param(src, "n_cities", n_cities, 1)
    k = _int_param(src, "neighbours", neighbours, 1)
    zeta = _positive_param(src, "zipf_exponent", zipf_exponent, "zeta of the rank-size rule")
    largest = _positive_param(src, "largest_city", largest_city, "people")
    extent = _positive_param(src, "extent_km", extent_km, "km")
    seed = _int_param(src, "seed", seed, 0)
    rng = np.random.default_rng(seed)

    rank = np.arange(1, n + 1, dtype=np.float64)
    noise = rng.lognormal(mean=0.0, sigma=0.1, size=n)
    noise[0] = 1.0
    size = np.minimum(largest * rank ** (-1.0 / zeta) * noise, largest)
    size = np.sort(size, kind="stable")[::-1].copy()
    size[0] = largest

    pts = rng.uniform(0.0, extent, size=(n, 2))
    centre = np.array([extent / 2, extent / 2])
    core = int(np.argmin(np.hypot(*(pts - centre).T)))
    order = [core, *(i for i in range(n) if i != core)]
    pts = pts[order]

    names = [f"City {r}" for r in range(1, n + 1)]
    return _assemble(names, size, pts[:, 0].copy(), pts[:, 1].copy(), None, None, neighbours=k,
                     source=f"synthetic(seed={seed})", origin=None)

