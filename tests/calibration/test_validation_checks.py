"""The validation checks that run in seconds: real network against GeoNames, ζ at cut-offs,
Harris-Todaro with choice noise against its predicted fixed point, the calibrated scenario."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import metrics
from sim.calibration import checks
from sim.calibration import targets as T
from sim.network import china_network


def test_china_network_sizes_are_the_geonames_figures():
    net = china_network(250, overrides=None)  # GeoNames as shipped
    assert net.n == 250
    assert checks.geonames_mismatches(net) == []
    # the default network differs exactly where the override table cites a census figure
    corrected = china_network(250)
    cited = [corrected.names[i] for i in range(corrected.n)
             if corrected.graph.nodes[i]["population_source"] != "GeoNames"]
    assert sorted(name for name, *_ in checks.geonames_mismatches(corrected)) == sorted(cited) == ["Chongqing",
                                                                                                 "Wuzhong"]
    # and the check can fail: a changed population is caught
    net.population[3] *= 1.01
    assert [name for name, *_ in checks.geonames_mismatches(net)] == [net.names[3]]


def test_model_starts_from_the_geonames_sizes_scaled_to_the_urban_population():
    sc = sim.load_scenario("china", {"simulation.n_agents": 2000})
    model = sim.MigrationModel.from_scenario(sc, rng=1)
    net = china_network(250)
    assert model.network.names[:net.n] == net.names  # the 250 cities, then the provinces' towns nodes
    size = model.city_population()
    ratio = size / model.network.population
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    assert size.sum() == pytest.approx(sc.values["urban_share"] * sc.values["total_population"], rel=1e-9)
    cities = size[model.network.cities]
    assert metrics.zipf_exponent(cities) == pytest.approx(metrics.zipf_exponent(net.population), rel=1e-12)


def test_zipf_of_the_deduplicated_geonames_list_is_near_the_reference_values():
    # the reference values are statistics of GeoNames as shipped, so compare them with that
    sizes = china_network(10**6, overrides=None).population
    assert checks.all_china_cities().names == china_network(10**6).names  # every corrected city
    assert len(sizes) > 1000
    rows = checks.zipf_at_cutoffs(sizes, [r.min_size for r in T.ZIPF_REFERENCE])
    for row, ref in zip(rows, T.ZIPF_REFERENCE):
        # the reference values come from the same source; ours merges districts, so n is smaller
        assert row["n"] <= ref.n * 1.05
        assert abs(row["zeta"] - ref.zeta) < 2 * row["se"], (row, ref)
    # thin at the top: ζ rises with the cut-off, as in the reference
    assert rows[0]["zeta"] < rows[1]["zeta"] < rows[2]["zeta"]
    assert metrics.primacy(sizes) == pytest.approx(T.PRIMACY_REFERENCE, abs=0.02)


def test_harris_todaro_fixed_point_formula():
    # noise 0: Harris-Todaro's L_u = w_u E / w_r
    assert checks.harris_todaro_fixed_point(3000, 2e5, 1000, 1e6, 0.0) == 6e5
    for w_u, E, w_r in [(3000, 2e5, 1000), (2000, 2e5, 1500), (5000, 6e4, 800)]:
        star = w_u * E / w_r
        previous = star
        for noise in (0.01, 0.1, 0.3, 1.0, 3.0):
            lu = checks.harris_todaro_fixed_point(w_u, E, w_r, 1e6, noise)
            # noise pulls the split from L* towards N/2, monotonically
            assert min(star, 5e5) - 1 <= lu <= max(star, 5e5) + 1
            assert abs(lu - 5e5) <= abs(previous - 5e5) + 1e-6
            previous = lu
        assert checks.harris_todaro_fixed_point(w_u, E, w_r, 1e6, 1e-4) == pytest.approx(star, rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("w_u, w_r, jobs_per_resident, noise", [(3000, 1000, 1.0, 0.3), (2000, 1500, 1.0, 0.5)])
def test_harris_todaro_with_noise_settles_at_the_logit_fixed_point(w_u, w_r, jobs_per_resident, noise):
    sc = sim.load_scenario("harris_todaro", {"economy.base_wage": w_u, "economy.rural_income": w_r,
                                             "economy.formal_jobs_per_resident": jobs_per_resident,
                                             "migration.choice_noise": noise, "simulation.decision_rounds": 20})
    v = sc.values
    jobs = jobs_per_resident * v["urban_share"] * v["total_population"]
    predicted = checks.harris_todaro_fixed_point(w_u, jobs, w_r, v["total_population"], noise)
    star = w_u * jobs / w_r
    ts = sim.run(sc, steps=60, seed=11).timeseries
    settled = ts["urbanization_rate"].to_numpy()[-20:].mean() * v["total_population"]
    assert settled == pytest.approx(predicted, rel=0.02)
    # and the noise deviation is real: the simulation is measurably off Harris-Todaro's L*
    assert abs(settled - star) > 0.05 * star


def test_calibrated_scenario_loads_and_sets_only_fitted_parameters():
    sc = sim.load_scenario("china_calibrated")
    over = checks.calibrated_overrides(sc)
    from sim.calibration.fit import FREE_PARAMETERS
    assert set(over) <= {f.key for f in FREE_PARAMETERS} and over
    for f in FREE_PARAMETERS:
        assert f.low <= sc.values[sim.params.BY_KEY[f.key].name] <= f.high
    assert sim.load_scenario("cap", over).values["cap_enabled"] is True


def test_the_reference_values_are_those_of_the_raw_geonames_list():
    """targets.md's ζ and n come from the raw GeoNames list (districts not merged): we reproduce them."""
    rows = checks.zipf_at_cutoffs(checks.raw_geonames_sizes(), [r.min_size for r in T.ZIPF_REFERENCE])
    for row, ref in zip(rows, T.ZIPF_REFERENCE):
        assert row["n"] == ref.n
        assert abs(row["zeta"] - ref.zeta) <= 0.01  # targets.md gives two digits ("≈ 0.82")
