import os
import signal
import sqlite3
import subprocess
import time

import psutil
import pytest

from sim.runner import Results, run_sweep

from .conftest import PYTHON, ROOT, hukou_sim, small_experiment, store_digest, write_experiment


def test_resume_skips_stored_runs_and_extends_replications(tmp_path):
    path = tmp_path / "s.sqlite"
    first = run_sweep(small_experiment(tmp_path, reps=2), path, backend="serial", progress=False)
    assert (first.succeeded, first.failed, first.skipped) == (4, 0, 0)
    again = run_sweep(small_experiment(tmp_path, reps=2), path, backend="serial", progress=False)
    assert (again.succeeded, again.skipped) == (0, 4)
    # more replications extend the same store; the first two are not run again
    more = run_sweep(small_experiment(tmp_path, reps=3), path, backend="serial", progress=False)
    assert (more.succeeded, more.skipped) == (2, 4)
    ref = tmp_path / "ref.sqlite"
    run_sweep(small_experiment(tmp_path, reps=3, name="ref.toml"), ref, backend="serial", progress=False)
    assert store_digest(path) == store_digest(ref)


def test_a_run_that_raises_is_stored_failed_and_the_rest_complete(tmp_path):
    # valid for the schema (any string), but the model finds no such city when it builds the network
    exp = write_experiment(tmp_path, """
        name = "fails"
        scenarios = ["teaching"]
        replications = 2
        steps = 2
        [overrides]
        "simulation.n_agents" = 300
        "policy.new_city.enabled" = true
        [design]
        kind = "grid"
        [design.parameters]
        "policy.new_city.beside" = ["", "Atlantis"]
    """)
    store = tmp_path / "f.sqlite"
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--backend", "process", "--workers", "2")
    assert r.returncode == 1, r.stderr
    assert "2 succeeded, 2 failed, 0 skipped" in r.stdout
    with Results(store) as res:
        runs = res.runs()
    failed = runs[runs["status"] == "failed"]
    assert len(failed) == 2 and set(failed["policy.new_city.beside"]) == {"Atlantis"}
    assert all("Atlantis" in e and "InputError" in e for e in failed["error"])
    assert set(runs[runs["status"] == "ok"]["policy.new_city.beside"]) == {""}


def _stored(path):
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _wait_for(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _default_sigint():
    # A test run started in the background (as CI may be) inherits SIGINT ignored, and Python keeps
    # an ignored SIGINT ignored: give the sweep the disposition a terminal user's process has.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sweep_proc(exp, store, *extra):
    return subprocess.Popen([PYTHON, "-m", "sim", "sweep", str(exp), "--store", str(store), *extra], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)


# 40 runs of about a second each on an idle machine: long enough to interrupt in the middle
LONG_RUNS = 40


def _long_experiment(tmp_path, name="long.toml"):
    return small_experiment(tmp_path, reps=LONG_RUNS // 2, steps=40, agents=15000, name=name)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    ref = tmp / "ref.sqlite"
    s = run_sweep(_long_experiment(tmp, "ref.toml"), ref, backend="process", workers=2, progress=False)
    assert s.succeeded == LONG_RUNS
    return ref


@pytest.mark.slow
def test_driver_killed_mid_sweep_then_resumed(tmp_path, reference):
    exp, store = _long_experiment(tmp_path), tmp_path / "k.sqlite"
    proc = _sweep_proc(exp, store, "--backend", "process", "--workers", "2")
    try:
        assert _wait_for(lambda: _stored(store) >= 3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    at_kill = _stored(store)
    assert 3 <= at_kill < LONG_RUNS, "the sweep finished before it could be interrupted"
    # the workers notice their driver has gone and exit instead of lingering
    assert _wait_for(lambda: not [p for p in psutil.process_iter(["cmdline"])
                                  if p.info["cmdline"] and str(proc.pid) in " ".join(p.info["cmdline"])
                                  and "spawn_main" in " ".join(p.info["cmdline"])], timeout=30)
    conn = sqlite3.connect(store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--backend", "process", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert f"skipped" in r.stdout and f"{at_kill} skipped" in r.stdout
    assert store_digest(store) == store_digest(reference)


def _workers_of(pid):
    try:
        return [c for c in psutil.Process(pid).children(recursive=True)
                if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
    except psutil.Error:
        return []


@pytest.mark.slow
def test_worker_killed_mid_run_is_retried(tmp_path, reference):
    exp, store = _long_experiment(tmp_path), tmp_path / "w.sqlite"
    proc = _sweep_proc(exp, store, "--backend", "process", "--workers", "2")
    try:
        assert _wait_for(lambda: _stored(store) >= 2 and _workers_of(proc.pid))
        victim = _workers_of(proc.pid)[0]
        victim.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"{LONG_RUNS} succeeded, 0 failed" in out
    conn = sqlite3.connect(store)
    assert conn.execute("SELECT MAX(attempts) FROM runs").fetchone()[0] == 2  # the runs in flight were retried
    conn.close()
    assert store_digest(store) == store_digest(reference)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, reference):
    exp, store = _long_experiment(tmp_path), tmp_path / "c.sqlite"
    proc = _sweep_proc(exp, store, "--backend", "process", "--workers", "2")
    try:
        assert _wait_for(lambda: _stored(store) >= 2)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in out and "Traceback" not in err
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--backend", "serial")
    assert r.returncode == 0
    assert store_digest(store) == store_digest(reference)


def test_fresh_asks_and_without_a_terminal_keeps_the_store(tmp_path):
    exp, store = small_experiment(tmp_path, reps=1, steps=2), tmp_path / "x.sqlite"
    assert run_sweep(exp, store, backend="serial", progress=False).succeeded == 2
    before = store.read_bytes()
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--fresh", "--backend", "serial")
    assert r.returncode == 2 and "--yes" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert store.read_bytes() == before
    r = hukou_sim("sweep", str(exp), "--store", str(store), "--fresh", "--yes", "--backend", "serial")
    assert r.returncode == 0 and "2 succeeded, 0 failed, 0 skipped" in r.stdout
