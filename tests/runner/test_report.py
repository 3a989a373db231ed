import math
import statistics

import pandas as pd
import pytest
from scipy import stats

from sim.runner import Results, run_sweep, write_report
from sim.runner.report import t_interval, welch_interval

from .conftest import hukou_sim, small_experiment, write_experiment


def test_t_interval_by_hand():
    x = [1.0, 2.0, 4.0, 7.0]
    n, mean, sd, lo, hi = t_interval(x)
    # mean 3.5, sample sd sqrt(7), t(0.975, 3) = 3.182446305
    assert (n, mean) == (4, 3.5) and sd == pytest.approx(math.sqrt(7.0))
    assert lo == pytest.approx(3.5 - 3.182446305 * math.sqrt(7.0) / 2, rel=1e-8)
    assert hi == pytest.approx(3.5 + 3.182446305 * math.sqrt(7.0) / 2, rel=1e-8)
    assert math.isnan(t_interval([2.0])[3])
    d, lo, hi = welch_interval([1.0, 2.0, 3.0], [1.0, 1.0, 4.0, 6.0])
    vx, vy = 1.0 / 3, statistics.variance([1.0, 1.0, 4.0, 6.0]) / 4
    df = (vx + vy) ** 2 / (vx ** 2 / 2 + vy ** 2 / 3)
    half = stats.t.ppf(0.975, df) * math.sqrt(vx + vy)
    assert d == -1.0 and lo == pytest.approx(-1.0 - half) and hi == pytest.approx(-1.0 + half)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    store = tmp / "rep.sqlite"
    run_sweep(small_experiment(tmp, reps=4, steps=3), store, backend="serial", progress=False)
    r = hukou_sim("report", str(store), "--out", str(tmp / "out"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"report: {tmp / 'out' / 'report.md'}"
    return store, tmp / "out"


def test_report_figures_exist(report):
    _, out = report
    md = (out / "report.md").read_text()
    for fig in ("means_ci.png", "diff_from_baseline.png", "timeseries.png", "rank_size.png", "tradeoff.png"):
        assert (out / fig).stat().st_size > 10_000, fig
        assert f"]({fig})" in md
        assert (out / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Difference from the baseline `neutral`" in md


def test_report_intervals_match_a_hand_computation(report):
    store, out = report
    with Results(store) as res:
        final = res.final()
    summary = pd.read_csv(out / "summary.csv")
    diffs = pd.read_csv(out / "differences.csv")
    for sc in ("neutral", "cap"):
        x = final.loc[final["scenario"] == sc, "poverty_headcount"].tolist()
        assert len(x) == 4
        mean, sd = statistics.fmean(x), statistics.stdev(x)
        half = stats.t.ppf(0.975, 3) * sd / math.sqrt(4)
        row = summary[(summary["scenario"] == sc) & (summary["output"] == "poverty_headcount")].iloc[0]
        assert row["mean"] == pytest.approx(mean, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((mean - half, mean + half), rel=1e-10)
    x = final.loc[final["scenario"] == "cap", "urbanization_rate"].tolist()
    y = final.loc[final["scenario"] == "neutral", "urbanization_rate"].tolist()
    vx, vy = statistics.variance(x) / 4, statistics.variance(y) / 4
    df = (vx + vy) ** 2 / (vx ** 2 / 3 + vy ** 2 / 3)
    half = stats.t.ppf(0.975, df) * math.sqrt(vx + vy)
    d = statistics.fmean(x) - statistics.fmean(y)
    row = diffs[(diffs["scenario"] == "cap") & (diffs["output"] == "urbanization_rate")].iloc[0]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx((d, d - half, d + half), rel=1e-10)


@pytest.mark.slow
def test_sobol_experiment_report(tmp_path):
    exp = write_experiment(tmp_path, """
        name = "tiny_sobol"
        scenarios = ["teaching"]
        steps = 3
        outputs = ["urbanization_rate", "poverty_headcount", "top_city_share"]
        [overrides]
        "simulation.n_agents" = 300
        [design]
        kind = "sobol"
        samples = 4
        [design.parameters]
        "migration.choice_noise" = [0.05, 2.0]
        "economy.rural_income" = [500.0, 3000.0]
    """)
    store = tmp_path / "s.sqlite"
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--backend", "serial", "--report")
    assert r.returncode == 0, r.stderr
    assert "16 succeeded" in r.stdout
    out = tmp_path / "s-report"
    assert f"report: {out / 'report.md'}" in r.stdout
    assert (out / "sobol_teaching.png").stat().st_size > 10_000
    si = pd.read_csv(out / "sobol_teaching_poverty_headcount.csv")
    assert list(si["parameter"]) == ["migration.choice_noise", "economy.rural_income"]
    assert si[["S1", "ST", "S1_conf", "ST_conf"]].notna().all().all()
    assert "## Sobol sensitivity indices" in (out / "report.md").read_text()


def test_report_of_missing_store_is_input_error(tmp_path):
    r = hukou_sim("report", str(tmp_path / "none.sqlite"))
    assert r.returncode == 2 and "none.sqlite" in r.stderr and len(r.stderr.strip().splitlines()) == 1
