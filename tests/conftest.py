"""Shared fixtures: small, fast versions of the bundled scenarios."""

from __future__ import annotations

import contextlib

import pytest

import sim

# Small enough for a fast test, large enough that every mechanism has agents to act on.
SMALL = {"simulation.n_agents": 3000, "network.n_cities": 40}


@pytest.fixture
def small_cap():
    # the top-4 rule: the master plans' caps (23M, 25M) would not bind in 1990
    return sim.load_scenario("cap", {**SMALL, "policy.cap.start_year": 1990, "policy.cap.plan": ""})


def small(name: str, **extra):
    overrides = dict(SMALL)
    overrides.update(extra)
    return sim.load_scenario(name, overrides)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(workers: int = 2, timeout: float = 60.0):
    """A real ``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes on 127.0.0.1.

    Yields ``(address, processes)``: the scheduler first, then one process per worker.  All are stopped on exit.
    """
    import subprocess
    import sys

    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", address.rsplit(":", 1)[1], "--dashboard-address", ":0", "--no-show"],
                              **quiet)]
    try:
        for _ in range(workers):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                           "1", "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard"], **quiet))
        with Client(address, timeout=f"{timeout:g}s") as c:  # wait until every worker has joined
            c.wait_for_workers(workers, timeout=2 * timeout)
        yield address, procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
