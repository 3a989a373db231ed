"""FGT by group (sim.poverty.fgt_by_group) against the one-group measure of sim.metrics, for incomes >= 0 (the model's
incomes are floored at zero)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import approx

from sim.metrics import fgt
from sim.poverty import fgt_by_group


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5000), st.floats(0.1, 10), st.integers(0, 3)), min_size=1, max_size=60),
       st.floats(100, 4000))
def test_each_group_equals_its_own_fgt(rows, line):
    incomes, weights, group = (np.array(c) for c in zip(*rows))
    out = fgt_by_group(incomes, weights, group.astype(np.int64), 4, line)
    for g in range(4):
        mine = group == g
        for a in range(3):
            expected = fgt(incomes[mine], line, a, weights=weights[mine]) if mine.any() else 0.0
            assert out[g, a] == approx(expected, rel=1e-9, abs=1e-12)
