"""The migration rule: fast path against the per-agent reference, Harris-Todaro, sampling."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import migration
from sim.agents import Migrant
from sim.state import HOME

from conftest import small


def _agents_and_candidates(model, n=300):
    rows = np.sort(model.rng.choice(len(model.migrants), size=n, replace=False))
    return rows, model.candidates(rows)


@pytest.mark.parametrize("name, noise", [("neutral", 0.3), ("cap", 0.05), ("hukou_reform", 1.0), ("neutral", 0.0)])
def test_fast_path_gives_the_reference_choice_probabilities(name, noise):
    sc = small(name, **{"migration.choice_noise": noise, "policy.cap.start_year": 1984,
                        "policy.reform.start_year": 1984, "households.farm_productivity_dispersion": 0.7})
    model = sim.MigrationModel.from_scenario(sc, rng=8)
    model.run(6)  # a state with migrants in cities, rents, enforcement, converted agents
    model._refresh_market()
    rows, cand = _agents_and_candidates(model)
    m = model.migrants
    fast = migration.choice_probabilities(
        migration.utilities(model.market, m.skill[rows], m.health[rows], m.origin[rows], m.location[rows], cand,
                            noise, model.households.farm_productivity[m.household[rows]], model.local_earnings(rows)),
        noise)
    assert model.local_earnings(rows).any()  # some of them hold local off-farm jobs (rural industry)
    agents = {a.index: a for a in model.agents_by_type[Migrant]}
    reference = np.array([agents[i].choice_probabilities(list(c)) for i, c in zip(rows, cand)])
    np.testing.assert_allclose(fast, reference, rtol=1e-9, atol=1e-12)
    assert np.allclose(fast.sum(axis=1), 1.0)
    # the state is varied enough for the comparison to mean something
    assert (m.location[rows] != HOME).any() and (m.location[rows] == HOME).any()
    assert (fast.max(axis=1) < 1).any() or noise == 0


def test_choose_draws_from_the_logit_probabilities():
    rng = np.random.default_rng(0)
    u = np.log(np.array([[1.0, 2.0, 4.0]]))
    p = migration.choice_probabilities(u, 0.5)
    draws = migration.choose(np.repeat(u, 40000, axis=0), 0.5, rng)
    freq = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(freq, p[0], atol=0.01)


def test_duplicate_and_closed_candidates_cannot_be_chosen():
    cand = np.array([[HOME, 2, 2, 1, HOME]])
    assert migration.duplicates(cand).tolist() == [[False, False, True, False, True]]


def test_candidate_sampling_follows_size_and_distance():
    size = np.array([1.0, 1.0, 8.0])
    dist = np.array([[0, 100, 100], [100, 0, 1e6], [100, 1e6, 0]], float)
    sampler = migration.candidate_sampler(size, np.ones(3, bool), dist, information_distance=100.0)
    rng = np.random.default_rng(1)
    origin = np.zeros(60000, np.int32)
    drawn = migration.sample_candidates(sampler, origin, 1, rng)[:, 0]
    # weights from origin 0: 1*1, 1*0.5, 8*0.5 -> 1/5.5, 0.5/5.5, 4/5.5
    np.testing.assert_allclose(np.bincount(drawn, minlength=3) / len(drawn), [1 / 5.5, 0.5 / 5.5, 4 / 5.5], atol=0.01)
    far = migration.sample_candidates(sampler, np.full(1000, 1, np.int32), 1, rng)[:, 0]
    assert (far != 2).all()  # a million km away: never heard of


@pytest.mark.slow
@pytest.mark.parametrize("w_u, w_r, jobs_per_resident", [(3000, 1000, 1.0), (2000, 1500, 1.0), (5000, 800, 0.3)])
def test_harris_todaro_equilibrium(w_u, w_r, jobs_per_resident):
    """Two places, no costs, no barrier, noise 0: the urban labour force settles at w_u * E / w_r."""
    sc = sim.load_scenario("harris_todaro", {"economy.base_wage": w_u, "economy.rural_income": w_r,
                                             "economy.formal_jobs_per_resident": jobs_per_resident})
    model = sim.MigrationModel.from_scenario(sc, rng=3)
    model.run()
    v = sc.values
    jobs = jobs_per_resident * v["urban_share"] * v["total_population"]
    expected = w_u * jobs / w_r
    urban = model.datacollector.get_model_vars_dataframe()["urbanization_rate"].to_numpy() * v["total_population"]
    settled = urban[-20:].mean()
    assert settled == pytest.approx(expected, rel=0.02)
    # and expected urban income equals the rural wage there
    assert w_u * jobs / settled == pytest.approx(w_r, rel=0.02)


def test_bucketed_sampling_equals_a_plain_inverse_cdf_search():
    rng = np.random.default_rng(4)
    size = rng.lognormal(0, 2, 60)
    xy = rng.random((60, 2)) * 1000
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    sampler = migration.candidate_sampler(size, size > 1, dist, 300.0)
    origin = rng.integers(0, 60, 5000).astype(np.int32)
    drawn = migration.sample_candidates(sampler, origin, 3, np.random.default_rng(7))
    draws = np.random.default_rng(7).random((5000, 3))
    plain = np.array([np.searchsorted(sampler.cdf[h], d, side="right") for h, d in zip(origin, draws)])
    np.testing.assert_array_equal(drawn, np.minimum(plain, 59))
    assert (size[drawn] > 1).all()  # closed cities are never drawn


def test_sampling_never_leaves_the_city_range_when_trailing_cities_are_closed():
    # a closed last city (a new city before its founding) with sizes whose cumulative sum rounds above 1
    rng = np.random.default_rng(0)
    n = 251
    size = rng.lognormal(12, 1, n)
    size[-1] = 0.0
    dist = rng.random((n, n)) * 2000
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0)
    open_ = np.ones(n, bool)
    open_[-1] = False
    sampler = migration.candidate_sampler(size, open_, dist, 800.0)
    assert (np.diff(sampler.cdf, axis=1) >= 0).all() and (sampler.start >= 0).all()
    drawn = migration.sample_candidates(sampler, rng.integers(0, n, 20000).astype(np.int32), 6, rng)
    assert drawn.min() >= 0 and drawn.max() < n - 1


@pytest.mark.slow
@pytest.mark.parametrize("urban_share", [0.01, 0.05, 0.30])
def test_harris_todaro_holds_for_small_and_large_urban_sectors(urban_share):
    """Entrants of one batch enter one after another: a city of 1% of people settles as exactly as one of 30%."""
    w_u, w_r = 3000.0, 1000.0
    jobs_per_resident = urban_share * w_r / w_u / 0.2  # the scenario starts with 20% urban
    sc = sim.load_scenario("harris_todaro", {"economy.formal_jobs_per_resident": jobs_per_resident,
                                             "simulation.n_agents": 20000})
    model = sim.MigrationModel.from_scenario(sc, rng=5)
    model.run()
    v = sc.values
    expected = w_u * jobs_per_resident * v["urban_share"] * v["total_population"] / w_r
    urban = model.datacollector.get_model_vars_dataframe()["urbanization_rate"].to_numpy() * v["total_population"]
    assert urban[-20:].mean() == pytest.approx(expected, rel=0.02)


def test_crowded_entry_admits_entrants_only_while_the_city_beats_home():
    """Noise 0: 100 identical movers choose a city with room for 30 before its expected wage falls to home's."""
    n = 100
    market = migration.Market(
        formal_chance=np.array([1.0]), formal_wage=np.array([3000.0]), informal_earnings=np.array([0.0]),
        formal_rent=np.zeros(1), village_rent=np.zeros(1), living_cost=np.zeros(1), services=np.zeros(1),
        migrant_access=np.zeros(1), open=np.array([True]), rural_income=np.array([1000.0]), rural_services=0.0,
        distance_km=np.zeros((1, 1)), housing_threshold=0.0, service_weight=0.0, home_attachment=0.0,
        fixed_cost=0.0, distance_cost=0.0, cost_horizon=1.0, open_jobs=np.array([10.0]), seekers=np.array([0.0]))
    skill = health = np.ones(n)
    origin = np.zeros(n, np.int32)
    location = np.full(n, HOME, np.int32)
    cand = np.column_stack([np.full(n, HOME, np.int32), location, np.zeros(n, np.int32)])
    u = migration.utilities(market, skill, health, origin, location, cand, 0.0)
    choice = migration.choose(u, 0.0, np.random.default_rng(0))
    assert (cand[np.arange(n), choice] == 0).all()  # everyone saw a full job chance
    after = migration.crowded_entry(market, u, choice, cand, location, np.ones(n), skill, health, 0.0,
                                    np.random.default_rng(0))
    entered = int((cand[np.arange(n), after] == 0).sum())
    assert entered == 30  # 3000 * 10 / L >= 1000 while L <= 30
