"""The hukou-sim command line, end to end, in a subprocess as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import sim


def hukou(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_run_writes_timeseries_and_summary(tmp_path):
    out = tmp_path / "out"
    r = hukou("run", "teaching", "--steps", "5", "--seed", "3", "--set", "simulation.n_agents=800",
              "--set", "policy.cap.enabled=true", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts["step"]) == [0, 1, 2, 3, 4, 5]
    assert list(ts.columns) == list(sim.COLUMNS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["version"] == sim.__version__
    assert summary["resolved_scenario"]["policy"]["cap"]["enabled"] is True
    assert summary["resolved_scenario"]["simulation"]["n_agents"] == 800
    assert summary["final"]["year"] == 1987
    assert summary["final"]["poverty_headcount"] == pytest.approx(ts["poverty_headcount"].iloc[-1])
    assert "poverty_headcount" in r.stdout  # final outputs printed
    # same command, same numbers
    again = tmp_path / "again"
    hukou("run", "teaching", "--steps", "5", "--seed", "3", "--set", "simulation.n_agents=800",
          "--set", "policy.cap.enabled=true", "--out", str(again))
    assert (again / "timeseries.csv").read_text() == (out / "timeseries.csv").read_text()


def test_scenarios_lists_every_bundled_one():
    r = hukou("scenarios")
    assert r.returncode == 0
    for name in sim.bundled_scenarios():
        assert name in r.stdout


def test_check_accepts_good_and_lists_parameters(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('extends = "teaching"\n[migration]\nchoice_noise = 0.2\n')
    r = hukou("check", str(good))
    assert r.returncode == 0 and "ok" in r.stdout
    r = hukou("check", "--list")
    assert r.returncode == 0 and "economy.agglomeration_elasticity" in r.stdout


def _bad(tmp_path):
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[migration]\nrevision_rate = 2\n")
    graph = tmp_path / "cities.csv"
    graph.write_text("name,population,x,y\nA,100,0,0\nB,-5,1,1\n")
    uses_graph = tmp_path / "uses_graph.toml"
    uses_graph.write_text('extends = "teaching"\n[network]\nkind = "file"\npath = "cities.csv"\n')
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("keep me")
    return {
        "unknown scenario": (["run", "atlantis"], "atlantis"),
        "bad file": (["run", str(bad_toml)], "migration.revision_rate"),
        "bad override": (["run", "teaching", "--set", "economy.base_wage=-1"], "economy.base_wage"),
        "unknown override": (["run", "teaching", "--set", "wage=1"], "wage"),
        "override syntax": (["run", "teaching", "--set", "wage"], "KEY=VALUE"),
        "bad steps": (["run", "teaching", "--steps", "0"], "steps"),
        "steps not int": (["run", "teaching", "--steps", "ten"], "ten"),
        "bad graph": (["run", str(uses_graph)], "population"),
        "check bad graph": (["check", str(uses_graph)], "population"),
        "out is a file": (["run", "teaching", "--steps", "1", "--out", str(not_a_dir)], "out"),
        "unknown command": (["fly"], "fly"),
        "check bad file": (["check", str(bad_toml)], "revision_rate"),
    }


@pytest.mark.parametrize("case", ["unknown scenario", "bad file", "bad override", "unknown override",
                                  "override syntax", "bad steps", "steps not int", "bad graph", "check bad graph",
                                  "out is a file", "unknown command", "check bad file"])
def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path, case):
    args, needle = _bad(tmp_path)[case]
    r = hukou(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr and needle in lines[0]
    assert (tmp_path / "file.txt").read_text() == "keep me"


def test_bad_input_leaves_earlier_outputs_intact(tmp_path):
    out = tmp_path / "out"
    assert hukou("run", "teaching", "--steps", "2", "--set", "simulation.n_agents=300", "--out", str(out)).returncode == 0
    before = (out / "timeseries.csv").read_bytes(), (out / "summary.json").read_bytes()
    r = hukou("run", "teaching", "--steps", "2", "--set", "economy.base_wage=oops", "--out", str(out))
    assert r.returncode == 2
    assert ((out / "timeseries.csv").read_bytes(), (out / "summary.json").read_bytes()) == before
