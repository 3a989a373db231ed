import socket
import subprocess
import time

import pytest

from sim.errors import InputError
from sim.runner import run_sweep
from sim.runner.backends import make_backend

from .conftest import PYTHON, hukou_sim, small_experiment, store_digest


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--dashboard-address", ":0", "--no-show"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([PYTHON, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                           "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # wait until both workers have joined the scheduler
        from distributed import Client
        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        store = tmp_path / "dask.sqlite"
        r = hukou_sim("sweep", str(small_experiment(tmp_path)), "--store", str(store), "--backend", "dask",
                      "--address", address)
        assert r.returncode == 0, r.stderr
        assert "6 succeeded, 0 failed" in r.stdout and "dask scheduler" in r.stdout
        assert store_digest(store) == store_digest(serial_store)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(tmp_path, serial_store):
    store = tmp_path / "dask-local.sqlite"
    s = run_sweep(small_experiment(tmp_path), store, backend="dask", workers=2, progress=False)
    assert (s.succeeded, s.failed) == (6, 0)
    assert store_digest(store) == store_digest(serial_store)


def test_dask_address_that_does_not_answer_is_input_error(tmp_path):
    start = time.monotonic()
    r = hukou_sim("sweep", str(small_experiment(tmp_path)), "--store", str(tmp_path / "d.sqlite"),
                  "--backend", "dask", "--address", f"tcp://127.0.0.1:{_free_port()}")
    assert r.returncode == 2 and "--address" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert time.monotonic() - start < 120


def test_backend_arguments_are_checked():
    with pytest.raises(InputError, match="backend"):
        make_backend("threads")
    with pytest.raises(InputError, match="workers"):
        make_backend("process", 0)
    with pytest.raises(InputError, match="address"):
        make_backend("process", 2, "tcp://127.0.0.1:1")
