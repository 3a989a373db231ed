"""Household formation (sim.households.form_households)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.households import form_households


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=200), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_households_are_full_groups_of_one_origin(origins, members, seed):
    origin = np.array(origins, np.int32)
    household, n = form_households(origin, members, np.random.default_rng(seed))
    assert household.min() == 0 and household.max() == n - 1
    sizes = np.bincount(household, minlength=n)
    assert (sizes >= 1).all() and (sizes <= members).all()
    for h in range(n):  # one origin per household
        assert len(set(origin[household == h])) == 1
    for o in set(origins):  # every origin's agents fill full households but at most one
        own = np.unique(household[origin == o])
        assert (sizes[own] < members).sum() <= 1
        assert len(own) == -(-int((origin == o).sum()) // members)


def test_households_are_drawn_at_random_within_an_origin():
    origin = np.zeros(1000, np.int32)
    a, _ = form_households(origin, 2, np.random.default_rng(1))
    b, _ = form_households(origin, 2, np.random.default_rng(2))
    assert not np.array_equal(a, b)
    c, _ = form_households(origin, 2, np.random.default_rng(1))
    assert np.array_equal(a, c)
