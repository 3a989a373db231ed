"""``hukou-sim calibrate`` end to end on a tiny budget, and its bad-input errors."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest

import sim
from sim.calibration import fit as F
from sim.cli import main


@pytest.mark.slow
def test_calibrate_writes_a_loadable_scenario_and_a_report(tmp_path, capsys):
    out = tmp_path / "teach_cal.toml"
    code = main(["calibrate", "--scenario", "teaching", "--agents", "3000", "--replications", "2", "--budget", "4",
                 "--holdout", "urbanization_2000", "--seed", "5", "--out", str(out), "--quiet",
                 "--store", str(tmp_path / "nm.sqlite")])
    assert code == 0
    sc = sim.load_scenario(str(out))
    report = json.loads((tmp_path / "teach_cal.calibration.json").read_text())
    assert report["held_out"] == ["urbanization_2000"]
    assert report["settings"]["evaluations"] == 4 and len(report["history"]) == 4
    assert report["version"] == sim.__version__ and report["date"]
    fitted = {p["key"]: p["fitted"] for p in report["free_parameters"]}
    assert set(fitted) == {f.key for f in F.FREE_PARAMETERS}
    for key, value in fitted.items():
        name = sim.params.BY_KEY[key].name
        assert sc.values[name] == value  # the file holds exactly the reported values
        f = {f.key: f for f in F.FREE_PARAMETERS}[key]
        assert f.low <= value <= f.high
    # the scenario extends teaching: everything not fitted is teaching's
    teaching = sim.load_scenario("teaching")
    assert sc.values["network_n_cities"] == teaching.values["network_n_cities"]
    # the reported loss is the best of the history, and the header says how it was made
    assert report["loss"] <= min(h["loss"] for h in report["history"]) * 1.5 + 1e-9
    text = out.read_text()
    assert text.startswith("# Calibrated by `hukou-sim calibrate` on ") and sim.__version__ in text.splitlines()[0]
    assert "Nelder-Mead" in text and "Held out: urbanization_2000" in text
    tomllib.loads(text)  # plain TOML
    rows = {r["target"]: r for r in report["targets"]}
    assert rows["urbanization_2000"]["role"] == "held out" and rows["urbanization_2010"]["role"] == "fitted"
    assert len(report["replication_values"]["urbanization_2010"]) == 2
    assert "wrote" in capsys.readouterr().out
    # every candidate's runs are in the runner's store (one per replication and distinct candidate)
    assert report["settings"]["store"] == str(tmp_path / "nm.sqlite") and report["settings"]["simulated"] >= 2


@pytest.mark.slow
def test_common_random_numbers_make_the_loss_a_function_of_the_parameters():
    """Same seeds for every candidate: evaluating the same point twice gives the same loss."""
    kw = dict(free=F.FREE_PARAMETERS[:2], replications=1, budget=2, seed=3, overrides={"simulation.n_agents": 2000})
    a = F.calibrate("teaching", **kw)
    b = F.calibrate("teaching", **kw)
    assert [e.loss for e in a.history] == [e.loss for e in b.history]
    assert a.history[0].stage == "start"
    assert a.history[0].values == pytest.approx({"migration.movement_control": 0.9, "migration.home_attachment": 0.3})
    assert np.isfinite(a.best.loss)


def test_a_warm_start_begins_nelder_mead_at_the_start_scenarios_values():
    start = sim.load_scenario("teaching", {"migration.movement_control": 0.5, "migration.home_attachment": 0.7})
    r = F.calibrate("teaching", free=F.FREE_PARAMETERS[:2], replications=1, budget=3, seed=3,
                    overrides={"simulation.n_agents": 500}, start=start)
    assert r.history[0].stage == "start" and {e.stage for e in r.history[1:]} == {"nelder-mead"}  # no hypercube
    assert r.history[0].values == pytest.approx({"migration.movement_control": 0.5, "migration.home_attachment": 0.7})
    assert r.settings["start"]["scenario"] == "teaching"
    from sim.calibration.cli import method_of
    assert "warm start" in method_of(r) and "hypercube (half" not in method_of(r)  # the header says how it ran


def test_a_rerun_reads_every_run_back_from_the_store(tmp_path):
    """Nelder-Mead runs go through the runner's store: the same calibration again simulates nothing."""
    kw = dict(free=F.FREE_PARAMETERS[:1], replications=2, budget=3, seed=3, overrides={"simulation.n_agents": 500},
              store=tmp_path / "nm.sqlite")
    a = F.calibrate("teaching", **kw)
    b = F.calibrate("teaching", **kw)
    assert a.settings["simulated"] > 0 and b.settings["simulated"] == 0
    assert [e.loss for e in a.history] == [e.loss for e in b.history] and a.best.loss == b.best.loss


@pytest.mark.parametrize("argv, field", [
    (["--replications", "0"], "replications"),
    (["--budget", "0"], "budget"),
    (["--agents", "3"], "agents"),
    (["--holdout", "nope"], "target"),
    (["--holdout", "urbanization_2011"], "target"),
    (["--scenario", "no_such_scenario"], "scenario"),
    (["--start", "no_such_scenario"], "scenario"),
    (["--free", "migration.home_attachment=0:99"], "migration.home_attachment"),
    (["--free", "no.such_key"], "no.such_key"),
    (["--free", "simulation.n_agents"], "simulation.n_agents"),
    (["--out", "x.txt"], "out"),
    (["--budget", "many"], "arguments"),
    (["--scenario", "harris_todaro"], "simulation.start_year"),
])
def test_bad_arguments_exit_2_with_one_line(argv, field, capsys, tmp_path):
    argv = argv + ["--store", str(tmp_path / "s.sqlite")]
    if "--out" not in argv:
        argv = argv + ["--out", str(tmp_path / "c.toml")]
    code = main(["calibrate", "--agents", "200", "--budget", "1", "--replications", "1", *argv] if argv[0] != "--agents"
                else ["calibrate", "--budget", "1", "--replications", "1", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hukou-sim: error:") and field in err, err
    assert not (tmp_path / "c.toml").exists() and not (tmp_path / "s.sqlite").exists()
