"""The real network against its source: city sizes of the ``china`` network against GeoNames, the
model's initial sizes against the network's, ζ at the cut-offs of targets.md and primacy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import metrics
from ...model import MigrationModel
from ...network import china_network
from ...scenario import load_scenario
from .. import checks
from .. import targets as T


def real_network(n_cities: int = 250) -> dict[str, Any]:
    """Sizes and Zipf statistics of Chinese cities, three ways: the raw GeoNames list, the
    de-duplicated list (every city of ``china_network``) and the ``china`` network itself.

    Returns ``mismatches`` (cities whose size differs from GeoNames), ``scale`` and ``scale_spread``
    (model initial size / network size: one common factor), ``zeta`` (per cut-off of targets.md:
    reference, raw, de-duplicated, network: ζ, standard error, n), ``primacy`` (same four),
    ``smallest`` network city, and the three size arrays (``sizes``) for a rank-size plot.
    """
    net = china_network(n_cities)
    bad = checks.geonames_mismatches(net)
    model = MigrationModel.from_scenario(load_scenario("china", {"simulation.n_agents": 2000}), rng=1)
    # the model's first nodes are the network's cities (then the provinces' towns nodes), all scaled alike
    ratio = model.city_population() / model.network.population
    assert model.network.names[:net.n] == net.names
    full = checks.all_china_cities().population
    raw = checks.raw_geonames_sizes()
    cut = [r.min_size for r in T.ZIPF_REFERENCE]
    zr, zd, zn = (checks.zipf_at_cutoffs(s, cut) for s in (raw, full, net.population))
    zeta = [{"min_size": ref.min_size, "reference": ref.zeta, "reference_n": ref.n, "raw": a, "dedup": b,
             "network": c} for ref, a, b, c in zip(T.ZIPF_REFERENCE, zr, zd, zn)]
    return {"mismatches": bad, "scale": float(ratio[0]), "scale_spread": float(np.ptp(ratio)), "zeta": zeta,
            "primacy": {"reference": T.PRIMACY_REFERENCE, "raw": metrics.primacy(raw),
                        "dedup": metrics.primacy(full), "network": metrics.primacy(net.population)},
            "smallest": float(net.population.min()), "n_cities": net.n,
            "sizes": {"raw": raw, "dedup": np.asarray(full, float), "network": np.asarray(net.population, float)}}
