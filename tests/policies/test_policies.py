"""Policies: the registry, the year's rules set by China's dated reforms, bad event years."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import sim
from sim import params
from sim.policies import REGISTRY, HukouCap, Rules
from sim.policies.history import HISTORY

from conftest import small


def test_every_policy_section_has_a_registered_class_and_back():
    sections = {p.section.split(".")[1] for p in params.PARAMS if p.section.startswith("policy.")}
    sections.discard("enforcement")  # how caps are enforced: part of [policy.cap]
    assert sections == set(REGISTRY)
    assert set(HISTORY) <= set(REGISTRY)
    for cls in REGISTRY.values():
        assert cls.title and cls.source, cls


def test_neutral_synthetic_scenarios_have_no_policy_but_china_has_its_history():
    assert sim.MigrationModel.from_scenario(small("teaching"), rng=1).policies == []
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=1)
    assert {type(x).key for x in model.policies} == set(HISTORY)


def _rules_in(year: int) -> Rules:
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=2)
    model.run(year - model.year)
    return model.rules


def test_dated_reforms_change_the_rules_in_their_years():
    p = sim.load_scenario("neutral").values
    r1983, r1986, r2000, r2004 = (_rules_in(y) for y in (1983, 1986, 2000, 2004))
    assert r1983.movement_block == pytest.approx(p["movement_control"])
    assert r1986.movement_block == pytest.approx(p["movement_control"] * 0.7 * 0.7)
    assert r2004.movement_block == 0.0
    assert not r1986.urban_dibao and r2000.urban_dibao and not r2004.rural_dibao
    assert r2000.rural_reimbursement == pytest.approx(p["rural_reimbursement"])
    assert p["rural_reimbursement"] < r2004.rural_reimbursement < p["rural_medical_scheme_reimbursement"]
    r2010 = _rules_in(2010)
    assert r2010.rural_dibao and r2010.rural_reimbursement == pytest.approx(p["rural_medical_scheme_reimbursement"])
    assert r2010.farm_income_factor == pytest.approx(1 + p["agricultural_tax_income_gain"])
    assert r2010.poverty_reach == 0 and _rules_in(2015).poverty_reach == p["targeted_poverty_reach"]
    # the work unit ties urban people to their city until the 1998 housing reform
    assert r1986.urban_mobility_block == p["work_unit_tie"] == 1.0 and r2000.urban_mobility_block == 0.0
    # requisitioned land came with urban hukou and a job until the 1998 Land Administration Law
    assert r1986.requisition_hukou_share == p["requisition_hukou_share"] == 1.0
    assert r2000.requisition_hukou_share == p["land_compensation_hukou_share"] == 0.0


def test_villagers_who_keep_rural_hukou_are_urban_but_neither_floating_nor_urban_hukou():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=4)
    model.run(2008 - model.year)
    out, v = model.metrics(), model.villagers
    assert 0 < out["villagers_rural_hukou"] < v.weight[v.founded >= 1999 - 1982].sum()  # some converted since
    assert (v.urban_hukou[v.founded < 1999 - 1982] > 0.999).all()
    m = model.migrants
    non_hukou = out["migrant_population"] + out["villagers_rural_hukou"]
    assert out["urbanization_rate"] - out["hukou_urbanization_rate"] == pytest.approx(non_hukou / out["population"])
    assert out["floating_population"] == pytest.approx(out["migrant_population"] + out["urban_movers"])
    assert out["migrant_population"] == pytest.approx(m.weight[m.floating].sum())


def test_no_one_moves_between_cities_of_their_own_accord_before_the_housing_reform():
    model = sim.MigrationModel.from_scenario(small("neutral"), rng=4)
    model.run(1997 - model.year)
    assert model.cities.urban_movers.sum() == 0.0
    model.run(3)
    assert model.cities.urban_movers.sum() > 0.0


def test_tiered_reform_converts_small_cities_faster_than_megacities():
    model = sim.MigrationModel.from_scenario(small("neutral", **{"network.n_cities": 250}), rng=3)
    model.run(2015 - model.year)
    model._set_rules()  # the rules of these city sizes (a year's rules see the sizes at its start)
    size = model.settlement_size()  # a towns node's rule is that of its places, not of their sum
    extra = model.rules.conversion_extra
    order = np.argsort(size)
    assert np.all(np.diff(extra[order]) <= 1e-12)  # the bigger the city, the harder to register
    assert extra.max() > extra.min()


def test_cap_enforcement_and_rationing_live_in_the_cap_policy():
    model = sim.MigrationModel.from_scenario(small("cap", **{"policy.cap.start_year": 1985, "policy.cap.plan": ""}),
                                             rng=4)
    cap = next(x for x in model.policies if isinstance(x, HukouCap))
    model.run(12)
    assert np.isfinite(model.cities.cap).sum() == cap.top_n
    assert model.cities.enforcement.max() > 0


@pytest.mark.parametrize("setting, field", [
    ("policy.custody_end.start_year=2150", "policy.custody_end.start_year"),
    ("policy.rural_medical_scheme.full_year=1990", "policy.rural_medical_scheme.full_year"),
    ("health.poverty_line=0", "health.poverty_line"),
])
def test_bad_event_settings_are_one_line_errors(tmp_path, setting, field):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "neutral", "--steps", "1", "--set", setting,
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_capped_cities_count_the_people_they_turn_away():
    model = sim.MigrationModel.from_scenario(small("cap", **{"policy.cap.start_year": 1985, "policy.cap.plan": "",
                                                             "policy.enforcement.intensity": 1.0}), rng=4)
    turned = 0.0
    for _ in range(15):
        model.step()
        assert (model.refused_entry[~np.isfinite(model.cities.cap)] == 0).all()
        assert model.metrics()["refused_entry"] == pytest.approx(model.refused_entry.sum())
        turned += model.refused_entry.sum()
    assert turned > 0


def test_master_plan_caps_beijing_and_shanghai_at_their_planned_populations():
    model = sim.MigrationModel.from_scenario(small("cap", **{"policy.cap.start_year": 1983}), rng=4)
    model.run(2)
    names = model.network.names
    capped = {names[i]: model.cities.cap[i] for i in np.flatnonzero(np.isfinite(model.cities.cap))}
    assert capped == {"Beijing": 23e6, "Shanghai": 25e6}


def test_a_plan_naming_no_city_of_the_network_is_a_one_line_error(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "teaching", "--steps", "1", "--set",
                           "policy.cap.enabled=true", "--set", "policy.cap.plan=masterplans", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "policy.cap.plan" in lines[0] and "Beijing" in lines[0], lines
    assert not out.exists()


def test_unified_registration_registers_villagers_in_place_from_2014_without_touching_migrants():
    runs = {}
    for rate in (0.0, 0.5):
        model = sim.MigrationModel.from_scenario(small("neutral", **{"policy.unified_registration.in_place_rate": rate}),
                                                 rng=6)
        model.run(2013 - model.year)
        assert model.rules.village_conversion_extra == 0.0  # not yet in force
        before = model.metrics()["villagers_rural_hukou"]
        model.run(3)
        assert model.rules.village_conversion_extra == rate
        runs[rate] = (before, model.metrics(), model.migrants.urban_hukou.copy())
    (b0, out0, conv0), (b5, out5, conv5) = runs[0.0], runs[0.5]
    assert b0 == b5 > 0  # the same history until 2014
    assert out5["villagers_rural_hukou"] < 0.25 * out0["villagers_rural_hukou"]
    assert out5["hukou_urbanization_rate"] > out0["hukou_urbanization_rate"]
    assert np.array_equal(conv0, conv5)  # migrants' admissions are the cities' business, not this policy's


def test_tiered_reform_intensity_scales_every_tier():
    extras = {}
    for intensity in (0.0, 1.0, 2.0):
        model = sim.MigrationModel.from_scenario(small("neutral", **{"policy.tiered_hukou.intensity": intensity,
                                                                     "policy.small_town_hukou.enabled": False}), rng=3)
        model.run(2015 - model.year)
        extras[intensity] = model.rules.conversion_extra.copy()
    assert np.all(extras[0.0] == 0.0) and extras[1.0].max() > 0
    np.testing.assert_allclose(extras[2.0], 2 * extras[1.0])
