"""Two sweeps on one store, in either order, with --fresh on either side, and exports during a
sweep: every run any of them reported stored is present exactly once, and equal to a serial sweep.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import assert_one_line, cli, digest, finish, stored, sweep_proc, wait_for

N_RUNS = 12


def _exactly_once(store) -> None:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone() == (N_RUNS, N_RUNS)
        n_out = conn.execute("SELECT COUNT(DISTINCT output) FROM final").fetchone()[0]
        per_run = conn.execute("SELECT MIN(c), MAX(c) FROM (SELECT COUNT(*) c FROM final GROUP BY key)").fetchone()
        assert per_run == (n_out, n_out)
    finally:
        conn.close()


def _succeeded(out: str) -> int:
    return int(out.split(" succeeded")[0].rsplit(" ", 1)[-1])


@pytest.mark.slow
def test_two_sweeps_at_once_share_the_store(tmp_path, reference_store):
    exp, reference = reference_store
    store = tmp_path / "shared.sqlite"
    a = sweep_proc(exp, store, "--backend", "serial")
    b = sweep_proc(exp, store, "--backend", "serial")
    out_a, err_a = finish(a)
    out_b, err_b = finish(b)
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    assert "Traceback" not in err_a + err_b
    # between them they ran every run at least once; the store has each exactly once
    assert _succeeded(out_a) + _succeeded(out_b) >= N_RUNS
    _exactly_once(store)
    assert digest(store) == digest(reference)


@pytest.mark.slow
def test_fresh_while_another_sweep_writes_is_refused(tmp_path, reference_store):
    exp, reference = reference_store
    store = tmp_path / "busy.sqlite"
    a = sweep_proc(exp, store, "--backend", "serial")
    try:
        assert wait_for(lambda: stored(store) >= 1)
        # hold A mid-sweep (it keeps its lock), so a slow start of the second command cannot let A finish first
        os.kill(a.pid, signal.SIGSTOP)
        try:
            r = cli("sweep", str(exp), "--store", str(store), "--fresh", "--yes", "--backend", "serial", timeout=120)
        finally:
            os.kill(a.pid, signal.SIGCONT)
        assert_one_line(r.returncode, r.stderr, "in use by another process")
        out_a, err_a = finish(a)
    finally:
        finish(a)
    assert a.returncode == 0, err_a
    assert f"{N_RUNS} succeeded" in out_a  # the first sweep lost nothing
    _exactly_once(store)
    assert digest(store) == digest(reference)


@pytest.mark.slow
def test_fresh_sweep_then_another_joins(tmp_path, reference_store):
    exp, reference = reference_store
    store = tmp_path / "fresh.sqlite"
    # an old store of the same experiment with stale failed runs in it, to be emptied by --fresh
    shutil.copy(reference, store)
    conn = sqlite3.connect(store)
    conn.execute("UPDATE runs SET status = 'failed', error = 'stale' WHERE replication = 0")
    conn.commit()
    conn.close()
    a = sweep_proc(exp, store, "--backend", "serial", "--fresh", "--yes")

    def emptied_and_started() -> bool:  # the stale failures are gone: A holds the store and has begun
        try:
            conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
            try:
                return conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'failed'").fetchone()[0] == 0 \
                    and 1 <= stored(store) < N_RUNS
            finally:
                conn.close()
        except sqlite3.Error:
            return False

    try:
        assert wait_for(emptied_and_started, every=0.02)
        b = sweep_proc(exp, store, "--backend", "serial")
        out_b, err_b = finish(b)
        out_a, err_a = finish(a)
    finally:
        finish(a)
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    assert _succeeded(out_a) + _succeeded(out_b) >= N_RUNS
    _exactly_once(store)
    assert digest(store) == digest(reference)


def test_fresh_while_a_report_reads_is_refused(tmp_path, capsys):
    """Deterministic: a reader in another process holds the store; --fresh deletes nothing."""
    from .conftest import PYTHON, experiment, run_main
    exp = experiment(tmp_path, reps=1)
    store = tmp_path / "held.sqlite"
    assert run_main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"], capsys)[0] == 0
    before = digest(store)
    holder = subprocess.Popen([PYTHON, "-c", "import sys, time; from sim.runner import Results; "
                               f"r = Results({str(store)!r}); print('open', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        rc, _, err = run_main(["sweep", str(exp), "--store", str(store), "--fresh", "--yes", "--backend", "serial"],
                              capsys)
        assert_one_line(rc, err, "in use by another process")
        assert digest(store) == before
    finally:
        holder.communicate("", timeout=30)
    rc, out, _ = run_main(["sweep", str(exp), "--store", str(store), "--fresh", "--yes", "--backend", "serial",
                           "--quiet"], capsys)
    assert rc == 0 and "2 succeeded" in out  # once the reader is gone, --fresh starts over
    assert digest(store) == before


def _rows(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_export_during_a_sweep_reads_one_moment(tmp_path, reference_store):
    exp, reference = reference_store
    store = tmp_path / "exp.sqlite"
    a = sweep_proc(exp, store, "--backend", "serial")
    seen = []
    try:
        assert wait_for(lambda: stored(store) >= 1)
        while a.poll() is None and len(seen) < 4:
            out = tmp_path / f"export{len(seen)}"
            r = cli("export", str(store), "--out", str(out), timeout=120)
            assert r.returncode == 0, r.stderr
            runs = [row for row in _rows(out / "runs.csv") if row["status"] == "ok"]
            final, ts = _rows(out / "final.csv"), _rows(out / "timeseries.csv")
            ids = {(row["scenario"], row["point"], row["replication"]) for row in runs}
            # the four tables show the same moment: the same runs, each with all its steps
            assert {(row["scenario"], row["point"], row["replication"]) for row in final} == ids
            assert {(row["scenario"], row["point"], row["replication"]) for row in ts} == ids
            assert len(ts) == 9 * len(ids)  # steps 0..8 of each run
            seen.append(len(ids))
            time.sleep(0.2)
        finish(a)
    finally:
        finish(a)
    assert a.returncode == 0
    assert seen and seen == sorted(seen)
    assert digest(store) == digest(reference)
