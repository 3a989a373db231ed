"""Validation experiments as code that returns data (``docs/make_validation.py`` only renders them).

* :func:`validation_seeds` -- replication seeds of the validation runs, from the runner's
  :func:`~sim.runner.seeds.run_seed` (the one seed function);
* :func:`sensitivity` -- the runner's Sobol experiment through the API (sweep -> store -> report),
  its indices as tables;
* :func:`posterior_check` -- the posterior predictive check of a posterior file: per target the
  90% predictive interval and whether the observed value is inside it, and the share of held-out
  targets inside.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..runner.seeds import run_seed


def validation_seeds(base_seed: int, n: int, stream: str = "validation") -> list[int]:
    """``n`` seeds for replications of a validation run (independent of any calibration's seeds)."""
    return [run_seed(base_seed, stream, 0, r) for r in range(n)]


def sensitivity(experiment: str | Path, workers: int = 1, keep: Path | None = None) -> dict[str, Any]:
    """Run a Sobol experiment through the runner and return its indices per scenario and output.

    ``keep``: a directory to copy the report's Sobol figure into (``sobol.png``).  Returns
    ``{"scenario", "indices": {output: DataFrame sorted by ST}, "summary", "minutes", "spec"}``.
    """
    import shutil
    import tomllib

    from ..runner import run_sweep, write_report
    from ..runner.experiment import load_experiment

    exp = load_experiment(experiment)
    spec = tomllib.loads(Path(exp.source).read_text())
    with tempfile.TemporaryDirectory(prefix="hukou-sens-") as tmp:
        t = time.perf_counter()
        summary = run_sweep(exp, Path(tmp) / "s.sqlite", backend="process" if workers > 1 else "serial",
                            workers=workers, progress=False)
        report = write_report(Path(tmp) / "s.sqlite", Path(tmp) / "r")
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
    return {"scenario": scen, "indices": indices, "summary": summary, "minutes": minutes, "spec": spec,
            "failed": summary.failed}


def posterior_check(path: str | Path) -> dict[str, Any] | None:
    """The posterior predictive check stored in a posterior file; ``None`` if there is no such file."""
    p = Path(path)
    if not p.is_file():
        return None
    data = json.loads(p.read_text())
    pred = data.get("predictive", {})
    held = [k for k, v in pred.items() if v["role"] == "held out"]
    checks = [k for k, v in pred.items() if v["role"] == "check"]
    share = (lambda names: sum(pred[n]["inside90"] for n in names) / len(names) if names else float("nan"))
    return {"data": data, "predictive": pred, "held_out": held, "checks": checks,
            "held_out_inside90": share(held), "checks_inside90": share(checks),
            "fitted_inside90": share([k for k, v in pred.items() if v["role"] == "fitted"])}
