"""Calibration simulations through the runner: candidate -> :class:`~sim.runner.experiment.Task`
-> backend (serial, process pool, Dask) -> SQLite store.

A calibration is one "experiment" of the results store, named ``calibrate-<method>`` and
fingerprinted by everything that determines its runs (base scenario values, free parameters and
their boxes, targets, steps, seed, method settings, package version), so that a second run of the
same command reopens the same store and any other command is refused with a one-line error.
Each run's key is the runner's :func:`~sim.runner.experiment.run_key` (parameters, seed, steps,
outputs, version): a candidate already simulated is read back instead of run again, which is
what makes an interrupted calibration resume without repeating a stored simulation.

Seeds come from :func:`sim.runner.seeds.run_seed` (the only seed function): ``run_seed(seed,
stream, point, replication)``, where ``stream`` names the part of the calibration (``"crn"`` for
the common random numbers of the Nelder-Mead fit, ``"abc-g3"`` for generation 3 of ABC-SMC).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .. import params as P
from ..runner.experiment import Task, run_key
from ..runner.seeds import run_seed
from ..runner.store import Store, check_file
from ..scenario import Scenario
from .targets import Target, TargetSet

FAILED = math.nan  # a failed run's target values


@dataclass(frozen=True)
class Candidate:
    """A parameter vector to simulate ``len(seeds)`` times: label and point identify it in the store."""

    values: Mapping[str, float]  # dotted key -> value
    stream: str
    point: int
    seeds: tuple[int, ...]


def seeds_for(seed: int, stream: str, point: int, replications: int) -> tuple[int, ...]:
    return tuple(run_seed(seed, stream, point, r) for r in range(replications))


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


class Simulator:
    """Runs candidates of one calibration through a backend into one store; reads target values back.

    ``store`` is the SQLite results file; ``definition`` everything that makes two calibrations the
    same (it is fingerprinted, and stored as the store's experiment definition).
    """

    def __init__(self, base: Scenario, targets: TargetSet, steps: int, store: str | Path, name: str,
                 definition: Mapping[str, Any], backend: str = "serial", workers: int | None = None,
                 address: str | None = None, backend_obj: Any = None):
        from .. import __version__
        from ..runner.backends import make_backend

        self.base = base
        self.targets = targets
        self.steps = steps
        self.path = Path(store)
        self.version = __version__
        self.outputs = tuple(dict.fromkeys(t.column for t in targets.all))
        self.backend = backend_obj if backend_obj is not None else make_backend(backend, workers, address)
        self.name = name
        self.definition = {**dict(definition), "name": name, "outputs": list(self.outputs),
                           "scenarios": [{"label": name, "ref": base.source, "scenario_name": base.name}],
                           "design": {"kind": "calibration", "parameters": {}, "n_points": 0},
                           "targets": [_target_dict(t) for t in targets.all], "steps": steps}
        fp_payload = {k: v for k, v in self.definition.items() if k not in ("description", "source", "budget_info")}
        fp_payload["base_values"] = dict(base.values)
        fp_payload["version"] = self.version
        self.fingerprint = hashlib.sha256(_canonical(fp_payload).encode()).hexdigest()
        self.store: Store | None = None
        self.simulated = 0  # runs executed by this process
        self.reused = 0  # runs found in the store

    # ------------------------------------------------------------------ store
    def check(self) -> None:
        """Refuse a bad store before anything runs (read-only)."""
        meta = check_file(self.path)
        if meta is not None and (meta.get("experiment") != self.name or meta.get("fingerprint") != self.fingerprint):
            Store.open_for_experiment(self.path, self.name, self.fingerprint, self.definition, self.version)

    def open(self) -> None:
        if self.store is None:
            self.store = Store.open_for_experiment(self.path, self.name, self.fingerprint, self.definition,
                                                   self.version)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def __enter__(self) -> "Simulator":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ tasks
    def task(self, cand: Candidate, rep: int) -> Task:
        values = dict(self.base.values)
        for key, value in cand.values.items():
            values[P.BY_KEY[key].name] = float(value)
        seed = cand.seeds[rep]
        key = run_key(cand.stream, values, self.steps, seed, 1, self.outputs, self.version)
        return Task(key, cand.stream, cand.point, rep, seed, self.steps, 1, self.outputs, values,
                    {k: float(v) for k, v in cand.values.items()}, self.base.name, self.base.source)

    def evaluate(self, candidates: Sequence[Candidate]) -> list[dict[str, np.ndarray]]:
        """Each candidate's simulated value of every target, one entry per replication (NaN for a
        failed run).  Runs not yet stored are executed on the backend (all of them in one batch,
        so a pool or cluster works on them in parallel) and committed one by one as they finish."""
        self.open()
        assert self.store is not None
        tasks = [[self.task(c, r) for r in range(len(c.seeds))] for c in candidates]
        done = self.store.done_keys()
        seen: set[str] = set()
        todo = []
        for t in (t for ts in tasks for t in ts):
            if t.key in done:
                self.reused += 1
            elif t.key not in seen:
                seen.add(t.key)
                todo.append(t)
        if todo:
            for task, result, attempts in self.backend.results(iter(todo)):
                self.store.record(task, result, attempts)
                self.simulated += 1
        values = self._read([t.key for ts in tasks for t in ts])
        out = []
        for ts in tasks:
            out.append({tg.name: np.array([values.get((t.key, tg.year, tg.column), FAILED) for t in ts])
                        for tg in self.targets.all})
        return out

    def _read(self, keys: Iterable[str]) -> dict[tuple[str, int, str], float]:
        assert self.store is not None
        wanted = {(t.year, t.column) for t in self.targets.all}
        keys = list(dict.fromkeys(keys))
        got: dict[tuple[str, int, str], float] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = ("SELECT key, year, output, value FROM series WHERE key IN (" + ",".join("?" * len(chunk)) + ")")
            for key, year, output, value in self.store.conn.execute(q, chunk):
                if (year, output) in wanted:
                    got[(key, int(year), output)] = math.nan if value is None else float(value)
        return got


def _target_dict(t: Target) -> dict[str, Any]:
    return {"name": t.name, "column": t.column, "year": t.year, "value": t.value, "tolerance": t.tolerance,
            "relative": t.relative, "role": t.role}


def default_store(method: str, scenario: Scenario) -> Path:
    return Path("results") / f"calibrate-{Path(scenario.source).stem}-{method}.sqlite"
