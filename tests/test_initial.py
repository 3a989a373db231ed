"""The start year's state (sim.initial)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.initial import apportion

from conftest import small


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=60), st.integers(0, 500))
def test_apportion_hands_out_every_agent_in_proportion(sizes, n):
    sizes = np.array(sizes)
    counts = apportion(n, sizes)
    if not (sizes > 0).any():
        assert counts.sum() == 0
        return
    assert counts.sum() == n and (counts >= 0).all()
    assert (counts[sizes == 0] == 0).all()
    nonempty = sizes > 0
    if n >= nonempty.sum():
        assert (counts[nonempty] >= 1).all()  # every group that has people has an agent
        quota = (n - nonempty.sum()) * sizes / sizes.sum()
        assert np.all(np.abs(counts - nonempty - quota) < 1.0)  # largest remainder: within one of the quota


def test_start_has_the_scenarios_population_urban_share_and_no_one_in_a_city_not_yet_founded():
    sc = small("new_city")
    model = sim.MigrationModel.from_scenario(sc, rng=3)
    p = sc.values
    assert model.initial_population == pytest.approx(p["total_population"])
    urban = model.city_population().sum()
    assert urban / model.initial_population == pytest.approx(p["urban_share"])
    dormant = model.dormant_cities
    assert dormant and not model.cities.active[dormant].any() and model.city_population()[dormant].sum() == 0
    m = model.migrants
    at_home = m.location == -1
    assert m.weight[at_home].sum() == pytest.approx(model.initial_population - urban)
    # the same seed gives the same start
    again = sim.MigrationModel.from_scenario(sc, rng=3)
    assert np.array_equal(again.migrants.origin, m.origin) and np.array_equal(again.migrants.skill, m.skill)
