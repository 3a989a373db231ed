"""ABC-SMC end to end on the `teaching` network: a known parameter recovered from synthetic
observations, resume after SIGKILL without repeating stored simulations, and bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.calibration import abc as A
from sim.calibration import posterior as PO
from sim.calibration.fit import FreeParameter
from sim.calibration.target_file import load_targets
from sim.calibration.targets import target_set
from sim.cli import main

from conftest import dask_cluster

TRUE = 0.6  # migration.home_attachment of the synthetic "observed" world
AGENTS = 1000
FREE = ("migration.home_attachment=0:1.5",)


def synthetic_targets(path: Path) -> Path:
    """Observed figures simulated at the true parameter (mean of 4 seeds never used by the ABC)."""
    runs = [sim.run("teaching", steps=38, seed=1000 + s,
                    overrides={"simulation.n_agents": AGENTS, "migration.home_attachment": TRUE}).timeseries
            .set_index("year") for s in range(4)]
    lines = []
    for year in (2000, 2010, 2020):
        v = float(np.mean([r.at[year, "urbanization_rate"] for r in runs]))
        lines += ["[[target]]", f'name = "urbanization_{year}"', 'column = "urbanization_rate"', f"year = {year}",
                  f"value = {v!r}", "tolerance = 0.01", ""]
    v = float(np.mean([r.at[2020, "hukou_urbanization_rate"] for r in runs]))
    lines += ["[[target]]", 'name = "hukou_urbanization_2020"', 'column = "hukou_urbanization_rate"', "year = 2020",
              f"value = {v!r}", "tolerance = 0.02", 'role = "check"', ""]
    path.write_text("\n".join(lines))
    return path


def argv(tmp: Path, targets: Path, *extra: str) -> list[str]:
    return ["calibrate", "--method", "abc", "--scenario", "teaching", "--agents", str(AGENTS), "--targets",
            str(targets), "--free", FREE[0], "--particles", "30", "--generations", "3", "--seed", "11",
            "--backend", "serial", "--store", str(tmp / "abc.sqlite"), "--out", str(tmp / "post.json"), "--quiet",
            *extra]


def test_abc_recovers_a_known_parameter_within_its_credible_interval(tmp_path, capsys):
    targets = synthetic_targets(tmp_path / "targets.toml")
    assert main(argv(tmp_path, targets)) == 0
    post = json.loads((tmp_path / "post.json").read_text())
    assert post["format"] == PO.FORMAT and post["parameters"][0]["key"] == "migration.home_attachment"
    s = post["summary"]["migration.home_attachment"]
    assert s["q05"] <= TRUE <= s["q95"], s
    # and the posterior is narrower than the prior box (0 to 1.5): the data inform it
    assert s["q95"] - s["q05"] < 0.5 * 1.5, s
    eps = [g["epsilon"] for g in post["generations"]]
    assert eps[0] is None and all(a > b for a, b in zip(eps[1:], eps[2:]))  # tolerance falls
    assert abs(sum(d["weight"] for d in post["draws"]) - 1) < 1e-9 and len(post["draws"]) == 30
    assert post["predictive"]["hukou_urbanization_2020"]["role"] == "check"
    # every simulation is in the store, and a rerun repeats none of them and writes the same posterior
    with closing(sqlite3.connect(tmp_path / "abc.sqlite")) as conn:
        n = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    assert n == post["simulations"]
    first = (tmp_path / "post.json").read_text()
    capsys.readouterr()
    assert main(argv(tmp_path, targets)) == 0
    assert "0 simulations run" in capsys.readouterr().out
    again = json.loads((tmp_path / "post.json").read_text())
    assert again["draws"] == json.loads(first)["draws"]


@pytest.mark.slow
def test_posterior_is_the_same_whatever_the_backend(tmp_path):
    """Proposals and seeds depend on nothing but the seed: a process pool gives the serial numbers."""
    targets, weights = load_targets(synthetic_targets(tmp_path / "t.toml"))
    ts = target_set((), targets, weights)
    free = (FreeParameter("migration.home_attachment", 0.0, 1.5),)
    st = A.ABCSettings(particles=8, generations=2, seed=5)
    kw = dict(free=free, targets=ts, settings=st, overrides={"simulation.n_agents": 300})
    a = A.run_abc("teaching", store=tmp_path / "a.sqlite", backend="serial", **kw)
    b = A.run_abc("teaching", store=tmp_path / "b.sqlite", backend="process", workers=2, **kw)
    np.testing.assert_array_equal(a.posterior.theta, b.posterior.theta)
    np.testing.assert_array_equal(a.posterior.weights, b.posterior.weights)


@pytest.mark.slow
def test_resume_after_sigkill_repeats_no_stored_simulation(tmp_path):
    targets = synthetic_targets(tmp_path / "targets.toml")
    store = tmp_path / "abc.sqlite"
    cmd = [sys.executable, "-m", "sim", *argv(tmp_path, targets)]
    cmd[cmd.index("--generations") + 1] = "4"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if store.exists():
            try:
                with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
                    stored = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored >= 60:  # past the first generation, inside a later one
                break
    assert proc.poll() is None, "the calibration finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with closing(sqlite3.connect(store)) as conn:
        before = {r[0] for r in conn.execute("SELECT key FROM runs WHERE status = 'ok'")}
        finished_before = dict(conn.execute("SELECT key, finished FROM runs").fetchall())
    assert len(before) >= 60 and not (tmp_path / "post.json").exists()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    with closing(sqlite3.connect(store)) as conn:
        after = dict(conn.execute("SELECT key, finished FROM runs").fetchall())
    assert all(after[k] == finished_before[k] for k in before)  # stored runs were not run again
    post = json.loads((tmp_path / "post.json").read_text())
    assert post["simulations"] == len(after)
    # the resumed calibration is the uninterrupted one
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    cmd2 = [sys.executable, "-m", "sim", *argv(fresh, targets)]
    cmd2[cmd2.index("--generations") + 1] = "4"
    assert subprocess.run(cmd2, capture_output=True, env=env, timeout=300).returncode == 0
    assert json.loads((fresh / "post.json").read_text())["draws"] == post["draws"]


@pytest.mark.parametrize("extra, field", [
    (["--particles", "0"], "particles"),
    (["--particles", "-3"], "particles"),
    (["--alpha", "1.5"], "alpha"),
    (["--generations", "0"], "generations"),
    (["--max-simulations", "5"], "max_simulations"),
    (["--workers", "0"], "workers"),
    (["--address", "tcp://127.0.0.1:1"], "address"),
    (["--out", "x.toml"], "out"),
])
def test_bad_abc_arguments_exit_2_and_leave_the_store_untouched(tmp_path, capsys, extra, field):
    targets = synthetic_targets(tmp_path / "targets.toml")
    store = tmp_path / "abc.sqlite"
    store.write_bytes(b"")  # an existing (empty) store must stay exactly as it is
    code = main(argv(tmp_path, targets, *extra))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and field in err, err
    assert store.read_bytes() == b"" and not (tmp_path / "post.json").exists()


def test_a_target_with_a_zero_band_is_refused(tmp_path, capsys):
    bad = tmp_path / "targets.toml"
    bad.write_text('[[target]]\nname = "u"\ncolumn = "urbanization_rate"\nyear = 2010\nvalue = 0.5\ntolerance = 0\n')
    code = main(argv(tmp_path, bad))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "target[0].tolerance" in err and "band" in err, err
    assert not (tmp_path / "abc.sqlite").exists() and not (tmp_path / "post.json").exists()


def test_a_store_of_another_calibration_is_refused_untouched(tmp_path, capsys):
    targets = synthetic_targets(tmp_path / "targets.toml")
    assert main(argv(tmp_path, targets, "--particles", "4", "--generations", "1")) == 0
    store = tmp_path / "abc.sqlite"
    before = store.read_bytes()
    code = main(argv(tmp_path, targets, "--particles", "4", "--generations", "1", "--seed", "12"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "experiment" in err, err
    assert store.read_bytes() == before


@pytest.mark.slow
def test_abc_on_a_dask_scheduler_by_address_equals_serial(tmp_path):
    """`calibrate --method abc --backend dask --address` runs unchanged on a real scheduler and workers."""
    targets = synthetic_targets(tmp_path / "targets.toml")
    with dask_cluster(workers=2, timeout=30) as (address, _):
        small = ["--particles", "6", "--generations", "2", "--agents", "300"]
        dask_dir = tmp_path / "dask"
        dask_dir.mkdir()
        r = subprocess.run([sys.executable, "-m", "sim", *argv(dask_dir, targets, *small), "--backend", "dask",
                            "--address", address], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        assert main(argv(tmp_path, targets, *small)) == 0
        a = json.loads((dask_dir / "post.json").read_text())
        b = json.loads((tmp_path / "post.json").read_text())
        assert a["draws"] == b["draws"] and "dask scheduler" in a["backend"]
