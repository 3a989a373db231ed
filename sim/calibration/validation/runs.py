"""Replicated validation runs through the runner (experiment -> backend -> store), and the interval
arithmetic every validation table uses (from :mod:`sim.stats`).

A validation experiment is an ordinary runner experiment built in code
(:func:`~sim.runner.experiment.experiment_from_dict`): its runs get their seeds from
:func:`~sim.runner.seeds.run_seed` (base seed, scenario label, design point, replication), go
through a backend (serial, process pool, Dask) into a SQLite store, and are read back with
:class:`~sim.runner.results.Results`.  Replications are independent (each has its own seed), so
differences between scenarios are Welch intervals, as in the runner's report.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...stats import t_interval, welch_interval


class ValidationRunError(RuntimeError):
    """A validation sweep left runs failed or undone: its tables would be silently incomplete."""


@dataclass(frozen=True)
class Execution:
    """Where validation runs execute and are stored.

    ``store_dir``: keep each experiment's store there (``<dir>/validation-<name>.sqlite``), so an
    interrupted regeneration resumes (a store is keyed by scenario values, seeds and package
    version, not by the model's code: empty the folder after changing the model); ``None``: a
    temporary store per experiment, deleted after reading (every call runs afresh).
    """

    store_dir: Path | None = None
    backend: str = "serial"
    workers: int | None = None
    address: str | None = None


@dataclass
class Replications:
    """What a validation experiment stored: one row per run (``final``), per run and kept step
    (``timeseries``), per run and city (``cities``, rank 1 = largest)."""

    name: str
    final: pd.DataFrame
    timeseries: pd.DataFrame
    cities: pd.DataFrame
    runs: int
    minutes: float

    def series(self, label: str, column: str) -> np.ndarray:
        """``column`` of scenario ``label``: an array replications x kept steps."""
        ts = self.timeseries[self.timeseries["scenario"] == label]
        wide = ts.pivot(index="replication", columns="step", values=column).sort_index()
        return wide.to_numpy(float)

    def years(self, label: str) -> np.ndarray:
        ts = self.timeseries[self.timeseries["scenario"] == label]
        return np.sort(ts["year"].unique())

    def values(self, label: str, column: str) -> np.ndarray:
        """Final ``column`` of scenario ``label``, one value per replication (in replication order)."""
        f = self.final[self.final["scenario"] == label].sort_values("replication")
        return f[column].to_numpy(float)


def replicate(name: str, scenarios: Sequence[str | Mapping[str, Any]], replications: int, base_seed: int,
              outputs: Sequence[str], steps: int | None = None, overrides: Mapping[str, Any] | None = None,
              execution: Execution = Execution()) -> Replications:
    """Run ``replications`` of each scenario (a name, or ``{scenario, label, overrides}``) for
    ``steps`` years (default: each scenario's own) through the runner and read the runs back.

    Raises :class:`ValidationRunError` if any run failed or the sweep stopped early.
    """
    from ...runner import Results, experiment_from_dict, run_sweep

    data: dict[str, Any] = {"name": f"validation-{name}", "scenarios": [dict(s) if isinstance(s, Mapping) else s
                                                                       for s in scenarios],
                            "replications": int(replications), "base_seed": int(base_seed),
                            "outputs": list(dict.fromkeys(outputs)), "overrides": dict(overrides or {})}
    if steps is not None:
        data["steps"] = int(steps)
    exp = experiment_from_dict(data, f"<validation {name}>")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hukou-validation-") as tmp:
        folder = Path(execution.store_dir) if execution.store_dir is not None else Path(tmp)
        store = folder / f"{exp.name}.sqlite"
        one_worker = execution.backend == "process" and execution.workers == 1
        backend = "serial" if one_worker else execution.backend  # no pool to start for one worker
        summary = run_sweep(exp, store, backend=backend, workers=execution.workers, address=execution.address,
                            progress=False)
        if summary.failed or summary.not_run or summary.interrupted or summary.error:
            raise ValidationRunError(summary.line())
        with Results(store) as res:
            final, series, cities = res.final(), res.timeseries(), res.cities()
    return Replications(name, final, series, cities, exp.n_runs, (time.perf_counter() - start) / 60)


# ----------------------------------------------------------------------------- intervals
def sign_of(low: float, high: float, mean: float = math.nan) -> int:
    """+1 / -1 if the interval ``[low, high]`` excludes zero on that side, else 0.  Without an
    interval (one replication) the sign of ``mean``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return int(np.sign(mean)) if math.isfinite(mean) else 0
    return 1 if low > 0 else -1 if high < 0 else 0


def mean_interval(values: Any) -> dict[str, float]:
    """Mean of replications with its 95% t-interval: ``{mean, half, low, high, sign, n}``."""
    n, mean, _sd, lo, hi = t_interval(values)
    return {"mean": mean, "half": (hi - lo) / 2 if n >= 2 else math.nan, "low": lo, "high": hi,
            "sign": sign_of(lo, hi, mean), "n": n}


def difference(x: Any, y: Any, relative: bool = False, scale: float = 1.0) -> dict[str, float]:
    """mean(x) - mean(y) with a 95% Welch interval (independent replications); ``relative``
    divides by mean(y) (a share: 0.02 = 2% higher); ``scale`` multiplies the result (100 for
    percentage points).  ``{mean, half, low, high, sign}``."""
    d, lo, hi = welch_interval(x, y)
    div = float(np.nanmean(np.asarray(y, float))) if relative else 1.0
    d, lo, hi = (v / div * scale for v in (d, lo, hi))
    if div < 0:
        lo, hi = hi, lo
    return {"mean": d, "half": (hi - lo) / 2 if math.isfinite(hi - lo) else math.nan, "low": lo, "high": hi,
            "sign": sign_of(lo, hi, d)}
