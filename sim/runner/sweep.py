"""The sweep driver: plan the runs, skip those already stored, run the rest, store as they finish."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..errors import InputError
from .backends import make_backend
from .experiment import Experiment, load_experiment
from .store import Store, check_file


@dataclass
class SweepSummary:
    experiment: str
    store: Path
    backend: str
    planned: int
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    error: str | None = None  # why the sweep stopped early (the store could not be written)

    @property
    def not_run(self) -> int:
        return self.planned - self.skipped - self.succeeded - self.failed

    def line(self) -> str:
        text = (f"sweep {self.experiment}: {self.succeeded} succeeded, {self.failed} failed, "
                f"{self.skipped} skipped (already stored) of {self.planned} runs in {_hms(self.seconds)} "
                f"on {self.backend}; store {self.store}")
        if self.interrupted:
            text += f"; interrupted with {self.not_run} runs to go: run the same command again to resume"
        elif self.error:
            text += f"; stopped with {self.not_run} runs to go"
        return text


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def default_store(experiment: Experiment) -> Path:
    return Path("results") / f"{experiment.name}.sqlite"


class _Progress:
    """A tqdm bar (runs done, failures, ETA) on a terminal; a line every ~10% otherwise."""

    def __init__(self, total: int, label: str, stream: TextIO, enabled: bool):
        self.total, self.done, self.failed, self.stream = total, 0, 0, stream
        self.start = time.perf_counter()
        self.bar = None
        self.enabled = enabled and total > 0
        self.every = max(1, total // 10)
        if self.enabled and stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=label, unit="run", file=stream, dynamic_ncols=True)
            self.bar.set_postfix(failed=0)

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        if self.bar is not None:
            self.bar.update(1)
            if not ok:
                self.bar.set_postfix(failed=self.failed)
        elif self.enabled and (self.done % self.every == 0 or self.done == self.total):
            elapsed = time.perf_counter() - self.start
            eta = elapsed / self.done * (self.total - self.done)
            print(f"  {self.done}/{self.total} runs done, {self.failed} failed, elapsed {_hms(elapsed)}, "
                  f"ETA {_hms(eta)}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def check_experiment_inputs(exp: Experiment) -> None:
    """Read each scenario's graph file now: a bad one is a line before any store or cluster exists."""
    from ..api import check_inputs
    seen: set[tuple[str, str]] = set()
    for spec in exp.scenarios:
        sc = spec.scenario
        key = (str(sc.values["network_path"]), sc.source)
        if sc.values["network_kind"] == "file" and key not in seen:
            seen.add(key)
            try:
                check_inputs(sc)
            except InputError as exc:
                if exc.source.startswith("<"):
                    raise InputError(exp.source, f"scenarios ({spec.label}): {exc.field}", exc.message) from None
                raise


def run_sweep(experiment: Experiment | str | Path, store: str | Path | None = None, backend: str = "process",
              workers: int | None = None, address: str | None = None, progress: bool = True,
              stream: TextIO | None = None, backend_obj: Any = None, fresh: bool = False) -> SweepSummary:
    """Run every run of ``experiment`` not yet in ``store``; return the counts.

    Each finished run is committed to the store at once (one transaction), so an interrupted
    sweep (Ctrl-C, a killed driver, a lost cluster) loses at most the runs in flight, and the
    same call resumes it.  KeyboardInterrupt stops the workers and returns with
    ``interrupted = True``.
    """
    from .. import __version__

    stream = stream if stream is not None else sys.stderr
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    path = Path(store) if store is not None else default_store(exp)
    be = backend_obj if backend_obj is not None else make_backend(backend, workers, address)
    check_experiment_inputs(exp)  # bad graph files are found before the store is created
    check_file(path)  # a bad store is refused before a cluster is started for nothing
    summary = SweepSummary(exp.name, path, be.describe(), exp.n_runs)
    start = time.perf_counter()
    try:
        if hasattr(be, "start"):
            be.start()  # connect to the scheduler now: an unreachable one leaves no store behind
        st = Store.open_for_experiment(path, exp.name, exp.fingerprint(__version__), exp.definition(), __version__,
                                       fresh=fresh)
    except KeyboardInterrupt:  # Ctrl-C while the cluster starts: the same summary, nothing stored
        if hasattr(be, "stop"):
            be.stop()
        summary.interrupted = True
        summary.seconds = time.perf_counter() - start
        return summary
    except BaseException:
        if hasattr(be, "stop"):
            be.stop()
        raise
    summary.backend = be.describe()
    results = None
    bar = None
    error: InputError | None = None

    def todo():
        # checked again just before each run is handed out: another sweep on the same store
        # may have stored it meanwhile (then this one skips it: the two share the work)
        for t in exp.tasks(__version__):
            if t.key in done:
                continue
            if st.is_done(t.key):
                summary.skipped += 1
                continue
            yield t

    try:
        done = st.done_keys()
        summary.skipped = sum(1 for t in exp.tasks(__version__) if t.key in done)
        bar = _Progress(exp.n_runs - summary.skipped, exp.name, stream, progress)
        results = be.results(todo())
        for task, result, attempts in results:
            st.record(task, result, attempts)  # stored once, even if another sweep also ran it
            ok = result["status"] == "ok"
            summary.succeeded += ok
            summary.failed += not ok
            bar.update(ok)
    except KeyboardInterrupt:
        summary.interrupted = True
    except InputError as exc:  # the store could not be written: stop, keep what is committed
        error = exc
        summary.error = str(exc)
    finally:
        if results is not None:
            try:
                results.close()  # stops the workers of the process pool / dask cluster
            except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C while stopping
                summary.interrupted = True
        if bar is not None:
            bar.close()
        st.close()
        summary.seconds = time.perf_counter() - start
    if error is not None:
        error.summary = summary  # type: ignore[attr-defined]
        raise error
    return summary
