"""Faults: a full disk (an injected ENOSPC, and a real small tmpfs where the machine lets us mount
one), a read-only store, a Dask worker killed mid-run, Ctrl-C during a Dask sweep.  Each ends in
one line (or the sweep's one-line summary) and leaves every committed run and old output intact.

Killed process-pool workers and a SIGKILLed driver are covered in tests/runner/test_sweep.py.
"""

from __future__ import annotations

import errno
import os
import pathlib
import signal
import sqlite3
import subprocess
import uuid
from contextlib import contextmanager

import pytest

from conftest import dask_cluster

from .conftest import (assert_one_line, cli, digest, experiment, finish, listing, run_main, stored,
                       sweep_proc, wait_for)


def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_run_on_a_full_disk_keeps_the_old_pair(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert run_main(["run", "teaching", "--steps", "2", "--set", "simulation.n_agents=200", "--out", "out"],
                    capsys)[0] == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(old) == {"timeseries.csv", "summary.json"}
    before = listing(tmp_path)
    real = pathlib.Path.write_text

    def full_on_summary(self, *a, **k):  # the disk fills up between the two files
        if self.name == "summary.json":
            _enospc()
        return real(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "write_text", full_on_summary)
    rc, _, err = run_main(["run", "teaching", "--steps", "3", "--set", "simulation.n_agents=200", "--out", "out"],
                          capsys)
    assert_one_line(rc, err, "No space left")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # never a new table beside an old summary
    assert listing(tmp_path) == before  # and no temporary folder left behind


def test_export_on_a_full_disk_keeps_the_old_tables(tmp_path, capsys, monkeypatch):
    import pandas as pd
    exp, store, out = experiment(tmp_path, reps=1), tmp_path / "s.sqlite", tmp_path / "tables"
    assert run_main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"], capsys)[0] == 0
    assert run_main(["export", str(store), "--out", str(out)], capsys)[0] == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    real = pd.DataFrame.to_csv

    def full_on_cities(self, path=None, *a, **k):
        if path is not None and str(path).endswith("cities.csv"):
            _enospc()
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_on_cities)
    (tmp_path / "junk").mkdir()
    rc, _, err = run_main(["export", str(store), "--out", str(out)], capsys)
    assert_one_line(rc, err, "No space left")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tables")]


def test_sweep_stops_with_one_line_when_the_store_cannot_be_written(tmp_path, capsys, monkeypatch):
    from sim.runner import store as store_mod
    exp, store = experiment(tmp_path, reps=3), tmp_path / "s.sqlite"
    real = store_mod.Store.record
    calls = {"n": 0}

    def full_after_two(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 2:
            raise store_mod._sqlite_error(self.path, sqlite3.OperationalError("database or disk is full"), "written")
        return real(self, *a, **k)

    monkeypatch.setattr(store_mod.Store, "record", full_after_two)
    rc, out, err = run_main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"], capsys)
    assert_one_line(rc, err, "disk is full")
    assert "2 succeeded" in out and "stopped with 4 runs to go" in out
    assert stored(store) == 2  # the committed runs are kept
    monkeypatch.setattr(store_mod.Store, "record", real)
    rc, out, _ = run_main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"], capsys)
    assert rc == 0 and "4 succeeded" in out and "2 skipped" in out


# --------------------------------------------------------------------------- a real small file system
@contextmanager
def _tmpfs(where: pathlib.Path, size: str):
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if r.returncode:
        pytest.skip("cannot mount a tmpfs here (not root, or no mount namespace); the injected ENOSPC tests cover it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(where: pathlib.Path, leave: int) -> None:
    """Fill the file system at ``where`` up to ``leave`` bytes."""
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize
    with open(where / f"filler-{uuid.uuid4().hex}", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


@pytest.mark.slow
def test_full_tmpfs(tmp_path, capsys):
    exp = experiment(tmp_path, reps=1, steps=2)
    with _tmpfs(tmp_path / "disk", "2m") as disk:
        # a run whose outputs do not fit: one line, nothing left on the disk but the filler
        _fill(disk, 8192)
        rc, _, err = run_main(["run", "teaching", "--steps", "30", "--out", str(disk / "out")], capsys)
        assert_one_line(rc, err, "No space left")
        assert [p.name.startswith("filler") for p in disk.iterdir()] == [True]
        # a store that cannot even be created
        rc, _, err = run_main(["sweep", str(exp), "--store", str(disk / "s.sqlite"), "--backend", "serial"], capsys)
        assert_one_line(rc, err, "s.sqlite")
        assert not (disk / "s.sqlite").exists()


@pytest.mark.slow
def test_read_only_store(tmp_path, capsys):
    exp = experiment(tmp_path, reps=1, steps=2)
    with _tmpfs(tmp_path / "ro", "8m") as disk:
        store = disk / "s.sqlite"
        assert run_main(["sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet"], capsys)[0] == 0
        before = digest(store)
        more = experiment(tmp_path, reps=2, steps=2, file="more.toml")  # the same experiment, one more replication
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)]).returncode == 0
        for fresh in ([], ["--fresh", "--yes"]):
            rc, _, err = run_main(["sweep", str(more), "--store", str(store), "--backend", "serial", *fresh], capsys)
            assert_one_line(rc, err, "read-only")
        assert digest(store) == before
        # reading still works from a read-only store
        assert run_main(["export", str(store), "--out", str(tmp_path / "tables")], capsys)[0] == 0
        # a read-only folder as --out: one line, before any simulation
        for argv in (["run", "teaching", "--out", str(disk / "out")], ["export", str(store), "--out", str(disk)],
                     ["animate", "teaching", "--out", str(disk / "a.gif")], ["report", str(store)]):
            rc, _, err = run_main(argv, capsys)
            assert_one_line(rc, err, "Read-only file system")


# --------------------------------------------------------------------------- dask
@pytest.mark.slow
def test_dask_worker_killed_mid_run(tmp_path, reference_store):
    import psutil
    exp, reference = reference_store
    store = tmp_path / "dask.sqlite"
    sweep = None
    with dask_cluster(workers=2) as (address, procs):
        try:
            sweep = sweep_proc(exp, store, "--backend", "dask", "--address", address)
            assert wait_for(lambda: stored(store) >= 2)
            # the worker process under the first nanny: it dies mid-run, its runs go elsewhere
            victims = psutil.Process(procs[1].pid).children(recursive=True)
            assert victims
            for v in victims:
                v.kill()
            out, err = finish(sweep, timeout=400)
            assert sweep.returncode == 0, err
            assert "12 succeeded, 0 failed" in out
            assert digest(store) == digest(reference)
        finally:
            if sweep is not None:
                finish(sweep)


@pytest.mark.slow
def test_ctrl_c_during_a_dask_sweep_is_the_one_line_summary(tmp_path, reference_store):
    exp, reference = reference_store
    store = tmp_path / "c.sqlite"
    proc = sweep_proc(exp, store, "--backend", "dask", "--workers", "2")
    try:
        assert wait_for(lambda: stored(store) >= 1, timeout=300, every=0.05)
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the driver, nannies and workers
        out, err = finish(proc, timeout=120)
    finally:
        finish(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and not err.strip(), err  # --quiet: nothing but the summary
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "resume" in lines[0]
    r = cli("sweep", str(exp), "--store", str(store), "--backend", "serial", "--quiet", timeout=300)
    assert r.returncode == 0
    assert digest(store) == digest(reference)
