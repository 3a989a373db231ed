"""Run a scenario and get tidy results: the Python API the CLI, the sweep runner and notebooks share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .model import MigrationModel
from .scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """One run: the per-step outputs, the final ones, and final city sizes."""

    scenario: Scenario
    seed: int
    timeseries: pd.DataFrame  # one row per kept step, columns sim.COLUMNS
    final: dict[str, float]
    city_names: list[str]
    city_sizes: np.ndarray  # people, final
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def run(scenario: Scenario | str = "neutral", steps: int | None = None, seed: int = 0,
        overrides: Mapping[str, Any] | Iterable[str] | None = None, keep_every: int = 1,
        progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run ``scenario`` for ``steps`` years (default: its own) from ``seed``.

    ``keep_every`` keeps every k-th step (and always the first and last); ``progress`` is
    called as ``progress(done, total)`` after each step.
    """
    sc = load_scenario(scenario, overrides)
    n = sc.steps if steps is None else int(steps)
    start = time.perf_counter()
    model = MigrationModel.from_scenario(sc, rng=seed)
    for k in range(n):
        model.step()
        if progress is not None:
            progress(k + 1, n)
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    keep = (frame["step"] % max(keep_every, 1) == 0) | (frame["step"] == frame["step"].iloc[-1])
    active = model.cities.active
    return RunResult(sc, seed, frame[keep].reset_index(drop=True), model.metrics(),
                     [nm for nm, a in zip(model.network.names, active) if a], model.city_population()[active],
                     time.perf_counter() - start)


def check_inputs(scenario: Scenario) -> None:
    """Read everything a run of ``scenario`` needs besides its values -- its graph file, when
    ``network.kind = 'file'`` -- so a bad one is one :class:`~sim.errors.InputError` line before
    any output folder or results store is touched, not a failure after it."""
    if scenario.values["network_kind"] != "file":
        return
    from .network import load_network
    path = Path(scenario.values["network_path"])
    if not path.is_absolute() and scenario.source and not scenario.source.startswith("<"):
        path = Path(scenario.source).parent / path
    load_network(str(path), scenario.values["network_neighbours"])
