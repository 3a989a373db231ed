import shutil
import sqlite3

import pytest

from sim.errors import InputError
from sim.runner import run_sweep
from sim.runner.experiment import load_experiment
from sim.runner.store import Store, check_file

from .conftest import hukou_sim, small_experiment, store_digest, write_experiment


@pytest.fixture
def stored(tmp_path):
    exp = small_experiment(tmp_path, reps=2, steps=2)
    path = tmp_path / "store.sqlite"
    s = run_sweep(exp, path, backend="serial", progress=False)
    assert s.succeeded == 4
    return exp, path


def test_store_schema_and_one_row_per_run(stored):
    _, path = stored
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone() == (4, 4)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["experiment"] == "small" and meta["application"] == "hukou-sim results store"
    # every ok run has its final outputs, 3 kept steps (0, 1, 2) per output, and city sizes
    n_out = conn.execute("SELECT COUNT(DISTINCT output) FROM final").fetchone()[0]
    assert conn.execute("SELECT COUNT(*) FROM final").fetchone()[0] == 4 * n_out
    assert conn.execute("SELECT COUNT(*) FROM series").fetchone()[0] == 4 * n_out * 3
    assert conn.execute("SELECT MIN(c), MAX(c) FROM (SELECT COUNT(*) c FROM cities GROUP BY key)").fetchone() == (12, 12)
    conn.close()


def test_record_never_duplicates_and_replaces_failures(stored, tmp_path):
    exp_path, path = stored
    from sim import __version__
    from sim.runner.backends import execute, failed

    exp = load_experiment(exp_path)
    st = Store.open_for_experiment(path, exp.name, exp.fingerprint(__version__), exp.definition(), __version__)
    task = next(exp.tasks(__version__))
    before = store_digest(path)
    st.record(task, execute(task))  # a duplicate delivery of a stored run: ignored
    st.record(task, failed("late failure"))  # never overwrites a success
    assert store_digest(path) == before
    # a failed run is replaced by its later success, in one transaction
    st.conn.execute("DELETE FROM runs WHERE key = ?", (task.key,))
    st.conn.commit()
    st.record(task, failed("boom"))
    assert st.counts() == {"ok": 3, "failed": 1}
    st.record(task, execute(task), attempts=2)
    assert st.counts() == {"ok": 4}
    st.close()
    assert store_digest(path) == before


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # page 1 after the header: the schema
    path.write_bytes(bytes(data))


def _foreign(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO customers VALUES (1, 'x')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("kind", ["text", "foreign", "corrupt", "other_experiment", "changed_experiment"])
def test_bad_stores_exit_2_and_stay_intact(stored, tmp_path, kind):
    exp, good = stored
    bad = tmp_path / "bad.sqlite"
    use_exp = exp
    if kind == "text":
        bad.write_text("these are my notes, not a database\n")
    elif kind == "foreign":
        _foreign(bad)
    elif kind == "corrupt":
        shutil.copy(good, bad)
        _corrupt(bad)
    elif kind == "other_experiment":
        shutil.copy(good, bad)
        use_exp = write_experiment(tmp_path, 'name = "other"\nscenarios = ["teaching"]\nsteps = 2\n'
                                             '[overrides]\n"simulation.n_agents" = 300\n', "other.toml")
    else:  # same name, different design: refused rather than mixed
        shutil.copy(good, bad)
        use_exp = small_experiment(tmp_path, reps=2, steps=4, name="changed.toml")
    before = bad.read_bytes()
    for args in (["sweep", str(use_exp), "--store", str(bad), "--backend", "serial"],
                 ["sweep", str(use_exp), "--store", str(bad), "--fresh", "--yes", "--backend", "serial"]
                 if kind in ("text", "foreign", "corrupt") else None,
                 ["report", str(bad), "--out", str(tmp_path / "rep")] if kind in ("text", "foreign", "corrupt") else None):
        if args is None:
            continue
        r = hukou_sim(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in r.stderr, r.stderr
        assert bad.read_bytes() == before
    assert not (tmp_path / "rep").exists()


def test_check_file_accepts_missing_refuses_empty(tmp_path):
    assert check_file(tmp_path / "none.sqlite") is None
    (tmp_path / "empty.sqlite").write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        check_file(tmp_path / "empty.sqlite")
    with pytest.raises(InputError, match="directory"):
        check_file(tmp_path)
