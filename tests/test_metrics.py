"""Tests for sim.metrics against hand-computed values, plus property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import metrics
from sim.metrics import (
    fgt,
    gini,
    hhi,
    primacy,
    theil,
    top_share,
    zipf_exponent,
    zipf_standard_error,
)

approx = pytest.approx


# --------------------------------------------------------------------------- fgt


class TestFGT:
    # incomes [1, 2, 3, 4], line z = 3: the poor are 1 and 2 (3 is not < 3).
    # gaps (z - y)/z: 2/3 and 1/3; N = 4.
    @pytest.mark.parametrize(
        ("alpha", "expected"),
        [
            (0, 2 / 4),  # 2 poor of 4
            (1, (2 / 3 + 1 / 3) / 4),  # = 1/4
            (2, ((2 / 3) ** 2 + (1 / 3) ** 2) / 4),  # (4/9 + 1/9)/4 = 5/36
        ],
    )
    def test_hand_computed(self, alpha, expected):
        assert fgt([1, 2, 3, 4], 3, alpha) == approx(expected, rel=1e-12)

    @pytest.mark.parametrize(
        ("alpha", "expected"),
        [
            # weights [2, 1, 0, 3] = rows [1, 1, 2, 4, 4, 4]; N = 6, poor 1, 1, 2
            (0, 3 / 6),  # 3 poor of 6
            (1, (2 / 3 + 2 / 3 + 1 / 3) / 6),  # (5/3)/6 = 5/18
            (2, (4 / 9 + 4 / 9 + 1 / 9) / 6),  # 1/6
        ],
    )
    def test_weighted_equals_repeated_rows(self, alpha, expected):
        weighted = fgt(np.array([1.0, 2, 3, 4]), 3, alpha, weights=[2, 1, 0, 3])
        repeated = fgt([1, 1, 2, 4, 4, 4], 3, alpha)
        assert weighted == approx(expected, rel=1e-12)
        assert repeated == approx(expected, rel=1e-12)

    def test_negative_income_counts_as_zero(self):
        # [-5, 6], z = 3: -5 -> 0, gap exactly 1 (not 8/3); 6 is not poor.
        for alpha in (0, 1, 2, 3.5):
            assert fgt([-5, 6], 3, alpha) == approx(1 / 2)

    def test_noone_poor_and_everyone_destitute(self):
        assert fgt([5, 6, 7], 3, 1) == 0.0
        assert fgt([0, 0], 3, 2) == 1.0

    def test_empty_and_zero_weight(self):
        assert fgt([], 3, 0) == 0.0
        assert fgt(np.array([]), 3, 2, weights=[]) == 0.0
        assert fgt([1, 2], 3, 1, weights=[0, 0]) == 0.0

    @pytest.mark.parametrize("line", [0, -1, math.nan, math.inf])
    def test_bad_poverty_line(self, line):
        with pytest.raises(ValueError, match="poverty_line"):
            fgt([1, 2], line, 0)

    @pytest.mark.parametrize("alpha", [-0.5, math.nan])
    def test_bad_alpha(self, alpha):
        with pytest.raises(ValueError, match="alpha"):
            fgt([1, 2], 3, alpha)

    def test_bad_weights(self):
        with pytest.raises(ValueError, match="same length"):
            fgt([1, 2, 3], 3, 0, weights=[1, 1])
        with pytest.raises(ValueError, match="non-negative"):
            fgt([1, 2, 3], 3, 0, weights=[1, -1, 1])
        with pytest.raises(ValueError, match="finite"):
            fgt([1, 2, 3], 3, 0, weights=[1, math.nan, 1])

    def test_bad_incomes(self):
        with pytest.raises(ValueError, match="finite"):
            fgt([1, math.nan], 3, 0)
        with pytest.raises(ValueError, match="one-dimensional"):
            fgt([[1, 2], [3, 4]], 3, 0)


# --------------------------------------------------------------------------- gini


def _gini_pairwise(x, w):
    """Reference O(n^2) definition: sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean)."""
    x, w = np.maximum(np.asarray(x, float), 0), np.asarray(w, float)
    total_w = w.sum()
    mean = np.dot(w, x) / total_w
    return (np.outer(w, w) * np.abs(x[:, None] - x[None, :])).sum() / (2 * total_w**2 * mean)


class TestGini:
    def test_one_to_four(self):
        # sum_ij |x_i - x_j| = 2 * (1+2+3 + 1+2 + 1) = 20; 2 n^2 mean = 2*16*2.5 = 80
        assert gini([1, 2, 3, 4]) == approx(0.25, rel=1e-12)

    def test_one_holds_all(self):
        # sum_ij |x_i - x_j| = 2 * 3 = 6; 2 n^2 mean = 2*16*0.25 = 8 -> 0.75 = 1 - 1/n
        assert gini([0, 0, 0, 1]) == approx(0.75, rel=1e-12)
        assert gini(np.array([1.0, 0, 0, 0])) == approx(0.75, rel=1e-12)  # order irrelevant

    def test_weighted(self):
        # [1, 3] with weights [3, 1] = [1, 1, 1, 3]: sum_ij |.| = 2*3*2 = 12;
        # 2 n^2 mean = 2*16*1.5 = 48 -> 0.25
        assert gini([1, 3], weights=[3, 1]) == approx(0.25, rel=1e-12)
        assert gini([1, 1, 1, 3]) == approx(0.25, rel=1e-12)
        # zero-weight rows are ignored
        assert gini([1, 100, 3], weights=[3, 0, 1]) == approx(0.25, rel=1e-12)

    def test_negatives_clipped(self):
        # [-1, 1] -> [0, 1]: sum_ij |.| = 2; 2*4*0.5 = 4 -> 0.5
        assert gini([-1, 1]) == approx(0.5)

    def test_degenerate(self):
        assert gini([]) == 0.0
        assert gini([0, 0, 0]) == 0.0
        assert gini([-3, -1]) == 0.0
        assert gini([7]) == 0.0
        assert gini([5, 5, 5, 5]) == 0.0
        assert gini([1, 2], weights=[0, 0]) == 0.0

    def test_bad_weights(self):
        with pytest.raises(ValueError, match="same length"):
            gini([1, 2, 3], weights=[1, 2])
        with pytest.raises(ValueError, match="non-negative"):
            gini([1, 2], weights=[1, -2])


# --------------------------------------------------------------------------- theil


class TestTheil:
    def test_equal_values(self):
        assert theil([4, 4, 4, 4]) == approx(0.0, abs=1e-15)
        assert theil([0.1] * 7) == approx(0.0, abs=1e-15)

    def test_one_three(self):
        # mu = 2, x/mu = 1/2 and 3/2:
        # T = (1/2)[(1/2) ln(1/2) + (3/2) ln(3/2)] = (3/4) ln 3 - ln 2 ~= 0.130812
        assert theil([1, 3]) == approx(0.75 * math.log(3) - math.log(2), rel=1e-12)

    def test_zero_contributes_nothing(self):
        # [0, 1]: mu = 1/2, x/mu = 0 and 2: T = (1/2)(0 + 2 ln 2) = ln 2 = ln N (the maximum)
        assert theil([0, 1]) == approx(math.log(2), rel=1e-12)

    def test_weighted(self):
        # equal weights (any scale) give the unweighted value; weights [2, 0] leave only 1s
        assert theil([1, 3], weights=[5, 5]) == approx(0.75 * math.log(3) - math.log(2))
        assert theil([1, 3], weights=[2, 0]) == approx(0.0, abs=1e-15)
        # [1, 3] weights [3, 1] = [1, 1, 1, 3]: mu = 3/2, x/mu = 2/3 (x3), 2:
        # T = (1/4)[3 (2/3) ln(2/3) + 2 ln 2] = (1/2) ln(2/3) + (1/2) ln 2 = (1/2) ln(4/3)
        assert theil([1, 3], weights=[3, 1]) == approx(0.5 * math.log(4 / 3), rel=1e-12)

    def test_degenerate(self):
        assert theil([]) == 0.0
        assert theil([0, 0]) == 0.0
        assert theil([1, 2], weights=[0, 0]) == 0.0

    def test_bad_weights(self):
        with pytest.raises(ValueError, match="same length"):
            theil([1, 2], weights=[1])
        with pytest.raises(ValueError, match="non-negative"):
            theil([1, 2], weights=[-1, 1])


# --------------------------------------------------------------------------- city sizes


class TestHHI:
    def test_hand_computed(self):
        assert hhi([1, 1, 1, 1]) == approx(0.25)  # 4 * (1/4)^2
        assert hhi([2, 1, 1]) == approx(0.375)  # (1/2)^2 + 2 (1/4)^2 = 1/4 + 1/8
        assert hhi(np.array([5.0, 0, 0])) == 1.0

    def test_degenerate_and_invalid(self):
        assert hhi([]) == 0.0
        assert hhi([0, 0]) == 0.0
        with pytest.raises(ValueError, match="non-negative"):
            hhi([1, -1])


class TestPrimacy:
    def test_hand_computed(self):
        assert primacy([4, 10, 2]) == approx(2.5)  # 10 / 4
        assert primacy([10, 10, 1]) == 1.0
        assert primacy([0, 6, 3, 0]) == 2.0

    def test_too_few(self):
        assert math.isnan(primacy([]))
        assert math.isnan(primacy([5]))
        assert math.isnan(primacy([5, 0, 0]))

    def test_invalid(self):
        with pytest.raises(ValueError, match="non-negative"):
            primacy([5, -1, 2])


class TestTopShare:
    def test_hand_computed(self):
        assert top_share([3, 5, 2]) == approx(0.5)  # 5 / 10
        assert top_share([3, 5, 2], k=2) == approx(0.8)  # (5 + 3) / 10
        assert top_share([3, 5, 2], k=5) == 1.0

    def test_degenerate_and_invalid(self):
        assert top_share([]) == 0.0
        assert top_share([0, 0], k=1) == 0.0
        for bad_k in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="k must"):
                top_share([1, 2], k=bad_k)
        with pytest.raises(ValueError, match="non-negative"):
            top_share([1, -2])


class TestZipf:
    # sizes = 1e6 / (r - 1/2) make ln(r - 1/2) = ln 1e6 - ln size exactly: slope -1.
    RANKS = np.arange(1, 51)
    EXACT = 1e6 / (RANKS - 0.5)

    def test_exact_zipf(self):
        assert zipf_exponent(self.EXACT) == approx(1.0, abs=1e-9)

    def test_order_and_list_input(self):
        rng = np.random.default_rng(0)
        assert zipf_exponent(list(rng.permutation(self.EXACT))) == approx(1.0, abs=1e-9)

    def test_other_exponent(self):
        # size = (r - 1/2)^(-1/1.5)  <=>  ln(r - 1/2) = -1.5 ln size
        assert zipf_exponent((self.RANKS - 0.5) ** (-1 / 1.5)) == approx(1.5, abs=1e-9)

    def test_min_size_and_zeros_filtered(self):
        smallest = self.EXACT.min()
        sizes = np.concatenate([self.EXACT, [0.0, 0.0, smallest / 2, 1.0]])
        assert zipf_exponent(sizes, min_size=smallest) == approx(1.0, abs=1e-9)

    def test_too_few_or_degenerate(self):
        assert math.isnan(zipf_exponent([]))
        assert math.isnan(zipf_exponent([10, 5]))
        assert math.isnan(zipf_exponent([10, 5, 0, 0]))
        assert math.isnan(zipf_exponent([100, 50, 20], min_size=30))
        assert math.isnan(zipf_exponent([7, 7, 7, 7]))  # zero variance in log size

    def test_invalid(self):
        with pytest.raises(ValueError, match="non-negative"):
            zipf_exponent([10, 5, -1, 3])

    def test_standard_error(self):
        # 1.0 * sqrt(2/50) = sqrt(0.04) = 0.2
        assert zipf_standard_error(1.0, 50) == approx(0.2)
        # 1.5 * sqrt(2/8) = 1.5 * 0.5 = 0.75
        assert zipf_standard_error(1.5, 8) == approx(0.75)
        assert math.isnan(zipf_standard_error(math.nan, 10))
        with pytest.raises(ValueError, match="n must be positive"):
            zipf_standard_error(1.0, 0)


# --------------------------------------------------------------------------- properties

# Moderate magnitudes keep the properties about the formulas, not about float
# underflow: zero or at least 1e-3.
nonneg = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))
income = st.floats(-1e3, 1e6)
int_weight = st.integers(0, 5)


@given(st.lists(nonneg, min_size=1, max_size=60), st.floats(1e-3, 1e3))
def test_gini_bounded_and_scale_invariant(values, scale):
    g = gini(values)
    assert 0.0 <= g < 1.0
    assert g <= 1 - 1 / len(values) + 1e-12
    assert gini(np.asarray(values) * scale) == approx(g, rel=1e-9, abs=1e-12)


@given(st.lists(st.tuples(nonneg, int_weight), min_size=1, max_size=40))
def test_weighted_gini_matches_repeats_and_pairwise(rows):
    x, w = map(np.array, zip(*rows))
    g = gini(x, weights=w)
    assert g == approx(gini(np.repeat(x, w)), rel=1e-9, abs=1e-12)
    if w.sum() > 0 and np.dot(w, x) > 0:
        assert g == approx(_gini_pairwise(x, w), rel=1e-9, abs=1e-12)


@given(
    st.lists(st.tuples(income, int_weight), max_size=40),
    st.floats(1.0, 1e5),
    st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.floats(0.0, 5.0)),
)
def test_weighted_fgt_equals_repeated_rows(rows, line, alpha):
    x = np.array([r[0] for r in rows], dtype=float)
    w = np.array([r[1] for r in rows], dtype=int)
    assert fgt(x, line, alpha, weights=w) == approx(
        fgt(np.repeat(x, w), line, alpha), rel=1e-9, abs=1e-12
    )


@given(
    st.lists(st.floats(0.0, 1e5), max_size=50),
    st.floats(1.0, 1e5),
    st.floats(0.0, 5.0),
    st.floats(0.0, 5.0),
)
def test_fgt_nonincreasing_in_alpha_and_bounded(incomes, line, a1, a2):
    lo, hi = sorted((a1, a2))
    p_lo, p_hi = fgt(incomes, line, lo), fgt(incomes, line, hi)
    assert 0.0 <= p_hi <= p_lo + 1e-12
    assert p_lo <= fgt(incomes, line, 0) + 1e-12 <= 1.0 + 1e-12


@given(st.lists(nonneg, min_size=1, max_size=60).filter(lambda s: sum(s) > 0))
def test_hhi_bounds(sizes):
    h = hhi(sizes)
    n = len(sizes)
    assert 1 / n - 1e-12 <= h <= 1.0 + 1e-12


@given(st.lists(st.tuples(nonneg, int_weight), min_size=1, max_size=40))
def test_weighted_theil_matches_repeats(rows):
    x, w = map(np.array, zip(*rows))
    t = theil(x, weights=w)
    assert t >= 0.0
    assert t == approx(theil(np.repeat(x, w)), rel=1e-9, abs=1e-12)
    assert t <= math.log(max(w.sum(), 1)) + 1e-9


def test_inputs_not_modified():
    x = np.array([3.0, -1.0, 2.0])
    w = np.array([1.0, 2.0, 3.0])
    for f in (gini, theil):
        f(x)
        f(x, weights=w)
    fgt(x, 2.5, 1, weights=w)
    zipf_exponent(np.abs(x))
    np.testing.assert_array_equal(x, [3.0, -1.0, 2.0])
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


def test_inverted_u_finds_an_interior_peak_and_rejects_a_monotone_curve():
    sizes = np.geomspace(1e5, 1e8, 30)
    peak = 3e6
    values = 100 - (np.log(sizes) - np.log(peak)) ** 2
    fit = metrics.inverted_u(sizes, values)
    assert fit["holds"] == 1.0 and fit["peak_size"] == pytest.approx(peak, rel=1e-6) and fit["c"] < 0
    assert metrics.inverted_u(sizes, -np.log(sizes))["holds"] == 0.0
    assert metrics.inverted_u(sizes, 100 - (np.log(sizes) - np.log(1e9)) ** 2)["holds"] == 0.0  # peak outside
    with pytest.raises(ValueError):
        metrics.inverted_u([1.0, 2.0], [1.0, 2.0])


def test_presorted_gini_and_median_equal_the_sorting_ones():
    rng = np.random.default_rng(3)
    x, w = rng.lognormal(0, 1, 500), rng.random(500)
    order = np.argsort(x)
    assert metrics.gini(x[order], w[order], presorted=True) == pytest.approx(metrics.gini(x, w), rel=1e-12)
    assert metrics.weighted_median(x[order], w[order], presorted=True) == metrics.weighted_median(x, w)
