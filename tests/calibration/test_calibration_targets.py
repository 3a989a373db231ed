"""Calibration targets and loss: loaded as data with their bands, zero at a perfect fit, growing with deviation."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import sim
from sim.calibration import targets as T
from sim.errors import InputError

TARGETS_MD = Path(__file__).resolve().parents[3] / "shared" / "reference" / "targets.md"


def test_issue_targets_are_present_with_the_issue_bands():
    by = T.BY_NAME
    for year, value in [(1990, 0.264), (2000, 0.362), (2010, 0.497), (2020, 0.639)]:
        t = by[f"urbanization_{year}"]
        assert (t.column, t.year, t.value, t.band, t.role) == ("urbanization_rate", year, value, 0.03, "fit")
    assert by["floating_population_2010"].value == 221e6 and by["floating_population_2010"].band == pytest.approx(221e6 * 0.15)
    assert by["floating_population_2020"].value == 376e6 and by["floating_population_2020"].band == pytest.approx(376e6 * 0.15)
    assert by["income_ratio_2014"].band == 0.3 and by["income_ratio_2014"].value == 2.97
    assert by["hukou_urbanization_2020"].band == 0.05 and by["hukou_urbanization_2020"].value == 0.454
    for t in T.TARGETS:
        assert t.column in sim.COLUMNS and t.source, t.name


@pytest.mark.skipif(not TARGETS_MD.is_file(), reason="shared reference file not present")
def test_target_values_are_the_figures_in_targets_md():
    text = TARGETS_MD.read_text(encoding="utf-8")
    for t in T.TARGETS:
        if t.column == "urbanization_rate":
            assert re.search(rf"\|\s*{t.year}\s*\|\s*{t.value * 100:.1f}%", text), t.name
        elif t.column == "floating_population":
            assert f"{t.value / 1e6:.0f} million ({t.year} census)" in text, t.name
        elif t.column == "urban_rural_income_ratio" and t.year != 2020:  # 2020: issue 8 (NBS 43,834 / 17,131)
            assert f"{t.value:.2f} ({t.year}" in text, t.name
    for ref in T.ZIPF_REFERENCE:
        assert f"{ref.zeta:.2f} for" in text and f"n ≈ {ref.n}" in text


def test_targets_are_never_read_by_the_model():
    model_files = [p for p in (Path(sim.__file__).parent).glob("*.py")]
    for p in model_files:
        assert "calibration" not in p.read_text(encoding="utf-8").replace("sim.calibration.cli", ""), p


def test_loss_is_zero_at_a_perfect_simulation_and_grows_with_deviation():
    ts = T.target_set()
    perfect = {t.name: t.value for t in ts.all}
    assert T.loss(perfect, ts.fitted) == 0.0
    last = 0.0
    for k in (0.25, 0.5, 1.0, 2.0, 4.0):
        off = dict(perfect, urbanization_2010=0.497 + k * 0.03)
        value = T.loss(off, ts.fitted)
        assert value == pytest.approx(k ** 2) and value > last
        last = value
    # a relative band: 15% off the floating population is one band unit
    assert T.loss(dict(perfect, floating_population_2020=376e6 * 1.15), ts.fitted) == pytest.approx(1.0)
    # held-out targets do not count; weights multiply
    assert T.loss(dict(perfect, urbanization_2000=0.9), ts.fitted) == 0.0
    assert T.loss(dict(perfect, income_ratio_2009=3.33 + 0.6), ts.fitted, {"income_ratio_2009": 3.0}) == pytest.approx(12.0)
    assert math.isinf(T.loss({k: v for k, v in perfect.items() if k != "population_2020"}, ts.fitted))


def test_pass_is_inside_the_band():
    t = T.BY_NAME["urbanization_2020"]
    assert t.passes(0.639 + 0.0299) and t.passes(0.639 - 0.03) and not t.passes(0.639 + 0.031)
    assert not t.passes(math.nan)


def test_holdout_splits_and_rejects_bad_names():
    ts = T.target_set(["floating_population_2010"])
    assert [t.name for t in ts.held_out] == ["floating_population_2010"]
    assert all(t.name != "floating_population_2010" for t in ts.fitted)
    assert all(t.role == "check" for t in ts.checks)
    with pytest.raises(InputError, match="unknown target 'nope'"):
        T.target_set(["nope"])
    with pytest.raises(InputError, match="check target"):
        T.target_set(["urbanization_2011"])
    with pytest.raises(InputError, match="at least one"):
        T.target_set([t.name for t in T.TARGETS if t.role == "fit"])
