"""Mechanisms 5 (and the local side of 6): what local governments do each year.

They comply with central directives with a lag and resistance, enforce caps (demolition of
unauthorised floors, excluding migrant children from schools, clearing markets, evicting
tenants), requisition farmland (creating urban villagers), fund schools and hospitals, and
admit migrants to local hukou by points.  Functions work on all cities at once.
"""

from __future__ import annotations

import numpy as np

from .state import HOME, MigrantArrays, VillagerArrays


def update_compliance(compliance: np.ndarray, active: np.ndarray, speed: float, pressure: float,
                      resistance: float, gdp_cost: np.ndarray) -> np.ndarray:
    """Compliance rises towards 1, faster for laggards under central pressure, slower where the
    directive costs GDP.  Seed 004: the north-east's 26.9% (Dec 1982) -> 92.1% (Dec 1983)."""
    mean = compliance[active].mean() if active.any() else 0.0
    push = speed * (1.0 + pressure * np.maximum(mean - compliance, 0.0)) / (1.0 + resistance * gdp_cost)
    return compliance + (1.0 - compliance) * (1.0 - np.exp(-push))


def cap_pressure(population: np.ndarray, cap: np.ndarray, start: float = 0.9) -> np.ndarray:
    """0 below ``start`` x cap, rising to 1 at the cap (0 where there is no cap)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = population / np.maximum(cap, 1.0)
    return np.where(np.isfinite(cap), np.clip((ratio - start) / (1.0 - start), 0.0, 1.0), 0.0)


def cap_enforcement(population: np.ndarray, cap: np.ndarray, compliance: np.ndarray, intensity: float) -> np.ndarray:
    """Enforcement effort 0..1: it starts at 90% of the cap and is full at the cap, times intensity and compliance."""
    return intensity * compliance * cap_pressure(population, cap)


def demolish(villagers: VillagerArrays, enforcement: np.ndarray, demolition: float) -> None:
    """Tear down a share of unauthorised floors where caps are enforced."""
    villagers.extra_rooms *= 1.0 - demolition * enforcement[villagers.city]


def evict(m: MigrantArrays, enforcement: np.ndarray, eviction: float, population: np.ndarray, cap: np.ndarray,
          rng: np.random.Generator) -> None:
    """Mark migrants without local hukou in enforcing cities as evicted (they must leave that city).

    The share evicted is the enforcement effort times the larger of the routine eviction rate
    and the share of the floating population needed to bring the city back to its cap.
    """
    m.evicted[:] = False
    floating = m.floating
    if not floating.any():
        return
    idx = np.flatnonzero(floating)
    city = m.location[idx]
    floaters = np.bincount(city, weights=m.weight[idx], minlength=len(enforcement))
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.where(np.isfinite(cap) & (floaters > 0), (population - cap) / np.maximum(floaters, 1e-12), 0.0)
    share = np.clip(enforcement * np.maximum(eviction, excess), 0.0, 1.0)
    m.evicted[idx[rng.random(len(idx)) < share[city]]] = True


def gdp_drive(gdp: np.ndarray, population: np.ndarray, active: np.ndarray, competition: float) -> np.ndarray:
    """Multiplier of land requisition: governments behind the median GDP per person push harder
    to catch up (1 + competition x shortfall), those ahead keep the base pace."""
    per_person = np.where(population > 0, gdp / np.maximum(population, 1.0), 0.0)
    if not active.any() or not (per_person[active] > 0).any():
        return np.ones_like(gdp)
    median = np.median(per_person[active])
    return 1.0 + competition * np.clip(1.0 - per_person / median, 0.0, 1.0)


def requisition_land(m: MigrantArrays, rate: np.ndarray | float, n_cities: int, active: np.ndarray,
                     rooms_per_villager: float, year: int, hukou_share: float = 1.0) -> VillagerArrays:
    """Requisition a share (``rate``, per city) of each hinterland's farmers: they leave the
    Migrant rows (weights shrink) and become one new UrbanVillager agent per city, keeping
    their residence base; a share ``hukou_share`` of them is given urban hukou with the requisition."""
    at_home = m.location == HOME
    farmers = np.bincount(m.origin[at_home], weights=m.weight[at_home], minlength=n_cities)
    taken = np.where(active, rate * farmers, 0.0)
    keep = np.where(farmers > 0, 1.0 - taken / np.maximum(farmers, 1e-300), 1.0)
    m.weight[at_home] *= keep[m.origin[at_home]]
    cities = np.flatnonzero(taken > 0)
    w = taken[cities]
    return VillagerArrays(city=cities.astype(np.int32), weight=w, rooms=rooms_per_villager * w,
                          extra_rooms=np.zeros(len(w)), income=np.zeros(len(w)), savings=np.zeros(len(w)),
                          founded=np.full(len(w), year, np.int16), urban_hukou=np.full(len(w), float(hukou_share)))


def convert_villages(villagers: VillagerArrays, rate: np.ndarray) -> None:
    """Villages become residents' committees: each city converts the share ``rate`` (per city, 1/year) of its
    urban villagers who still hold rural hukou, as it admits migrants."""
    v = villagers
    if len(v):
        v.urban_hukou += np.clip(rate[v.city], 0.0, 1.0) * (1.0 - v.urban_hukou)


def convert_hukou(m: MigrantArrays, rate: np.ndarray, n_cities: int, rng: np.random.Generator) -> np.ndarray:
    """Admit migrants to local hukou by points: each city admits about rate x its floating
    population a year, each migrant with a chance proportional to its points (skill x years in
    the city x health), so the best-scored are the likeliest.  Returns people converted per city."""
    idx = np.flatnonzero(m.floating)
    if len(idx) == 0:
        return np.zeros(n_cities)
    city = m.location[idx]
    w = m.weight[idx]
    points = m.skill[idx] * (1.0 + m.years_in_city[idx]) * m.health[idx]
    mean_points = np.bincount(city, weights=w * points, minlength=n_cities) / np.maximum(
        np.bincount(city, weights=w, minlength=n_cities), 1e-300)
    chance = np.minimum(rate[city] * points / np.maximum(mean_points[city], 1e-300), 1.0)
    admitted = rng.random(len(idx)) < chance
    m.urban_hukou[idx[admitted]] = True
    return np.bincount(city[admitted], weights=w[admitted], minlength=n_cities)
