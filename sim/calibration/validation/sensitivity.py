"""Sensitivity: the runner's Sobol experiment (``experiments/sensitivity.toml``) through the API
(sweep -> store -> report), its indices as tables."""

from __future__ import annotations

import shutil
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from .runs import Execution, ValidationRunError

CLEAR_EFFECT = 0.05  # a parameter "drives" an output if the lower end of its total index's 95% interval exceeds this


def sensitivity(experiment: str | Path, execution: Execution = Execution(), keep: Path | None = None) -> dict[str, Any]:
    """Run a Sobol experiment through the runner and return its indices per output.

    ``keep``: a directory to copy the report's Sobol figure into (``sobol.png``).  Returns
    ``{"scenario", "indices": {output: DataFrame sorted by ST}, "drivers": {output: the rows whose total
    index is clearly above 0.05}, "summary", "minutes", "spec", "failed"}``.
    """
    from ...runner import run_sweep, write_report
    from ...runner.experiment import load_experiment

    exp = load_experiment(experiment)
    spec = tomllib.loads(Path(exp.source).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="hukou-sens-") as tmp:
        folder = Path(execution.store_dir) if execution.store_dir is not None else Path(tmp)
        store = folder / f"validation-{exp.name}.sqlite"
        t = time.perf_counter()
        backend = "serial" if execution.backend == "process" and execution.workers == 1 else execution.backend
        summary = run_sweep(exp, store, backend=backend, workers=execution.workers, address=execution.address,
                            progress=False)
        if summary.not_run or summary.interrupted or summary.error:
            raise ValidationRunError(summary.line())
        report = write_report(store, Path(tmp) / "report")
        minutes = (time.perf_counter() - t) / 60
        scen = exp.scenarios[0].label
        indices = {}
        for o in exp.outputs:
            f = report.parent / f"sobol_{scen}_{o}.csv"
            if f.is_file():
                indices[o] = pd.read_csv(f).sort_values("ST", ascending=False).reset_index(drop=True)
        fig = report.parent / f"sobol_{scen}.png"
        if keep is not None and fig.is_file():
            shutil.copy(fig, Path(keep) / "sobol.png")
    drivers = {o: df[(df["ST"] - df["ST_conf"]) > CLEAR_EFFECT] for o, df in indices.items()}
    return {"scenario": scen, "indices": indices, "drivers": drivers, "summary": summary, "minutes": minutes,
            "spec": spec, "failed": summary.failed}
