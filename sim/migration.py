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
NOISE_FLOOR = 1e-9  # log-income: choice noise at or below this is pure maximisation (dividing by it overflows)


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
    # what entry does to a city's job chance (Harris-Todaro's E / L_u): open formal jobs and job seekers
    open_jobs: np.ndarray | None = None
    seekers: np.ndarray | None = None
    job_barrier: float = 0.0


def place_values(market: Market, skill, health, origin, location, candidates, farm=None, local=None) -> np.ndarray:
    """Net value (yuan/year) of each candidate place for each agent; candidates (n, K), HOME = rural home.
    ``farm`` is each agent's household farm productivity (1 when omitted); ``local`` its off-farm earnings at
    home (yuan/year before skill and health, :mod:`sim.rural_industry`; none when omitted)."""
    at_home = candidates == HOME
    city = np.where(at_home, 0, candidates)
    # per-city parts first (C values), so each agent-place pair needs few gathers
    p = market.formal_chance
    per_ability = p * market.formal_wage + (1.0 - p) * market.informal_earnings
    amenity = market.service_weight * market.migrant_access * market.services - market.living_cost
    earnings = (skill * health)[:, None] * per_ability[city]
    formal_rent = market.formal_rent[city]
    rent = np.where(earnings >= market.housing_threshold * formal_rent, formal_rent, market.village_rent[city])
    city_value = earnings - rent + amenity[city]
    farm_income = market.rural_income[origin] if farm is None else farm * market.rural_income[origin]
    if local is not None:
        farm_income = farm_income + local
    home_value = skill * health * farm_income + market.service_weight * market.rural_services
    value = np.where(at_home, home_value[:, None], city_value)
    # one-off moving cost, spread over the horizon
    n_cities = market.distance_km.shape[0]
    here = np.where(location == HOME, origin, location)[:, None]
    there = np.where(at_home, origin[:, None], candidates)
    km = market.distance_km.ravel().take(here * n_cities + there)
    cost = (market.fixed_cost + market.distance_cost * km) * (1.0 / market.cost_horizon)
    return value - np.where(candidates != location[:, None], cost, 0.0)


def sampled_city_correction(noise: float, k: int) -> float:
    """Utility taken off each of the k heard-of cities (columns 2.. of the candidates).

    The k cities are a sample standing for "going to a city"; without the correction, plain
    logit's independence of irrelevant alternatives would make leaving home likelier the more
    cities a migrant happens to consider.  With it, k equally good cities together weigh as
    much as one (a nested logit with the cities in one nest).
    """
    return noise * np.log(k) if k > 1 else 0.0


def utilities(market: Market, skill, health, origin, location, candidates, noise: float = 0.0,
              farm=None, local=None) -> np.ndarray:
    """Log utility of each candidate (columns: home, current place, heard-of cities); -inf for
    duplicates and closed cities (not choosable)."""
    value = place_values(market, skill, health, origin, location, candidates, farm, local)
    u = np.log(np.maximum(value, UTILITY_FLOOR)) + market.home_attachment * (candidates == HOME)
    u[:, 2:] -= sampled_city_correction(noise, candidates.shape[1] - 2)
    closed = (candidates != HOME) & ~market.open[np.maximum(candidates, 0)]
    u[closed | duplicates(candidates)] = -np.inf
    return u


def duplicates(candidates: np.ndarray) -> np.ndarray:
    """True where a candidate repeats one to its left in the same row."""
    cols = np.ascontiguousarray(candidates.T)  # column-wise 1-D comparisons are far faster than 2-D ones
    dup = np.zeros(cols.shape, bool)
    same = np.empty(cols.shape[1], bool)
    for j in range(1, len(cols)):  # k is small (a handful of candidates)
        for i in range(j):
            np.equal(cols[i], cols[j], out=same)
            dup[j] |= same
    return dup.T


def choice_probabilities(u: np.ndarray, noise: float) -> np.ndarray:
    """Logit choice probabilities for utilities u (n, K) with noise scale ``noise`` (0 = argmax)."""
    if noise <= NOISE_FLOOR:
        best = u == u.max(axis=1, keepdims=True)
        return best / best.sum(axis=1, keepdims=True)
    z = (u - u.max(axis=1, keepdims=True)) / noise
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(u: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Column index chosen in each row, drawn from the logit probabilities with one uniform per row."""
    n, k = u.shape
    if noise > NOISE_FLOOR:
        weight = np.exp((u - u.max(axis=1, keepdims=True)) / noise)
    else:  # the best place; exact ties split evenly
        weight = (u == u.max(axis=1, keepdims=True)).astype(float)
    cum = np.cumsum(weight, axis=1)
    draw = rng.random(n) * cum[:, -1]
    return np.minimum((cum <= draw[:, None]).sum(axis=1), k - 1)


def crowded_entry(market: Market, u: np.ndarray, choice: np.ndarray, candidates: np.ndarray, location: np.ndarray,
                  weight: np.ndarray, skill: np.ndarray, health: np.ndarray, noise: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Column each mover ends up in when movers who choose the same city in one batch enter one after another.

    Everyone in a batch chose from the same market, so without this a batch large next to a small city
    all piles in and overshoots it (the Harris-Todaro fixed point lands several per cent above its value
    when the city is 1% of people).  Entrants are taken in their (random) order; each sees the city's job
    chance after those ahead of it have entered, ``open / (seekers + people ahead)``.  Entrant k keeps its
    choice with probability ``P_post / P_pre`` — the logit probability of the city at the crowded utility
    over the one it chose with (1 at noise 0 when the crowded city is still at least as good as the best
    other place, else 0) — and otherwise chooses again among its other places.  Thinning a logit draw by
    this ratio draws from the logit at the crowded utility, so the rule changes nothing but the order in
    which one batch learns what the others do.
    """
    if market.open_jobs is None:
        return choice
    n, k = u.shape
    rows = np.arange(n)
    dest = candidates[rows, choice]
    entering = np.flatnonzero((dest != location) & (dest != HOME))
    if len(entering) == 0:
        return choice
    city = dest[entering]
    order = np.argsort(city, kind="stable")  # movers are in random order already
    sorted_city = city[order]
    w = weight[entering][order]
    ahead = np.cumsum(w) - w
    first = np.r_[0, np.flatnonzero(np.diff(sorted_city)) + 1]
    ahead -= np.repeat(ahead[first], np.diff(np.r_[first, len(order)]))
    idx = entering[order]
    seekers = market.seekers[sorted_city] + ahead
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seekers > 0, market.open_jobs[sorted_city] / np.maximum(seekers, 1e-12), 1.0)
    chance = np.minimum(ratio, 1.0) * (1.0 - market.job_barrier)
    before = market.formal_chance[sorted_city]
    # only the expected earnings change with the chance; the rest of the place's value is as chosen
    per_ability = chance * market.formal_wage[sorted_city] + (1.0 - chance) * market.informal_earnings[sorted_city]
    was = before * market.formal_wage[sorted_city] + (1.0 - before) * market.informal_earnings[sorted_city]
    ability = skill[idx] * health[idx]
    col = choice[idx]
    u_pre = u[idx, col]
    # a city's utility is log(value) less the sampled-city correction of columns 2..
    corr = np.where(col >= 2, sampled_city_correction(noise, k - 2), 0.0)
    value_pre = np.exp(u_pre + corr)
    value_post = value_pre + ability * (per_ability - was)
    u_post = np.where(value_pre > UTILITY_FLOOR, np.log(np.maximum(value_post, UTILITY_FLOOR)) - corr, u_pre)
    others = u[idx].copy()
    others[rows[: len(idx)], col] = -np.inf
    best_other = others.max(axis=1)
    if noise > NOISE_FLOOR:
        # logit shares before and after, each relative to its own utility so that neither under- nor
        # overflow gives 0/0 at small noise: P = 1 / (1 + sum_j exp((u_j - u) / noise))
        with np.errstate(over="ignore"):
            pre = 1.0 / (1.0 + np.exp((others - u_pre[:, None]) / noise).sum(axis=1))
            post = 1.0 / (1.0 + np.exp((others - u_post[:, None]) / noise).sum(axis=1))
        keep = rng.random(len(idx)) * pre < post
    else:
        keep = u_post >= best_other
    out = choice.copy()
    refused = idx[~keep]
    if len(refused):
        alt = others[~keep]
        out[refused] = choose(alt, noise, rng)
    return out


LOOKUP_BUCKETS = 512  # buckets of the per-origin lookup table that starts each inverse-CDF search


@dataclass
class CandidateSampler:
    """Per-origin distributions of the cities a migrant has heard of, ready for fast sampling.

    ``cdf[h]`` is the cumulative distribution from hinterland h; ``start[h, b]`` is the first
    city whose cumulative weight reaches b / LOOKUP_BUCKETS, where each search for a draw in bucket b
    begins (numpy's searchsorted with random needles is several times slower than this bucketed walk).
    """

    cdf: np.ndarray  # (C, C)
    start: np.ndarray  # (C, LOOKUP_BUCKETS) int


def candidate_sampler(population: np.ndarray, open_: np.ndarray, distance_km: np.ndarray,
                      information_distance: float) -> CandidateSampler:
    """A migrant from hinterland h hears of city j in proportion to j's size times 2^(-km / information_distance)."""
    w = np.where(open_, np.maximum(population, 0.0), 0.0)[None, :] * np.exp2(-distance_km / information_distance)
    total = w.sum(axis=1, keepdims=True)
    # rounding can leave a cumulative share a hair above 1 before the last city: keep rows monotone in [0, 1]
    cdf = np.minimum(np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0), 1.0)
    cdf[:, -1] = 1.0
    n = len(cdf)
    # start[h, b]: cities of row h whose cumulative share is below b / LOOKUP_BUCKETS, where a search for a draw
    # in bucket b may begin (never past its answer); x * 2^k is exact, so the floor is the true bucket
    bucket = (cdf * LOOKUP_BUCKETS).astype(np.int64) + (LOOKUP_BUCKETS + 1) * np.arange(n)[:, None]
    below = np.cumsum(np.bincount(bucket.ravel(), minlength=n * (LOOKUP_BUCKETS + 1)).reshape(n, -1), axis=1)
    start = np.concatenate([np.zeros((n, 1), np.int64), below[:, :LOOKUP_BUCKETS - 1]], axis=1)
    return CandidateSampler(cdf, np.clip(start, 0, n - 1))


def sample_candidates(sampler: CandidateSampler, origin: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k sampled cities per agent (n, k): the first city whose cumulative weight exceeds a uniform draw."""
    n_cities = sampler.cdf.shape[1]
    draw = rng.random((len(origin), k))
    row = origin[:, None].astype(np.int64)
    city = sampler.start[row, (draw * LOOKUP_BUCKETS).astype(np.int64)]
    flat_cdf = sampler.cdf.ravel()
    base = np.broadcast_to(row * n_cities, draw.shape).ravel()
    city, draw = city.ravel(), draw.ravel()
    # walk right past the few cities that share the bucket, only where the start is behind the draw
    behind = np.flatnonzero(flat_cdf[base + city] <= draw)
    while behind.size:
        step = np.minimum(city[behind] + 1, n_cities - 1)
        city[behind] = step
        behind = behind[(flat_cdf[base[behind] + step] <= draw[behind]) & (step < n_cities - 1)]
    city = city.reshape(len(origin), k)
    return city.astype(np.int32)
