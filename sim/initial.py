"""The start year's state (docs/model.md, "Initialization"): the urban population shared among the cities by
size, the rural population among their hinterlands, migrant agents apportioned over both, their households,
the urban villagers and the cities.  People; jobs; shares.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from . import households, migration
from .network import CityNetwork
from .state import HOME, OWN_HOME, VILLAGE_ROOM, CityArrays, HouseholdArrays, MigrantArrays, VillagerArrays


def initial_state(p: Mapping[str, Any], network: CityNetwork, dormant: Sequence[int], rng: np.random.Generator
                  ) -> tuple[MigrantArrays, HouseholdArrays, VillagerArrays, CityArrays]:
    """(migrants, households, villagers, cities) in the start year; ``dormant`` cities (founded later by a
    policy) start empty and inactive.  Draws from ``rng`` in a fixed order, so a seed gives one start."""
    C = network.n
    source = network.population.astype(float).copy()
    active = np.ones(C, bool)
    source[list(dormant)] = 0.0
    active[list(dormant)] = False
    total = p["total_population"]
    urban = p["urban_share"] * total
    size0 = urban * source / source.sum()
    villagers0 = p["villager_share"] * size0
    migrants0 = p["initial_migrant_share"] * size0
    natives0 = size0 - villagers0 - migrants0
    hinter_weight = np.where(active, source, 0.0) ** p["hinterland_exponent"]
    hinterland0 = (total - urban) * hinter_weight / hinter_weight.sum()

    # apportion agents between the 2C groups (at home in hinterland h, away in city c)
    group = np.concatenate([hinterland0, migrants0])
    counts = apportion(p["n_agents"], group)
    n = int(counts.sum())
    m = MigrantArrays.empty(n)
    kind = np.repeat(np.arange(2 * C), counts)
    at_home = kind < C
    m.weight = np.repeat(np.where(counts > 0, group / np.maximum(counts, 1), 0.0), counts)
    # groups too small for an agent: keep the totals by scaling the others of their kind
    for sel, target in ((at_home, hinterland0.sum()), (~at_home, migrants0.sum())):
        if sel.any() and m.weight[sel].sum() > 0:
            m.weight[sel] *= target / m.weight[sel].sum()
    m.location = np.where(at_home, HOME, kind - C).astype(np.int32)
    # migrants already away come from hinterlands by size and distance
    origin = np.where(at_home, kind, 0)
    away = np.flatnonzero(~at_home)
    if len(away):
        sampler = migration.candidate_sampler(hinterland0, hinterland0 > 0, network.distance_km.T,
                                              p["information_distance"])
        origin[away] = migration.sample_candidates(sampler, m.location[away], 1, rng)[:, 0]
    m.origin = origin.astype(np.int32)
    sigma = p["skill_dispersion"]
    m.skill = rng.lognormal(-sigma**2 / 2, sigma, n)
    m.years_in_city = np.where(at_home, 0, rng.integers(0, 6, n)).astype(np.int16)
    m.housing = np.where(at_home, OWN_HOME, VILLAGE_ROOM).astype(np.int8)
    m.household, n_households = households.form_households(m.origin, p["members"], rng)
    homes = households.new_households(n_households, p["farm_productivity_dispersion"], rng)

    v = VillagerArrays.empty()
    has = np.flatnonzero(villagers0 > 0)
    v.append(VillagerArrays(city=has.astype(np.int32), weight=villagers0[has],
                            rooms=p["rooms_per_villager"] * villagers0[has], extra_rooms=np.zeros(len(has)),
                            income=np.zeros(len(has)), savings=np.zeros(len(has)),
                            founded=np.zeros(len(has), np.int16),
                            urban_hukou=np.full(len(has), p["requisition_hukou_share"])))

    cities = CityArrays(
        natives=natives0, formal_jobs=p["formal_jobs_per_resident"] * size0, productivity=np.ones(C),
        service_shift=np.zeros(C), service_budget=np.zeros(C), gdp=np.zeros(C),
        compliance=initial_compliance(p, network, rng), cap=np.full(C, np.inf), enforcement=np.zeros(C),
        migrant_access=np.full(C, p["migrant_service_access"]), active=active, hinterland0=hinterland0,
        urban_movers=np.zeros(C))
    return m, homes, v, cities


def initial_compliance(p: Mapping[str, Any], network: CityNetwork, rng: np.random.Generator) -> np.ndarray:
    """Compliance a new directive meets in each city (share): the national level plus its province's deviation."""
    level = np.full(network.n, p["compliance_initial"])
    if p["compliance_spread"] > 0:
        provinces, which = np.unique(np.asarray(network.province, dtype=str), return_inverse=True)
        level += rng.normal(0.0, p["compliance_spread"], len(provinces))[which]
    return np.clip(level, 0.0, 1.0)


def apportion(n: int, sizes: np.ndarray) -> np.ndarray:
    """Split n agents between groups in proportion to sizes (largest remainder), at least one
    agent for every non-empty group when there are enough agents."""
    sizes = np.asarray(sizes, float)
    nonempty = sizes > 0
    if not nonempty.any():
        return np.zeros(len(sizes), int)
    base = nonempty.astype(int) if n >= nonempty.sum() else np.zeros(len(sizes), int)
    rest = n - base.sum()
    quota = rest * sizes / sizes.sum()
    counts = base + np.floor(quota).astype(int)
    left = n - counts.sum()
    if left > 0:
        counts[np.argsort(-(quota - np.floor(quota)), kind="stable")[:left]] += 1
    return counts
