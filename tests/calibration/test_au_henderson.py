"""Au & Henderson (2006): real income per worker is an inverted U in city size in the calibrated China scenario."""

from __future__ import annotations

import pytest

import sim
from sim import metrics
from sim.outcomes import city_real_income


@pytest.mark.slow
def test_real_income_per_worker_is_an_inverted_u_in_city_size():
    model = sim.MigrationModel.from_scenario(sim.load_scenario("china_calibrated", {"simulation.n_agents": 20000}), rng=11)
    model.run(38)  # to 2020
    active = model.cities.active & model.network.cities  # cities, not the towns nodes
    fit = metrics.inverted_u(model.city_population()[active], city_real_income(model)[active])
    assert fit["holds"] == 1.0, fit
