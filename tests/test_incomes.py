"""The year's incomes (sim.incomes): guarantees in their years and topping income up to their level."""

import numpy as np

import sim
from sim.incomes import dibao_levels
from sim.state import HOME

from conftest import small


def test_guarantees_pay_only_in_their_years():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=5)
    model.run(1995 - model.year)
    assert dibao_levels(model) == (0.0, 0.0)
    model.run(2001 - model.year)
    urban, rural = dibao_levels(model)
    assert urban > 0 and rural == 0.0  # urban dibao from 1999, rural from 2007
    model.run(2009 - model.year)
    assert all(level > 0 for level in dibao_levels(model))


def test_reached_households_at_home_get_at_least_the_rural_guarantee():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=5)
    model.run(2012 - model.year)
    m, h, p = model.migrants, model.households, model.p
    _, rural = dibao_levels(model)
    reached = (m.location == HOME) & (h.targeting[m.household] < p["dibao_coverage"]) & (m.weight > 0)
    assert reached.any()
    # income is after repaying medical debt, which the guarantee does not cover
    topped = m.income[reached] + model.medical_repayment[reached]
    assert np.all(topped >= rural - 1e-6)
    unreached = (m.location == HOME) & ~(h.targeting[m.household] < p["dibao_coverage"])
    assert (m.income[unreached] + model.medical_repayment[unreached] < rural).any()  # the gap the dibao leaves
