"""The model as a whole: conservation, determinism, stocks, policies, Mesa integration."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

import sim
import sim.policies
from sim.agents import LocalGovernment, Migrant, UrbanVillager
from sim.state import HOME

from conftest import SMALL, small


def run_model(scenario, seed=1, steps=12):
    model = sim.MigrationModel.from_scenario(scenario, rng=seed)
    model.run(steps)
    return model


def test_people_are_conserved_except_by_natural_increase(small_cap):
    model = sim.MigrationModel.from_scenario(small_cap, rng=3)
    start = model.total_population()
    assert start == pytest.approx(small_cap.values["total_population"], rel=1e-9)
    for _ in range(15):
        model.step()
        # moves, requisitions, conversions and evictions only relabel people
        assert model.total_population() == pytest.approx(start + model.natural_increase, rel=1e-9)
    assert model.natural_increase > 0
    df = model.datacollector.get_model_vars_dataframe()
    assert df["population"].iloc[-1] == pytest.approx(model.total_population(), rel=1e-9)


def test_stocks_are_non_negative_and_shares_bounded(small_cap):
    model = run_model(small_cap, steps=20)
    m, v, c = model.migrants, model.villagers, model.cities
    for arr in (m.weight, m.income, m.savings, m.health, m.earnings, v.weight, v.rooms, v.extra_rooms,
                v.income, c.natives, c.formal_jobs, c.service_budget, c.gdp):
        assert (arr >= 0).all()
    assert ((m.health > 0) & (m.health <= 1)).all()
    df = model.datacollector.get_model_vars_dataframe()
    for col in ("urbanization_rate", "hukou_urbanization_rate", "poverty_headcount", "poverty_gap",
                "poverty_severity", "gini_income", "top_city_share", "mean_compliance"):
        assert df[col].between(0, 1).all(), col
    assert (df["hukou_urbanization_rate"] <= df["urbanization_rate"] + 1e-12).all()
    assert (df["poverty_severity"] <= df["poverty_gap"] + 1e-12).all()


def test_same_seed_same_numbers_different_seed_differs():
    sc = small("teaching")
    a = run_model(sc, seed=11).datacollector.get_model_vars_dataframe()
    b = run_model(sc, seed=11).datacollector.get_model_vars_dataframe()
    c = run_model(sc, seed=12).datacollector.get_model_vars_dataframe()
    assert a.equals(b)
    assert not a.equals(c)


def test_outputs_have_every_documented_column():
    model = run_model(small("teaching"), steps=2)
    df = model.datacollector.get_model_vars_dataframe()
    required = ("step year urbanization_rate hukou_urbanization_rate migrant_population poverty_headcount "
                "poverty_gap poverty_severity migrant_poverty_headcount villager_poverty_headcount "
                "rural_poverty_headcount new_urban_poor gini_income urban_rural_income_ratio zipf_exponent hhi "
                "primacy top_city_share gdp gdp_per_capita").split()
    assert list(df.columns) == list(sim.COLUMNS)
    assert set(required) <= set(df.columns)
    assert list(df["step"]) == [0, 1, 2]
    assert list(df["year"]) == [1982, 1983, 1984]
    assert model.metrics()["step"] == 2


def test_agents_are_registered_views_on_the_arrays():
    model = run_model(small("teaching"), steps=3)
    migrants = model.agents_by_type[Migrant]
    assert len(migrants) == len(model.migrants)
    assert len(model.agents_by_type[LocalGovernment]) == model.n_cities
    assert len(model.agents_by_type[UrbanVillager]) == len(model.villagers)
    agent = next(iter(migrants))
    assert agent.weight == model.migrants.weight[agent.index]
    assert agent.location == model.migrants.location[agent.index]
    # weights are people: the agents' weights sum to the rural-hukou population
    assert sum(a.weight for a in migrants) == pytest.approx(model.migrants.weight.sum())
    # villagers made by later requisitions get their views too, each row once
    before = len(model.villagers)
    model.run(20)
    assert len(model.villagers) > before
    views = model.agents_by_type[UrbanVillager]
    assert sorted(a.index for a in views) == list(range(len(model.villagers)))
    assert len(model.agents) == len(model.migrants) + len(model.villagers) + model.n_cities


def test_migration_urbanizes_and_surplus_labour_raises_rural_income():
    model = run_model(small("neutral"), steps=10)
    df = model.datacollector.get_model_vars_dataframe()
    assert df["urbanization_rate"].iloc[-1] > df["urbanization_rate"].iloc[0] + 0.05
    assert df["migrant_population"].iloc[-1] > df["migrant_population"].iloc[0]
    # the rural mean is the ratio's denominator: income per person of people at home
    m = model.migrants
    home = m.location == HOME
    assert df["rural_mean_income"].iloc[-1] == pytest.approx(np.average(m.income[home], weights=m.weight[home]))
    assert df["rural_mean_income"].iloc[-1] > df["rural_mean_income"].iloc[0]


def test_cap_holds_capped_cities_and_enforces():
    # without the work-unit tie, so that no wave of urban movers after the 1998 housing reform (natives leaving,
    # migrants taking their room while compliance is partial) runs through the years checked
    sc = small("cap", **{"policy.cap.start_year": 1986, "policy.enforcement.intensity": 1.0, "policy.cap.plan": "",
                         "migration.work_unit_tie": 0.0})
    model = sim.MigrationModel.from_scenario(sc, rng=5)
    model.run(5)  # the decree comes in 1986
    capped = np.isfinite(model.cities.cap)
    assert capped.sum() == sc.values["cap_top_n"]
    cap = model.cities.cap[capped]
    model.run(15)
    sizes = model.city_population()[capped]
    # held near the cap (natural growth of hukou holders is beyond its reach)
    assert (sizes <= cap * 1.06).all()
    assert model.cities.enforcement[capped].max() > 0
    assert model.metrics()["mean_compliance"] > sc.values["compliance_initial"]
    neutral = run_model(small("neutral"), seed=5, steps=20)
    assert neutral.city_population()[capped].sum() > sizes.sum()


def test_requisition_creates_villagers_and_decentralization_moves_jobs():
    sc = small("decentralize", **{"policy.decentralization.start_year": 1983, "policy.decentralization.rate": 0.1})
    model = sim.MigrationModel.from_scenario(sc, rng=2)
    villagers_before = len(model.villagers)
    size = np.where(model.network.cities, model.city_population(), 0.0)  # towns nodes give up no jobs
    top = np.argsort(-size)[:4]
    jobs_top = model.cities.formal_jobs[top].sum()
    model.run(6)
    assert len(model.villagers) > villagers_before
    growth = (1 + sc.values["formal_job_growth"]) ** 6
    assert model.cities.formal_jobs[top].sum() < jobs_top * growth * 0.9


def test_hukou_reform_gives_equal_access_and_converts():
    sc = small("hukou_reform", **{"policy.reform.start_year": 1984})
    model = run_model(sc, steps=8)
    assert model.rules.equal_services
    assert np.allclose(model.cities.migrant_access, 1.0)
    base = run_model(small("neutral"), steps=8)
    assert model.metrics()["hukou_urbanization_rate"] > base.metrics()["hukou_urbanization_rate"]


def test_new_city_is_founded_beside_the_capital():
    sc = small("new_city", **{"policy.new_city.founded_year": 1985, "policy.cap.start_year": 1985,
                              "policy.new_city.beside": ""})
    model = sim.MigrationModel.from_scenario(sc, rng=4)
    policy = next(x for x in model.policies if isinstance(x, sim.policies.NewCity))
    new = policy.city
    assert not model.cities.active[new] and model.city_population()[new] == 0
    model.run(8)
    assert model.cities.active[new]
    assert model.city_population()[new] > 0
    assert model.network.distance_km[new, policy.capital] == pytest.approx(sc.values["new_city_distance_km"], rel=1e-6)


@pytest.mark.parametrize("name", sorted(sim.bundled_scenarios()))
def test_every_bundled_scenario_runs(name):
    overrides = dict(SMALL) if name not in ("harris_todaro", "teaching") else {}
    if name == "china":
        overrides.pop("network.n_cities")
    sc = sim.load_scenario(name, overrides)
    model = run_model(sc, steps=3)
    metrics = model.metrics()
    assert metrics["year"] == sc.start_year + 3
    assert np.isfinite([metrics[k] for k in ("urbanization_rate", "poverty_headcount", "gdp")]).all()


def test_keyword_construction_and_batch_run():
    model = sim.MigrationModel(n_agents=500, network_n_cities=8, rng=1)
    assert model.p["n_agents"] == 500 and model.n_cities == 8
    results = mesa.batch_run(sim.MigrationModel,
                             parameters={"n_agents": 400, "network_n_cities": 6, "cap_enabled": [False, True],
                                         "cap_start_year": 1983},
                             rng=[1, 2], max_steps=3, number_processes=1, data_collection_period=-1,
                             display_progress=False)
    assert len(results) == 4
    assert {r["cap_enabled"] for r in results} == {False, True}
    assert all(r["year"] == 1985 for r in results)
    same = [r for r in results if not r["cap_enabled"]]
    assert same[0]["urbanization_rate"] != same[1]["urbanization_rate"]  # rng differs per replication


def test_unknown_or_bad_keyword_is_an_input_error():
    with pytest.raises(sim.InputError, match="n_agentz"):
        sim.MigrationModel(n_agentz=5, rng=1)
    with pytest.raises(sim.InputError, match="choice_noise"):
        sim.MigrationModel(choice_noise=-1.0, rng=1)


def test_group_poverty_outputs_equal_fgt_on_each_group(small_cap):
    from sim import metrics
    model = run_model(small_cap, steps=6)
    m, v, line = model.migrants, model.villagers, model.p["poverty_line"]
    out = model.metrics()
    floating = m.floating
    home = m.location == HOME
    assert out["migrant_poverty_headcount"] == pytest.approx(metrics.fgt(m.income[floating], line, 0, m.weight[floating]))
    assert out["rural_poverty_headcount"] == pytest.approx(metrics.fgt(m.income[home], line, 0, m.weight[home]))
    # villagers by income decile, the guarantee reaching its coverage share of each decile
    from sim.households import guarantee_cells
    deciles = model.villager_decile_income.shape[1]
    v_income, v_weight = guarantee_cells(model.villager_decile_income.ravel(),
                                         np.repeat(np.bincount(v.city, weights=v.weight, minlength=model.n_cities)
                                                   / deciles, deciles),
                                         model.urban_guarantee, model.p["dibao_coverage"])
    assert out["villager_poverty_headcount"] == pytest.approx(metrics.fgt(v_income, line, 0, v_weight))
    assert out["new_urban_poor"] == pytest.approx(m.weight[floating & (m.income < line)].sum())
    assert out["migrant_population"] == pytest.approx(m.weight[floating].sum())


def test_compliance_differs_by_province_and_is_shared_within_one():
    sc = small("cap", **{"network.n_cities": 120, "government.compliance_spread": 0.2})
    model = sim.MigrationModel.from_scenario(sc, rng=6)
    province = np.asarray(model.network.province)
    compliance = model.cities.compliance
    for name in set(province):
        assert np.ptp(compliance[province == name]) == 0.0
    assert len(set(np.round(compliance, 12))) > 5
    flat = sim.MigrationModel.from_scenario(small("cap", **{"network.n_cities": 120,
                                                            "government.compliance_spread": 0.0}), rng=6)
    assert np.all(flat.cities.compliance == sc.values["compliance_initial"])


def test_city_size_laws_count_cities_not_towns_nodes():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=3)
    model.run(2)
    towns = model.network.towns
    assert towns.any()  # the china scenario has a towns node per province
    size = model.city_population()
    out = model.metrics()
    assert out["largest_city"] == pytest.approx(size[~towns].max())
    assert out["top_city_share"] == pytest.approx(size[~towns].max() / size[~towns].sum())
    # a towns node's size per place is that of a county town, whatever its summed size
    assert (model.settlement_size()[towns] < size[~towns].min()).all()
