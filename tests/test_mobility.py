"""Urban-to-urban movers: who reconsiders, and flows that keep every person."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import mobility

from conftest import small


def test_graduates_add_to_the_share_that_reconsiders_and_the_work_unit_tie_stops_both():
    assert mobility.reconsider_share(0.02, 3e6, 300e6, 0.0) == pytest.approx(0.03)
    assert mobility.reconsider_share(0.02, 3e6, 300e6, 1.0) == 0.0
    assert mobility.reconsider_share(0.02, 3e6, 0.0, 0.5) == pytest.approx(0.01)
    assert mobility.reconsider_share(0.9, 3e8, 1e8, 0.0) == 1.0


def test_flows_keep_everyone_and_movers_keep_their_status():
    natives, movers = np.array([100.0, 50.0, 10.0]), np.array([5.0, 0.0, 1.0])
    shares = np.full((3, 3), 1 / 3)
    fn, fm = mobility.flows(natives, movers, shares, 0.3)
    n2, m2 = mobility.move(natives, movers, fn, fm)
    assert n2.sum() + m2.sum() == pytest.approx(natives.sum() + movers.sum())
    assert (n2 <= natives).all() and m2.sum() > movers.sum()


def test_more_graduates_more_urban_movers():
    few = sim.MigrationModel.from_scenario(small("neutral", **{"migration.urban_mobility": 0.01}), rng=7)
    few.history.graduates = lambda year: 0.0  # the same run without the graduates' series
    many = sim.MigrationModel.from_scenario(small("neutral", **{"migration.urban_mobility": 0.01}), rng=7)
    for model in (few, many):
        model.run(2012 - model.year)
    assert many.cities.urban_movers.sum() > few.cities.urban_movers.sum() > 0
