"""Validation experiments as code returning data (sim.calibration.validation): small runs through the
runner, and the pure functions that turn runs into verdicts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration import targets as T
from sim.calibration import validation as V
from sim.runner.seeds import run_seed
from sim.stats import welch_interval

ROOT = Path(__file__).resolve().parents[2]
TEACHING_POSTERIOR = ROOT / "docs" / "robustness" / "teaching.posterior.json"


# ----------------------------------------------------------------------------- runs through the runner
def test_replicate_runs_through_the_runner_with_run_seed_and_resumes_from_its_store(tmp_path):
    specs = [{"scenario": "teaching", "label": "a", "overrides": {"simulation.n_agents": 300}},
             {"scenario": "teaching", "label": "b", "overrides": {"simulation.n_agents": 300,
                                                                 "migration.choice_noise": 0.9}}]
    ex = V.Execution(store_dir=tmp_path)
    reps = V.replicate("t", specs, 2, 11, ["urbanization_rate", "zipf_exponent"], steps=4, execution=ex)
    assert sorted(reps.final["seed"]) == sorted(run_seed(11, lab, 0, r) for lab in "ab" for r in range(2))
    assert reps.series("a", "urbanization_rate").shape == (2, 5)
    assert list(reps.years("a")) == [1982, 1983, 1984, 1985, 1986]
    assert len(reps.cities[reps.cities.scenario == "a"]) == 2 * 12
    # the two scenarios differ, the replications of one differ (own seeds)
    a, b = reps.values("a", "urbanization_rate"), reps.values("b", "urbanization_rate")
    assert a[0] != a[1] and not np.allclose(a, b)
    # a second call finds every run in the store and returns the same numbers without running any
    store = tmp_path / "validation-t.sqlite"
    before = store.stat().st_mtime_ns
    again = V.replicate("t", specs, 2, 11, ["urbanization_rate", "zipf_exponent"], steps=4, execution=ex)
    pd.testing.assert_frame_equal(again.final, reps.final)
    from sim.runner import Results
    with Results(store) as res:
        assert len(res.runs()) == 4
    assert store.stat().st_mtime_ns >= before
    # a temporary store (the default) gives the same numbers: seeds depend only on label and replication
    tmp = V.replicate("t", specs, 2, 11, ["urbanization_rate", "zipf_exponent"], steps=4)
    pd.testing.assert_frame_equal(tmp.final, reps.final)


def test_intervals_come_from_sim_stats_and_give_signs():
    x, y = [1.0, 1.2, 0.9, 1.1], [0.5, 0.55, 0.45, 0.6]
    d = V.difference(x, y)
    assert (d["mean"], d["low"], d["high"]) == pytest.approx(welch_interval(x, y))
    assert d["sign"] == 1 and V.difference(y, x)["sign"] == -1
    rel = V.difference(x, y, relative=True, scale=100)  # percent of mean(y)
    assert rel["mean"] == pytest.approx((np.mean(x) - np.mean(y)) / np.mean(y) * 100)
    assert rel["low"] == pytest.approx(d["low"] / np.mean(y) * 100)
    assert V.difference([1, 2, 3], [1.5, 2.5, 1.0])["sign"] == 0  # overlapping: not significant
    m = V.mean_interval([1.0, 2.0, 3.0])
    assert m["mean"] == 2.0 and m["half"] == pytest.approx(4.303 * 1 / math.sqrt(3), rel=1e-3)
    one = V.mean_interval([2.0])
    assert math.isnan(one["half"]) and one["sign"] == 1  # one value: only the sign of the mean
    assert V.sign_of(-2, -1) == -1 and V.sign_of(-1, 1) == 0 and V.sign_of(math.nan, math.nan, -3) == -1


# ----------------------------------------------------------------------------- Harris-Todaro
def test_harris_todaro_run_settles_at_l_star_and_the_noisy_one_at_the_fixed_point():
    res = V.harris_todaro([(3000, 1000, 1.0, 0.0), (2000, 1500, 1.0, 0.4)], 5, steps=30)
    runs = res["runs"]
    zero, noisy = runs.iloc[0], runs.iloc[1]
    assert zero.star == pytest.approx(6e5) and zero.predicted == pytest.approx(6e5)
    assert abs(zero.error_star) < 0.02
    # noise 0.4 with L*/N = 0.27 raises the urban labour force well above L*, to the logit fixed point
    assert noisy.error_star > 0.2 and abs(noisy.error_predicted) < 0.02
    assert noisy.seed == run_seed(5, "ht_2000_1500_1_0.4", 0, 0)
    assert res["paths"].groupby("case").size().tolist() == [31, 31]
    assert res["paths"].query("case == 0").urban.iloc[0] == pytest.approx(2e5)  # 200,000 in the city at the start
    share = V.predicted_share(3000, 1000, 1.0, [0.0, 0.2, 10.0])
    assert share[0] == pytest.approx(0.6) and 0.5 < share[2] < share[1] < 0.6  # noise pulls towards N/2


# ----------------------------------------------------------------------------- city sizes
def _paths(z0: float, rate: float, years: int = 100, reps: int = 3, noise: float = 0.001) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(years + 1)
    return 1 + (z0 - 1) * np.exp(-rate * t) + rng.normal(0, noise, (reps, years + 1))


def test_zipf_trend_finds_the_direction_and_the_halving_time():
    half_life = 50.0
    tr = V.zipf_trend(_paths(1.5, math.log(2) / half_life))
    assert tr["verdict"].startswith("towards 1") and tr["half_life_years"] == pytest.approx(half_life, rel=0.05)
    assert tr["start"] == pytest.approx(1.5, abs=0.01) and tr["end"] == pytest.approx(1.125, abs=0.01)
    assert tr["middle"] == pytest.approx(1 + 0.5 * 2 ** (-40 / half_life), abs=0.01)  # after 40 years
    assert tr["trend_per_decade"] < 0
    assert V.zipf_trend(_paths(0.8, -0.002))["verdict"] == "away from 1"  # below 1 and falling
    assert V.zipf_trend(_paths(1.0, 0.0, noise=0.02))["verdict"] == "no significant move"


def test_zipf_runs_on_small_synthetic_networks():
    runs = V.zipf_runs(2, 3, 9, start_exponents=(0.8, 1.5), n_cities=12, synthetic_agents=400, china_agents=None)
    trends = V.zipf_trends(runs, (0.8, 1.5))
    assert list(trends) == ["synthetic_zeta0.8", "synthetic_zeta1.5"]
    a, b = runs.series("synthetic_zeta0.8", "zipf_exponent"), runs.series("synthetic_zeta1.5", "zipf_exponent")
    assert a.shape == (2, 4)
    # the network is the scenario's (not the run's): both replications start from the same sizes
    assert a[0, 0] == a[1, 0] and a[0, 0] < 1.0 < b[0, 0]
    assert trends["synthetic_zeta1.5"]["start"] == pytest.approx(b[:, 0].mean())


def _policy_final(**shift) -> pd.DataFrame:
    """Five replications of neutral, cap and hukou_reform whose outputs differ by known shifts."""
    rng = np.random.default_rng(3)
    rows = []
    for scen in ("neutral", "cap", "hukou_reform"):
        for r in range(5):
            row = {"scenario": scen, "replication": r}
            for c in [*V.published.POLICY_OUTPUTS, "top4"]:
                row[c] = 1.0 + shift.get(f"{scen}:{c}", 0.0) + rng.normal(0, 0.001)
            rows.append(row)
    return pd.DataFrame(rows)


def test_cap_effect_reports_significant_changes_only():
    final = _policy_final(**{"cap:top_city_share": -0.05, "cap:hhi": 0.0005})
    eff = V.cap_effect(final).set_index("measure")
    assert eff.loc["top_city_share", "difference"]["sign"] == -1
    assert eff.loc["top_city_share", "difference"]["mean"] == pytest.approx(-0.05, abs=0.003)
    assert eff.loc["hhi", "difference"]["sign"] == 0  # within the noise
    assert eff.loc["primacy", "neutral"]["n"] == 5


def test_published_comparison_verdicts_follow_the_signs():
    au = {"peak_size": 5e6, "min": 1e5, "max": 2e7, "spearman": 0.3, "year": 2020}
    # without caps: more urbanization, GDP, bigger top cities, GDP per person, income, less poverty;
    # reform: more urbanization and GDP but no change in concentration
    final = _policy_final(**{"cap:urbanization_rate": -0.1, "cap:gdp": -0.1, "cap:top4": -0.2,
                             "cap:gdp_per_capita": -0.05, "cap:mean_income": -0.05, "cap:poverty_headcount": 0.05,
                             "hukou_reform:urbanization_rate": 0.1, "hukou_reform:gdp": 0.05})
    cmp = V.published_comparison(final, au)
    verdicts = [c["verdict"] for c in cmp["claims"]]
    assert verdicts == ["agree", "agree", "agree", "agree", "partly", "agree"]
    assert cmp["elasticity_neutral_vs_cap"] == pytest.approx(0.1 / 0.9 / (0.1 / 0.9), rel=0.05)
    assert cmp["elasticity_reform_vs_neutral"] == pytest.approx(0.5, rel=0.05)
    urb = next(r for r in cmp["numbers"] if r["output"] == "urbanization_rate")
    assert urb["neutral - cap"]["mean"] == pytest.approx(10.0, abs=0.1)  # percentage points
    # caps that *raise* poverty flip Hsu & Ma's second measure; no peak inside the range flips Au & Henderson's
    final2 = _policy_final(**{"cap:mean_income": -0.05, "cap:poverty_headcount": -0.05})
    cmp2 = V.published_comparison(final2, {**au, "peak_size": math.inf})
    assert cmp2["claims"][5]["verdict"] == "partly" and cmp2["claims"][3]["verdict"] == "disagree"
    assert cmp2["claims"][0]["verdict"] == "not significant"


# ----------------------------------------------------------------------------- calibration
def _fake_runs(report: dict, shift: dict[str, float]) -> dict[str, V.Replications]:
    """Replications whose value at every target's year is the observed value (plus ``shift``)."""
    ts = T.target_set(report["held_out"])
    rows = []
    for label in ("calibrated", "default", "own_agents"):
        for r in range(3 if label == "calibrated" else 1):
            for year in sorted({t.year for t in ts.all}):
                row = {"scenario": label, "replication": r, "year": year, "step": year - 1982}
                for t in ts.all:
                    if t.year == year:
                        row[t.column] = t.value + shift.get(t.name, 0.0) + 1e-4 * r
                rows.append(row)
    frame = pd.DataFrame(rows)
    return {lab: V.Replications(lab, pd.DataFrame(), frame[frame.scenario == lab], pd.DataFrame(), 0, 0.0)
            for lab in ("calibrated", "default", "own_agents")}


def test_target_check_passes_targets_inside_their_band_and_fails_the_rest():
    report = V.read_report(ROOT / "scenarios" / "china_calibrated.calibration.json")
    miss = T.BY_NAME["urbanization_2010"]
    chk = V.target_check(report, _fake_runs(report, {miss.name: 2 * miss.band}))
    row = chk.set_index("target").loc[miss.name]
    assert not row.passes and row.z == pytest.approx(2.0, abs=0.01) and row.role in ("fitted", "held out")
    assert chk.drop(index=chk.index[chk.target == miss.name]).passes.all()
    counts = V.passed(chk)
    assert sum(n for _, n in counts.values()) == len(chk) and sum(p for p, _ in counts.values()) == len(chk) - 1
    assert set(chk.role) <= {"fitted", "held out", "check"}
    assert (chk.loc[chk.target.isin(report["held_out"]), "role"] == "held out").all()


def test_edges_flag_parameters_near_the_ends_of_their_box():
    report = {"free_parameters": [{"key": "a", "low": 0.0, "high": 1.0, "fitted": 0.05},
                                  {"key": "migration.movement_control", "low": 0.3, "high": 1.0, "fitted": 0.99},
                                  {"key": "c", "low": 0.0, "high": 10.0, "fitted": 5.0}]}
    e = V.edges(report)
    assert [p["key"] for p in e] == ["a", "migration.movement_control"]
    assert e[0]["position"] == pytest.approx(0.05) and e[0]["reason"] == "" and "reforms" in e[1]["reason"]


# ----------------------------------------------------------------------------- real network
def test_real_network_sizes_and_zipf_statistics():
    r = V.real_network()
    assert r["n_cities"] == 250 and len(r["sizes"]["network"]) == 250
    assert sorted(m[0] for m in r["mismatches"]) == ["Chongqing", "Wuzhong"]  # the census-cited overrides
    assert r["scale_spread"] < 1e-9 * r["scale"]
    assert [z["min_size"] for z in r["zeta"]] == [ref.min_size for ref in T.ZIPF_REFERENCE]
    for z in r["zeta"]:  # targets.md's values are those of the raw GeoNames list
        assert z["raw"]["zeta"] == pytest.approx(z["reference"], abs=0.01)
    assert len(r["sizes"]["raw"]) > len(r["sizes"]["dedup"]) > 250


# ----------------------------------------------------------------------------- posterior
def test_posterior_check_counts_targets_inside_the_90_percent_interval(tmp_path):
    assert V.posterior_check(tmp_path / "none.json") is None
    data = {"predictive": {
        "a": {"role": "held out", "inside90": True}, "b": {"role": "held out", "inside90": False},
        "c": {"role": "check", "inside90": True}, "d": {"role": "fitted", "inside90": True}}}
    (tmp_path / "p.json").write_text(json.dumps(data))
    chk = V.posterior_check(tmp_path / "p.json")
    assert chk["held_out_inside90"] == 0.5 and chk["checks_inside90"] == 1.0 and chk["fitted_inside90"] == 1.0
    assert chk["held_out"] == ["a", "b"]
    real = V.posterior_check(TEACHING_POSTERIOR)
    assert real is not None and not math.isnan(real["held_out_inside90"])


def test_posterior_summary_weights_the_draws():
    data = {"parameters": [{"key": "x", "low": 0.0, "high": 10.0}],
            "draws": [{"weight": 3.0, "distance": 0.1, "values": {"x": 1.0}},
                      {"weight": 1.0, "distance": 0.2, "values": {"x": 5.0}}]}
    draws = V.posterior_draws(data)
    assert draws.weight.tolist() == [0.75, 0.25]
    s = V.posterior_summary(data).iloc[0]
    assert s["mean"] == pytest.approx(2.0) and s.q05 <= s.q50 <= s.q95 and 0 < s.box_share90 <= 1
    assert V.posterior_summary(data).attrs["ess"] == pytest.approx(16 / 10)
    # the teaching posterior: every draw inside its box, credible intervals inside the boxes
    real = json.loads(TEACHING_POSTERIOR.read_text())
    summ = V.posterior_summary(real)
    assert ((summ.low <= summ.q05) & (summ.q95 <= summ.high)).all()
    for p in real["parameters"]:
        assert V.posterior_draws(real)[p["key"]].between(p["low"], p["high"]).all()


def test_corner_plot_of_the_posterior_has_a_panel_for_every_pair(tmp_path):
    from matplotlib.image import imread

    from sim.calibration.posterior import fig_posterior
    real = json.loads(TEACHING_POSTERIOR.read_text())
    n = len(real["parameters"])
    img = imread(fig_posterior(real, tmp_path / "p.png"))
    small = {**real, "parameters": real["parameters"][:2]}
    img2 = imread(fig_posterior(small, tmp_path / "p2.png"))
    # an n x n grid: the figure grows with the number of parameters in both directions
    assert img.shape[0] > 2 * img2.shape[0] * 0.9 and img.shape[1] > 2 * img2.shape[1] * 0.9
    assert img.shape[0] == pytest.approx(100 * (2.3 * n + 0.4), abs=2)
