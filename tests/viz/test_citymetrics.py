"""Per-city figures of the teaching map: hand-checked cases and agreement with the model's own outputs."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.viz import citymetrics as cm


def test_residents_and_poor_by_hand():
    # 3 cities; migrants: one at home (-1), two in city 0, one in city 2
    location = np.array([-1, 0, 0, 2])
    weight = np.array([100.0, 10.0, 20.0, 5.0])
    income = np.array([500.0, 1000.0, 5000.0, 1500.0])
    villager_city, villager_weight, villager_income = np.array([1]), np.array([4.0]), np.array([1000.0])
    natives = np.array([50.0, 20.0, 0.0])
    native_income = np.array([[1000.0, 3000.0], [3000.0, 3000.0], [1000.0, 1000.0]])  # 2 deciles
    pop = cm.residents(location, weight, villager_city, villager_weight, natives)
    np.testing.assert_allclose(pop, [80.0, 24.0, 5.0])
    villagers = np.array([0.0, 4.0, 0.0])  # per city, split over deciles like natives
    villager_deciles = np.array([[0.0, 0.0], [1000.0, 1000.0], [0.0, 0.0]])
    poor = cm.poor_residents(location, weight, income, villagers, villager_deciles, natives,
                             native_income, poverty_line=2000.0)
    # city 0: migrant of 10 + half the natives (25); city 1: the villagers; city 2: the migrant
    np.testing.assert_allclose(poor, [35.0, 4.0, 5.0])
    # a guarantee above the line reaching half of each decile halves the poor natives and villagers
    guaranteed = cm.poor_residents(location, weight, income, villagers, villager_deciles, natives, native_income,
                                   poverty_line=2000.0, guarantee=2500.0, coverage=0.5)
    np.testing.assert_allclose(guaranteed, [10.0 + 12.5, 2.0, 5.0])
    floating = cm.floating_residents(location, weight, np.array([False, True, False, False]), 3)
    np.testing.assert_allclose(floating, [20.0, 0.0, 5.0])
    np.testing.assert_allclose(cm.safe_share(poor, pop), [35 / 80, 4 / 24, 1.0])


def test_empty_city_has_zero_shares_not_nan():
    assert cm.safe_share(np.array([0.0, 1.0]), np.array([0.0, 2.0])).tolist() == [0.0, 0.5]


def test_native_income_shape_is_checked():
    with pytest.raises(ValueError, match="cities, deciles"):
        cm.poor_residents(np.array([0]), np.ones(1), np.ones(1), np.ones(2), np.ones((2, 10)),
                          np.ones(2), np.ones(10), 1.0)


def test_rank_size_drops_inactive_and_empty_cities():
    ranks, sizes = cm.rank_size(np.array([5.0, 0.0, 9.0, 7.0]), active=np.array([True, True, True, False]))
    assert ranks.tolist() == [1, 2] and sizes.tolist() == [9.0, 5.0]
    assert cm.largest(np.array([5.0, 0.0, 9.0, 7.0]), 2, np.array([True, True, True, False])).tolist() == [2, 0]


@pytest.fixture(scope="module")
def model():
    m = sim.MigrationModel.from_scenario(sim.load_scenario("teaching", {"policy.cap.enabled": True,
                                                                        "policy.cap.start_year": 1990}), rng=5)
    m.run(12)
    return m


def test_snapshot_agrees_with_the_model(model):
    snap = cm.snapshot(model)
    np.testing.assert_allclose(snap.population, model.city_population(), rtol=1e-12)
    assert snap.capped.sum() == 4  # the cap is in force on the 4 largest cities
    assert np.all((snap.poverty_rate >= 0) & (snap.poverty_rate <= 1))
    assert np.all((snap.migrant_share >= 0) & (snap.migrant_share <= 1))
    out = model.metrics()
    np.testing.assert_allclose(snap.floating.sum(), out["migrant_population"], rtol=1e-9)


def test_city_poverty_adds_up_to_the_models_headcounts(model):
    """All poor people = poor city residents + poor rural people at home (outcomes' own groups)."""
    snap = cm.snapshot(model)
    out = model.metrics()
    m = model.migrants
    rural_people = m.weight[m.location < 0].sum()
    total_poor = out["poverty_headcount"] * out["population"]
    np.testing.assert_allclose(snap.poor.sum() + out["rural_poverty_headcount"] * rural_people, total_poor,
                               rtol=1e-9)
