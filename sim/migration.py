"""Mechanism 3: where migrants choose to live.

A migrant compares its rural home, its current city and a few cities it has heard of
(sampled by size and distance: chain migration).  The value of a place is expected net
income in yuan per year:

    city j:  skill * health * (P_j * w_j + (1 - P_j) * w_inf_j)      expected earnings
             - rent_j - living_cost_j                                    housing and living
             + service_weight * access_j * services_j                     schools, hospitals
    home h:  health * rural_income_h + service_weight * rural_services
    minus    (fixed_cost + distance_cost * km) / cost_horizon             if it means moving

where P_j is the chance of a formal job (formal vacancies open to rural-hukou workers over
job seekers, cut by the hukou barrier).  Utility is log(value) plus home attachment, and the
choice is logit with noise ``choice_noise``.  With two places, no costs, no informal sector,
no barrier and noise -> 0 this is Harris-Todaro's rule: move while w_u * E / L_u > w_r.

:func:`utilities` is the vectorised rule used in runs; :meth:`sim.agents.Migrant.utility`
is the same rule written one agent and one place at a time, kept as the readable reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .state import HOME

UTILITY_FLOOR = 1.0  # yuan/year: log utility of places worth nothing or less


@dataclass
class Market:
    """What migrants see of each city when they decide (yuan/year per person unless noted)."""

    formal_chance: np.ndarray  # probability a rural-hukou seeker gets a formal job
    formal_wage: np.ndarray
    informal_earnings: np.ndarray  # expected informal earnings (dangerous-job premium included)
    formal_rent: np.ndarray
    village_rent: np.ndarray
    living_cost: np.ndarray
    services: np.ndarray  # value of full access to the city's public services
    migrant_access: np.ndarray  # 0..1
    open: np.ndarray  # bool: city can be chosen
    rural_income: np.ndarray  # per hinterland
    rural_services: float
    distance_km: np.ndarray  # (C, C)
    # behavioural parameters
    housing_threshold: float
    service_weight: float
    home_attachment: float
    fixed_cost: float
    distance_cost: float
    cost_horizon: float


def place_values(market: Market, skill, health, origin, location, candidates) -> np.ndarray:
    """Net value (yuan/year) of each candidate place for each agent; candidates (n, K), HOME = rural home."""
    at_home = candidates == HOME
    city = np.where(at_home, 0, candidates)
    ability = (skill * health)[:, None]
    p = market.formal_chance[city]
    earnings = ability * (p * market.formal_wage[city] + (1.0 - p) * market.informal_earnings[city])
    formal_rent = market.formal_rent[city]
    rent = np.where(earnings >= market.housing_threshold * formal_rent, formal_rent, market.village_rent[city])
    city_value = (earnings - rent - market.living_cost[city]
                  + market.service_weight * market.migrant_access[city] * market.services[city])
    home_value = health * market.rural_income[origin] + market.service_weight * market.rural_services
    value = np.where(at_home, home_value[:, None], city_value)
    # one-off moving cost, spread over the horizon
    here = np.where(location == HOME, origin, location)[:, None]
    there = np.where(at_home, origin[:, None], candidates)
    moving = candidates != location[:, None]
    cost = (market.fixed_cost + market.distance_cost * market.distance_km[here, there]) / market.cost_horizon
    return value - moving * cost


def utilities(market: Market, skill, health, origin, location, candidates) -> np.ndarray:
    """Log utility of each candidate; -inf for duplicates and closed cities (not choosable)."""
    value = place_values(market, skill, health, origin, location, candidates)
    u = np.log(np.maximum(value, UTILITY_FLOOR)) + market.home_attachment * (candidates == HOME)
    closed = (candidates != HOME) & ~market.open[np.maximum(candidates, 0)]
    u[closed | duplicates(candidates)] = -np.inf
    return u


def duplicates(candidates: np.ndarray) -> np.ndarray:
    """True where a candidate repeats one to its left in the same row."""
    k = candidates.shape[1]
    dup = np.zeros(candidates.shape, bool)
    for j in range(1, k):  # k is small (a handful of candidates)
        dup[:, j] = (candidates[:, :j] == candidates[:, j:j + 1]).any(axis=1)
    return dup


def choice_probabilities(u: np.ndarray, noise: float) -> np.ndarray:
    """Logit choice probabilities for utilities u (n, K) with noise scale ``noise`` (0 = argmax)."""
    if noise <= 0:
        best = u == u.max(axis=1, keepdims=True)
        return best / best.sum(axis=1, keepdims=True)
    z = (u - u.max(axis=1, keepdims=True)) / noise
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(u: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Column index chosen in each row: the Gumbel-max trick draws from the logit probabilities."""
    if noise > 0:
        u = u + noise * rng.gumbel(size=u.shape)
    else:  # break exact ties at random
        u = u + 1e-12 * rng.random(u.shape)
    return np.argmax(u, axis=1)


def candidate_sampler(population: np.ndarray, open_: np.ndarray, distance_km: np.ndarray,
                      information_distance: float) -> np.ndarray:
    """Per-origin cumulative sampling weights (C, C), offset by row so one searchsorted serves all rows.

    A migrant from hinterland h hears of city j in proportion to j's size times
    2^(-km / information_distance).
    """
    w = np.where(open_, np.maximum(population, 0.0), 0.0)[None, :] * np.exp2(-distance_km / information_distance)
    total = w.sum(axis=1, keepdims=True)
    cdf = np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0)
    cdf[:, -1] = 1.0
    return cdf + np.arange(len(cdf))[:, None]


def sample_candidates(sampler: np.ndarray, origin: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k sampled cities per agent (n, k) from the offset CDFs of :func:`candidate_sampler`."""
    n_cities = sampler.shape[1]
    u = origin[:, None] + rng.random((len(origin), k))
    flat = np.searchsorted(sampler.ravel(), u.ravel(), side="right").reshape(u.shape)
    return np.minimum(flat - origin[:, None] * n_cities, n_cities - 1).astype(np.int32)
