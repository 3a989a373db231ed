"""Rural industry: local off-farm jobs go to the same households each year and raise rural incomes."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import rural_industry
from sim.state import HOME

from conftest import small


def test_job_share_is_jobs_over_people_at_home_and_at_most_one():
    assert rural_industry.job_share(20.0, 100.0) == pytest.approx(0.2)
    assert rural_industry.job_share(300.0, 100.0) == 1.0
    assert rural_industry.job_share(0.0, 100.0) == rural_industry.job_share(5.0, 0.0) == 0.0


def test_jobs_go_to_the_lowest_draws_at_the_local_wage():
    draw = np.array([0.05, 0.5, 0.15, 0.9])
    wage = np.array([1000.0, 2000.0, 3000.0, 4000.0])
    assert rural_industry.local_earnings(draw, 0.2, wage).tolist() == [1000.0, 0.0, 3000.0, 0.0]


def test_china_history_employs_the_observed_count_at_home_and_lifts_rural_income():
    with_jobs = sim.MigrationModel.from_scenario(small("neutral"), rng=5)
    without = sim.MigrationModel.from_scenario(small("neutral", **{"economy.rural_industry_wage_ratio": 0.0}), rng=5)
    for model in (with_jobs, without):
        model.run(1995 - model.year)
    m = with_jobs.migrants
    at_home = m.location == HOME
    workers = m.weight[at_home & (with_jobs.local_earnings() > 0)].sum()
    # households hold jobs whole, so the count matches the series up to the size of a household
    assert workers == pytest.approx(with_jobs.history.rural_industry_jobs(1995), rel=0.1)
    assert with_jobs.metrics()["rural_industry_workers"] == pytest.approx(workers)
    rural = [model.metrics()["rural_poverty_headcount"] for model in (with_jobs, without)]
    assert rural[0] < rural[1]


def test_synthetic_scenarios_have_no_rural_industry():
    model = sim.MigrationModel.from_scenario(small("teaching"), rng=6)
    model.run(3)
    assert model.industry_share == 0.0 and not model.local_earnings().any()


def test_a_local_job_pays_the_ratio_times_farm_income_per_person_of_its_hinterland():
    model = sim.MigrationModel.from_scenario(small("neutral", **{"economy.rural_industry_wage_ratio": 1.7}), rng=7)
    model.run(2000 - model.year)
    m = model.migrants
    holders = model.local_earnings() > 0
    assert holders.any()
    expected = 1.7 * model.rural_income[m.origin[holders]]
    np.testing.assert_allclose(model.local_earnings()[holders], expected, rtol=1e-12)


def test_rural_wage_income_share_counts_off_farm_wages_and_remittances():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=8)
    model.run(2005 - model.year)
    m = model.migrants
    home = m.location == HOME
    w = m.weight
    off_farm = (w * model.local_earnings() * m.skill * m.health)[home].sum() + (w * model.remittances).sum()
    income = (w * (m.income + model.medical_repayment))[home].sum()
    share = model.metrics()["rural_wage_income_share"]
    assert share == pytest.approx(off_farm / income, rel=1e-9)
    assert 0.0 < share < 1.0
    # without remittances or local jobs nothing is earned off the farm
    none = sim.MigrationModel.from_scenario(small("neutral", **{"economy.rural_industry_wage_ratio": 0.0,
                                                                 "households.remittance_share": 0.0}), rng=8)
    none.run(2005 - none.year)
    assert none.metrics()["rural_wage_income_share"] == 0.0
