"""Experiment runner: policy sweeps with replications into a resumable SQLite store, on one
machine or a Dask cluster, and reports comparing scenarios with confidence intervals.

>>> from sim.runner import load_experiment, run_sweep, Results, write_report
>>> summary = run_sweep("experiments/smoke.toml", store="results/smoke.sqlite", backend="serial")
>>> Results("results/smoke.sqlite").final()          # tidy DataFrame, one row per run
>>> write_report("results/smoke.sqlite")             # results/smoke-report/report.md
"""

from .experiment import Experiment, Task, experiment_from_dict, load_experiment
from .report import write_report
from .results import Results, export
from .seeds import run_seed
from .sweep import SweepSummary, run_sweep

__all__ = ["Experiment", "Results", "SweepSummary", "Task", "experiment_from_dict", "export", "load_experiment",
           "run_seed", "run_sweep", "write_report"]
