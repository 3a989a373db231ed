"""The synthetic source: seeded rank-size systems of cities."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.network import (
    synthetic_network,
)

from .helpers import assert_input_error, check_invariants, fitted_zeta


class TestSynthetic:
    def test_invariants_and_shape(self):
        net = synthetic_network()
        check_invariants(net)
        assert net.n == 30
        assert net.names == [f"City {r}" for r in range(1, 31)]
        assert net.lon is None and net.lat is None and net.origin is None
        assert net.source == "synthetic(seed=0)"
        assert np.all(net.x >= 0) and np.all(net.x <= 2000) and np.all(net.y >= 0) and np.all(net.y <= 2000)

    def test_same_seed_identical(self):
        a, b = synthetic_network(seed=7), synthetic_network(seed=7)
        assert a.names == b.names
        for f in ("population", "x", "y", "tier", "distance_km"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        assert sorted(a.graph.edges(data="distance_km")) == sorted(b.graph.edges(data="distance_km"))

    def test_different_seed_differs(self):
        a, b = synthetic_network(seed=1), synthetic_network(seed=2)
        assert not np.array_equal(a.x, b.x)
        assert not np.array_equal(a.population, b.population)
        assert a.population[0] == b.population[0] == 20e6

    def test_does_not_touch_global_random_state(self):
        np.random.seed(123)
        before = np.random.get_state()[1].copy()
        synthetic_network(seed=5)
        np.testing.assert_array_equal(np.random.get_state()[1], before)

    @pytest.mark.parametrize("largest", [20e6, 3.5e6, 1234.0])
    def test_largest_city_exact_and_sizes_descending(self, largest):
        net = synthetic_network(n_cities=50, largest_city=largest, seed=3)
        assert net.population[0] == largest
        assert net.population.max() == largest
        assert np.all(np.diff(net.population) <= 0)

    @pytest.mark.parametrize("zeta", [0.7, 1.0, 1.5])
    def test_rank_size_rule(self, zeta):
        net = synthetic_network(n_cities=200, zipf_exponent=zeta, seed=11)
        assert fitted_zeta(net.population) == pytest.approx(zeta, rel=0.05)
        # the noise is small: each size within ~4 sigma of its rank-size value
        r = np.arange(1, 201)
        ratio = net.population / (20e6 * r ** (-1 / zeta))
        assert np.all(np.abs(np.log(ratio)) < 0.45)

    def test_largest_city_is_nearest_the_centre(self):
        net = synthetic_network(n_cities=60, extent_km=1000.0, seed=4)
        dist_to_centre = np.hypot(net.x - 500.0, net.y - 500.0)
        assert int(np.argmin(dist_to_centre)) == 0

    def test_links_to_nearest_neighbours(self):
        k = 3
        net = synthetic_network(n_cities=40, neighbours=k, seed=9)
        straight = np.hypot(net.x[:, None] - net.x[None, :], net.y[:, None] - net.y[None, :])
        for i in range(net.n):
            order = [j for j in np.argsort(straight[i], kind="stable") if j != i][:k]
            for j in order:
                assert net.graph.has_edge(i, int(j))
        for i, j, w in net.graph.edges(data="distance_km"):
            assert w == pytest.approx(straight[i, j])
        assert all(deg >= k for _, deg in net.graph.degree())

    def test_tiers(self):
        net = synthetic_network(n_cities=100, largest_city=25e6, seed=0)
        p, t = net.population, net.tier
        assert np.all(t[p >= 10e6] == 1)
        assert np.all(t[(p >= 5e6) & (p < 10e6)] == 2)
        assert np.all(t[(p >= 1e6) & (p < 5e6)] == 3)
        assert np.all(t[p < 1e6] == 4)
        assert set(np.unique(t)) == {1, 2, 3, 4}

    def test_single_city(self):
        net = synthetic_network(n_cities=1)
        check_invariants(net)
        assert net.distance_km.shape == (1, 1)

    def test_neighbours_more_than_cities(self):
        net = synthetic_network(n_cities=5, neighbours=10)
        check_invariants(net)
        assert net.graph.number_of_edges() == 10  # complete graph

    @settings(max_examples=30, deadline=None)
    @given(n=st.integers(1, 60), k=st.integers(1, 6), seed=st.integers(0, 2**31 - 1),
           zeta=st.floats(0.3, 3.0), extent=st.floats(1.0, 20_000.0))
    def test_property_always_valid(self, n, k, seed, zeta, extent):
        net = synthetic_network(n_cities=n, zipf_exponent=zeta, neighbours=k, extent_km=extent, seed=seed)
        check_invariants(net)
        assert net.population[0] == 20e6

    @pytest.mark.parametrize("field, value", [
        ("n_cities", 0), ("n_cities", 2.5), ("n_cities", True), ("neighbours", 0), ("zipf_exponent", 0.0),
        ("zipf_exponent", float("nan")), ("largest_city", -1.0), ("extent_km", float("inf")), ("seed", -1),
        ("seed", "x"),
    ])
    def test_bad_parameters(self, field, value):
        with pytest.raises(InputError) as excinfo:
            synthetic_network(**{field: value})
        assert_input_error(excinfo, "synthetic network", field)

