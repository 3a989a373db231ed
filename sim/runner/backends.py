"""Where runs execute: in the driver (serial), a local process pool, or a Dask cluster.

Every backend consumes an iterator of :class:`~sim.runner.experiment.Task` and yields
``(task, result, attempts)`` as runs finish, in any order.  ``result`` is the dict made by
:func:`execute`: a run whose model raises comes back as ``status = "failed"`` with its error,
so only the death of a worker process shows up as an exception, which the backends turn into
one retry and then a failed result.  Backends keep a bounded number of runs in flight, so the
driver's memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import signal
import socket
import struct
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import numpy as np

from ..errors import InputError

BACKENDS = ("serial", "process", "dask")

# One run per core, single-threaded numpy: BLAS thread pools in every worker would only fight
# over the cores (and make runs slower and timings noisy).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}

Outcome = tuple[Any, dict[str, Any], int]

# Seconds to connect to a Dask address and hear its handshake.  Dask's own connect timeout
# covers only the TCP connect: a port that accepts and says nothing would hang it forever, and
# one that answers something else (an HTTP server) makes it read a length of exabytes.
HANDSHAKE_TIMEOUT = 5.0
# A Dask handshake is a few hundred bytes; anything claiming more is not one.
_MAX_HANDSHAKE = 1 << 20


# ----------------------------------------------------------------------------- the work
def execute(task: Any) -> dict[str, Any]:
    """Run one task and return plain data for the store; never raises for a model error."""
    from .. import __version__
    from ..api import run
    from ..scenario import Scenario

    start = time.perf_counter()
    base = {"version": __version__, "host": socket.gethostname(), "pid": os.getpid()}
    try:
        sc = Scenario(task.scenario_name, "", dict(task.values), task.scenario_source)
        r = run(sc, steps=task.steps, seed=task.seed, keep_every=task.keep_every)
        ts = r.timeseries
        series = {"step": [int(v) for v in ts["step"]], "year": [int(v) for v in ts["year"]]}
        for name in task.outputs:
            series[name] = [float(v) for v in ts[name]]
        sizes = np.asarray(r.city_sizes, dtype=float)
        order = np.argsort(-sizes, kind="stable")
        return {**base, "status": "ok", "error": None, "seconds": time.perf_counter() - start,
                "final": {name: float(r.final[name]) for name in task.outputs},
                "series": series, "cities": [(str(r.city_names[i]), float(sizes[i])) for i in order]}
    except Exception as exc:  # a model error: record it, the sweep goes on
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
        return {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}{where}",
                "seconds": time.perf_counter() - start}


def failed(message: str) -> dict[str, Any]:
    from .. import __version__
    return {"status": "failed", "error": message, "seconds": None, "version": __version__,
            "host": socket.gethostname(), "pid": None}


# ----------------------------------------------------------------------------- serial
class SerialBackend:
    name = "serial"
    workers = 1

    def results(self, tasks: Iterable[Any]) -> Iterator[Outcome]:
        for task in tasks:
            yield task, execute(task), 1

    def describe(self) -> str:
        return "serial (in the driver process)"


# ----------------------------------------------------------------------------- process pool
def _watch_parent(parent: int) -> None:
    """Exit when the driver has gone (killed with SIGKILL), instead of lingering as an orphan."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def _init_worker(parent: int) -> None:
    # Ctrl-C goes to the whole process group: the driver handles it, workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


@contextmanager
def _sigint_ignored():
    """Ignore SIGINT in this block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def thread_env():
    """Set single-threaded BLAS variables for worker processes started in this block."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class ProcessBackend:
    """A local pool of worker processes (started with ``spawn``: safe beside the driver's threads).

    If a worker dies (killed, out of memory, a crash in native code), every run that was in
    flight is retried once, alone, so that the run that killed the worker is identified; if
    the worker dies again that run is stored as failed.
    """

    name = "process"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.window = 2 * self.workers

    def describe(self) -> str:
        return f"process pool ({self.workers} workers)"

    def _pool(self) -> ProcessPoolExecutor:
        with thread_env():
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_worker, initargs=(os.getpid(),))

    def results(self, tasks: Iterable[Any]) -> Iterator[Outcome]:
        it = iter(tasks)
        pending: dict[Any, tuple[Any, int]] = {}
        retry: collections.deque[tuple[Any, int]] = collections.deque()
        exhausted = False
        pool = self._pool()
        try:
            while True:
                alone = any(att > 1 for _, att in pending.values())
                while not alone and len(pending) < self.window:
                    if retry:
                        if pending:
                            break  # let the pool drain, then retry the suspect alone
                        task, att = retry.popleft()
                        with thread_env():
                            pending[pool.submit(execute, task)] = (task, att)
                        break
                    if exhausted:
                        break
                    try:
                        task = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    with thread_env():
                        pending[pool.submit(execute, task)] = (task, 1)
                if not pending:
                    if retry:
                        continue
                    return
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task, att = pending.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        yield from self._died(task, att, retry)
                    except Exception as exc:  # e.g. a result that cannot be pickled
                        yield task, failed(f"{type(exc).__name__}: {exc}"), att
                    else:
                        yield task, res, att
                if broken:
                    for fut, (task, att) in list(pending.items()):
                        yield from self._died(task, att, retry)
                    pending.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = self._pool()
        finally:
            self._stop(pool)

    @staticmethod
    def _died(task: Any, att: int, retry: collections.deque) -> Iterator[Outcome]:
        if att >= 2:
            yield task, failed("worker process died while running this run (twice: not retried again)"), att
        else:
            retry.append((task, att + 1))

    @staticmethod
    def _stop(pool: ProcessPoolExecutor) -> None:
        """Stop now: queued runs are cancelled and running ones abandoned (nothing of theirs is stored)."""
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


# ----------------------------------------------------------------------------- dask
def _split_tcp(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``tcp://`` (or scheme-less) address; ``None`` for other schemes."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme != "tcp":
        return None
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError("--address", "address", f"got {address!r}; expected tcp://HOST:PORT with a port "
                                                  "from 1 to 65535")
    return host.strip("[]") or "127.0.0.1", int(port)


def probe_scheduler(address: str, timeout: float = HANDSHAKE_TIMEOUT) -> None:
    """Check, within ``timeout`` seconds and reading at most a small handshake, that ``address``
    speaks Dask's protocol; raise a one-line :class:`InputError` otherwise.

    A Dask server sends its handshake first: an 8-byte length, then msgpack naming its
    compression and pickle protocol.  Other schemes (tls://, ...) are left to Dask."""
    hp = _split_tcp(address)
    if hp is None:
        return
    host, port = hp
    deadline = time.monotonic() + timeout

    def bad(why: str) -> InputError:
        return InputError("--address", "address", f"{address} is not a Dask scheduler ({why}); expected the "
                                                  "address a 'dask scheduler' prints, e.g. tcp://10.0.0.1:8786")

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise InputError("--address", "address", f"cannot connect to a Dask scheduler at {address!r} "
                                                 f"({exc.strerror or exc})") from None

    def read(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise bad(f"no Dask handshake within {timeout:g} s")
            sock.settimeout(left)
            try:
                chunk = sock.recv(n - len(buf))
            except TimeoutError:
                raise bad(f"no Dask handshake within {timeout:g} s") from None
            except OSError as exc:
                raise bad(f"the connection failed: {exc.strerror or exc}") from None
            if not chunk:
                raise bad("it closed the connection without a Dask handshake")
            buf += chunk
        return buf

    with sock:
        (size,) = struct.unpack("<Q", read(8))
        if not 8 < size <= _MAX_HANDSHAKE:
            raise bad("its first message is not a Dask handshake")
        body = read(size)
        if b"compression" not in body or b"pickle-protocol" not in body:
            raise bad("its first message is not a Dask handshake")


class DaskBackend:
    """A Dask cluster: an existing scheduler at ``address``, or a local cluster of ``workers``
    single-threaded worker processes started (and stopped) by the sweep."""

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.address = address
        self.workers = workers or os.cpu_count() or 1
        self.client = None
        self.cluster = None

    def describe(self) -> str:
        if self.address:
            return f"dask scheduler at {self.address} ({self.workers} worker threads)"
        return f"dask local cluster ({self.workers} single-threaded worker processes)"

    def start(self) -> None:
        import dask
        from distributed import Client, LocalCluster

        # a run is retried once if its worker dies, then reported as KilledWorker
        dask.config.set({"distributed.scheduler.allowed-failures": 1})
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off glibc's
        # adaptive mmap threshold: every large numpy array is then mmap'd and zeroed afresh, and
        # a model run takes twice as long (measured: 1.54 s -> 2.98 s).  Leave glibc's default.
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        if self.address:
            probe_scheduler(self.address)  # bounded: a port that is not Dask is a line, not a hang
            try:
                self.client = Client(self.address, timeout=f"{HANDSHAKE_TIMEOUT:g}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError("--address", "address", f"cannot connect to a Dask scheduler at "
                                                         f"{self.address!r} ({exc})") from None
            n = sum(self.client.nthreads().values())
            self.workers = n or self.workers
        else:
            # Ctrl-C goes to the whole process group: the driver stops the cluster itself, so the
            # nannies and workers are started ignoring SIGINT (the disposition is inherited)
            # rather than each dying with its own traceback.
            with _sigint_ignored():
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                            env=dict(THREAD_ENV), silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)

    def stop(self) -> None:
        # a second Ctrl-C while stopping must not leave the cluster half closed
        with _sigint_ignored():
            try:
                if self.client is not None:
                    self.client.close()
                if self.cluster is not None:
                    self.cluster.close()
            finally:
                self.client = self.cluster = None

    def results(self, tasks: Iterable[Any]) -> Iterator[Outcome]:
        from distributed import as_completed

        if self.client is None:
            self.start()
        client = self.client
        it = iter(tasks)
        window = 2 * max(self.workers, 1)
        owner: dict[str, tuple[Any, Any]] = {}
        ac = as_completed(with_results=False)
        try:
            for _ in range(window):
                task = next(it, None)
                if task is None:
                    break
                fut = client.submit(execute, task, key=f"run-{task.key}", pure=False)
                owner[fut.key] = (task, fut)
                ac.add(fut)
            for fut in ac:
                task, _ = owner.pop(fut.key)
                try:
                    res = fut.result()
                except Exception as exc:
                    name = type(exc).__name__
                    if name == "KilledWorker":
                        res = failed("worker process died while running this run (twice: not retried again)")
                    else:
                        res = failed(f"{name}: {exc}")
                    att = 2 if name == "KilledWorker" else 1
                else:
                    att = 1
                del fut
                yield task, res, att
                nxt = next(it, None)
                if nxt is not None:
                    f2 = client.submit(execute, nxt, key=f"run-{nxt.key}", pure=False)
                    owner[f2.key] = (nxt, f2)
                    ac.add(f2)
        finally:
            try:
                if owner:
                    client.cancel([f for _, f in owner.values()])
            finally:
                owner.clear()
                self.stop()


def check_backend_args(name: str, workers: int | None = None, address: str | None = None) -> None:
    """One-line InputError for a backend name, worker count or address that cannot be used together."""
    if name not in BACKENDS:
        raise InputError("--backend", "backend", f"got {name!r}; expected one of {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise InputError("--workers", "workers", f"got {workers}; expected an integer >= 1")
    if address and name != "dask":
        raise InputError("--address", "address", "only used with --backend dask")


def make_backend(name: str, workers: int | None = None, address: str | None = None):
    check_backend_args(name, workers, address)
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessBackend(workers)
    return DaskBackend(workers, address)
