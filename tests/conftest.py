"""Shared fixtures: small, fast versions of the bundled scenarios."""

from __future__ import annotations

import pytest

import sim

# Small enough for a fast test, large enough that every mechanism has agents to act on.
SMALL = {"simulation.n_agents": 3000, "network.n_cities": 40}


@pytest.fixture
def small_cap():
    return sim.load_scenario("cap", {**SMALL, "policy.cap.start_year": 1990})


def small(name: str, **extra):
    overrides = dict(SMALL)
    overrides.update(extra)
    return sim.load_scenario(name, overrides)
