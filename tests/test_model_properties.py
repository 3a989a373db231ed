"""Property tests: for any valid policy and behavioural settings, people are conserved and
stocks stay non-negative."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim

settings_ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@settings_
@given(
    cap=st.booleans(), reform=st.booleans(),
    decentralization=st.floats(0.0, 0.3), intensity=st.floats(0.0, 1.0), noise=st.floats(0.0, 2.0),
    revision=st.floats(0.0, 1.0), barrier=st.floats(0.0, 1.0), requisition=st.floats(0.0, 0.1),
    eviction=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_settings_conserve_people(cap, reform, decentralization, intensity, noise, revision, barrier,
                                            requisition, eviction, seed):
    sc = sim.load_scenario("teaching", {
        "simulation.n_agents": 600, "policy.cap.enabled": cap, "policy.cap.start_year": 1983,
        "policy.reform.enabled": reform, "policy.reform.start_year": 1984,
        "policy.decentralization.rate": decentralization, "policy.decentralization.start_year": 1983,
        "policy.decentralization.to_min_rank": 5,
        "policy.enforcement.intensity": intensity, "policy.enforcement.eviction": eviction,
        "migration.choice_noise": noise, "migration.revision_rate": revision,
        "migration.hukou_job_barrier": barrier, "government.land_requisition_rate": requisition,
    })
    model = sim.MigrationModel.from_scenario(sc, rng=seed)
    start = model.total_population()
    model.run(6)
    assert model.total_population() == pytest.approx(start + model.natural_increase, rel=1e-9)
    m, v, c = model.migrants, model.villagers, model.cities
    for arr in (m.weight, m.income, m.savings, v.weight, v.extra_rooms, c.formal_jobs, c.service_budget):
        assert (arr >= 0).all()
    out = model.metrics()
    assert 0 <= out["poverty_headcount"] <= 1 and 0 <= out["urbanization_rate"] <= 1
    assert np.isfinite(out["gdp"]) and out["gdp"] > 0
