"""design = "posterior": each design point a posterior draw; the report's uncertainty split, sign
shares and scenario discovery; bad posterior files and draw counts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.posterior import FORMAT, load
from sim.runner import load_experiment, run_sweep, write_report
from sim.runner import robustness as R
from sim.stats import decompose

KEYS = ("migration.home_attachment", "migration.choice_noise")
CAP = ('{scenario = "teaching", label = "cap", '
       'overrides = {"policy.cap.enabled" = true, "policy.cap.top_n" = 2}}')


def posterior_file(path: Path, keys=KEYS, draws=None) -> Path:
    draws = draws or [{"weight": w, "distance": 0.5, "values": {KEYS[0]: h, KEYS[1]: s}}
                      for w, h, s in [(0.1, 0.1, 0.2), (0.3, 0.5, 0.3), (0.2, 0.9, 0.25), (0.4, 1.3, 0.35)]]
    path.write_text(json.dumps({"format": FORMAT, "format_version": 1, "created": "2026-12-01T21:00:00",
                                "parameters": [{"key": k, "low": 0.0, "high": 1.5} for k in keys],
                                "draws": draws}))
    return path


def experiment_file(tmp: Path, draws: int = 12, post: str = "post.json", extra: str = "") -> Path:
    p = tmp / "exp.toml"
    p.write_text(f'''name = "robust_test"
scenarios = [{{scenario = "teaching", label = "neutral"}}, {CAP}]
baseline = "neutral"
replications = 3
steps = 36
base_seed = 7
outputs = ["urbanization_rate", "poverty_headcount", "top_city_share"]
{extra}
[overrides]
"simulation.n_agents" = 600

[design]
kind = "posterior"
file = "{post}"
draws = {draws}
''')
    return p


def test_posterior_design_points_are_weighted_draws(tmp_path):
    posterior_file(tmp_path / "post.json")
    exp = load_experiment(experiment_file(tmp_path, draws=20))
    pts = exp.design.points
    assert len(pts) == 20 and exp.n_runs == 2 * 20 * 3
    hs = [p[KEYS[0]] for p in pts]
    # systematic resampling: each stored draw appears about draws x weight times
    assert sorted(set(hs)) == [0.1, 0.5, 0.9, 1.3]
    assert [hs.count(v) for v in (0.1, 0.5, 0.9, 1.3)] == [2, 6, 4, 8]
    assert load_experiment(experiment_file(tmp_path, draws=20)).design.points == pts  # deterministic
    assert exp.definition()["design"]["parameters"][KEYS[0]] == [0.0, 1.5]


def test_report_splits_parameter_and_stochastic_uncertainty(tmp_path):
    posterior_file(tmp_path / "post.json")
    exp = experiment_file(tmp_path, draws=10)
    s = run_sweep(exp, tmp_path / "s.sqlite", backend="serial", progress=False)
    assert s.succeeded == 60 and s.failed == 0
    md = write_report(tmp_path / "s.sqlite", tmp_path / "rep").read_text()
    assert "## Robustness over the posterior" in md and "(mixed)" in md
    assert "Conclusions that hold in at least 95% of posterior draws:" in md
    rt = pd.read_csv(tmp_path / "rep" / "robustness.csv")
    assert set(rt["scenario"]) == {"cap"} and len(rt) == 3
    assert ((rt["sign_share"] >= 0) & (rt["sign_share"] <= 1)).all()
    assert (rt["robust"] == (rt["sign_share"] >= 0.95)).all()
    # every interval contains its mean difference
    for lo, hi in (("draw_low", "draw_high"), ("mixed_low", "mixed_high")):
        assert ((rt[lo] <= rt["difference"]) & (rt["difference"] <= rt[hi])).all()
    assert (tmp_path / "rep" / "robustness.png").is_file()


def test_decompose_recovers_known_variance_components():
    rng = np.random.default_rng(3)
    draws, reps = 400, 6
    effect = rng.normal(1.0, 2.0, draws)  # parameter sd 2
    x = effect[:, None] + rng.normal(0.0, 0.5, (draws, reps))  # stochastic sd 0.5
    d = decompose(np.repeat(np.arange(draws), reps), x.ravel())
    assert d.parameter_sd == pytest.approx(2.0, rel=0.1) and d.stochastic_sd == pytest.approx(0.5, rel=0.05)
    assert d.sign == 1 and d.sign_share == pytest.approx(np.mean(x.mean(axis=1) > 0))
    assert d.parameter_share == pytest.approx(4 / 4.25, abs=0.03)
    assert d.draw_low < d.mean < d.draw_high and d.draw_high - d.draw_low == pytest.approx(4 * 1.96, rel=0.1)
    one = decompose(np.arange(5), np.arange(5.0))  # one run per draw: no split
    assert math.isnan(one.stochastic_sd)


def test_prim_finds_the_region_where_a_difference_holds():
    rng = np.random.default_rng(1)
    n = 200
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 2, n)
    rows = []
    for i in range(n):
        effect = 1.0 if a[i] > 0.6 else -1.0  # the "cap raises poverty" only where a > 0.6
        for rep in range(2):
            rows.append({"scenario": "neutral", "point": i, "replication": rep, "a": a[i], "b": b[i], "y": 0.0})
            rows.append({"scenario": "cap", "point": i, "replication": rep, "a": a[i], "b": b[i],
                         "y": effect + rng.normal(0, 0.1)})
    final = pd.DataFrame(rows)
    box = R.discover(final, ["a", "b"], "cap", "neutral", "y", "increase", {"a": (0, 1), "b": (0, 2)})
    assert box is not None and box.n_holds == int((a > 0.6).sum())
    lims = {k: (lo, hi) for k, _, _, lo, hi in box.limits}
    assert "a" in lims and lims["a"][0] == pytest.approx(0.6, abs=0.05)
    assert box.density > 0.9 and box.coverage > 0.8


@pytest.mark.parametrize("change, field", [
    ({"draws": 0}, "design.draws"),
    ({"draws": -3}, "design.draws"),
    ({"post": "missing.json"}, "design.file"),
    ({"keys": ("migration.home_attachment", "no.such_parameter")}, "design.file"),
    ({"keys": ("migration.home_attachment", "simulation.n_agents")}, "design.file"),
    ({"draw_values": {KEYS[0]: 0.5}}, "design.file"),
    ({"draw_values": {KEYS[0]: 0.5, KEYS[1]: -4.0}}, "choice_noise"),
    ({"override": True}, "design.file"),
])
def test_bad_posterior_input_exits_2_and_leaves_the_store_untouched(tmp_path, capsys, change, field):
    keys = change.get("keys", KEYS)
    draws = None
    if "draw_values" in change:
        draws = [{"weight": 1.0, "values": change["draw_values"]}]
    elif "keys" in change:
        draws = [{"weight": 1.0, "values": {k: 0.5 for k in keys}}]
    posterior_file(tmp_path / "post.json", keys, draws)
    extra = ""
    exp = experiment_file(tmp_path, draws=change.get("draws", 4), post=change.get("post", "post.json"), extra=extra)
    if change.get("override"):
        exp.write_text(exp.read_text().replace('"policy.cap.top_n" = 2', f'"policy.cap.top_n" = 2, "{KEYS[0]}" = 0.3'))
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"")
    code = main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and field in err, err
    assert store.read_bytes() == b""


def test_discovery_needs_a_posterior_design(tmp_path, capsys):
    p = tmp_path / "e.toml"
    p.write_text('name = "x"\nscenarios = ["teaching"]\n'
                 'discovery = [{scenario = "teaching", output = "poverty_headcount", direction = "increase"}]\n')
    assert main(["sweep", str(p), "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "discovery" in capsys.readouterr().err


def test_posterior_loader_rejects_non_posteriors(tmp_path):
    from sim.errors import InputError
    (tmp_path / "x.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a hukou-sim posterior"):
        load(tmp_path / "x.json", "exp.toml")
