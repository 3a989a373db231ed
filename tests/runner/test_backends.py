import time

import pytest

from sim.errors import InputError
from sim.runner import run_sweep
from sim.runner.backends import make_backend

from conftest import dask_cluster, free_port

from .conftest import hukou_sim, small_experiment, store_digest


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    store = tmp / "serial.sqlite"
    s = run_sweep(small_experiment(tmp), store, backend="serial", progress=False)
    assert (s.succeeded, s.failed) == (6, 0)
    return store


def test_process_pool_of_two_equals_serial(tmp_path, serial_store):
    store = tmp_path / "process.sqlite"
    s = run_sweep(small_experiment(tmp_path), store, backend="process", workers=2, progress=False)
    assert (s.succeeded, s.failed) == (6, 0)
    assert store_digest(store) == store_digest(serial_store)


@pytest.mark.slow
def test_dask_against_a_real_scheduler_and_workers_equals_serial(tmp_path, serial_store):
    with dask_cluster(workers=2, timeout=30) as (address, _):
        store = tmp_path / "dask.sqlite"
        r = hukou_sim("sweep", str(small_experiment(tmp_path)), "--store", str(store), "--backend", "dask",
                      "--address", address)
        assert r.returncode == 0, r.stderr
        assert "6 succeeded, 0 failed" in r.stdout and "dask scheduler" in r.stdout
        assert store_digest(store) == store_digest(serial_store)


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(tmp_path, serial_store):
    store = tmp_path / "dask-local.sqlite"
    s = run_sweep(small_experiment(tmp_path), store, backend="dask", workers=2, progress=False)
    assert (s.succeeded, s.failed) == (6, 0)
    assert store_digest(store) == store_digest(serial_store)


def test_dask_address_that_does_not_answer_is_input_error(tmp_path):
    start = time.monotonic()
    r = hukou_sim("sweep", str(small_experiment(tmp_path)), "--store", str(tmp_path / "d.sqlite"),
                  "--backend", "dask", "--address", f"tcp://127.0.0.1:{free_port()}")
    assert r.returncode == 2 and "--address" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert time.monotonic() - start < 120


def test_backend_arguments_are_checked():
    with pytest.raises(InputError, match="backend"):
        make_backend("threads")
    with pytest.raises(InputError, match="workers"):
        make_backend("process", 0)
    with pytest.raises(InputError, match="address"):
        make_backend("process", 2, "tcp://127.0.0.1:1")
