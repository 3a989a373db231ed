"""Calibration of the model to real figures: targets as data, simulation-based fits, a CLI.

* :mod:`sim.calibration.targets` -- the observed figures with tolerance bands and sources;
* :mod:`sim.calibration.target_file` -- targets from a TOML file instead;
* :mod:`sim.calibration.simulate` -- candidates run through the runner's backends into its SQLite store;
* :mod:`sim.calibration.fit` -- the loss over replicated runs and the Nelder-Mead optimiser (a point);
* :mod:`sim.calibration.abc` -- ABC-SMC (a posterior), :mod:`sim.calibration.posterior` its file;
* :mod:`sim.calibration.cli` -- ``hukou-sim calibrate``.
"""

from .fit import FREE_PARAMETERS, CalibrationResult, FreeParameter, calibrate
from .targets import DEFAULT_HOLDOUT, TARGETS, Target, TargetSet, loss, target_set

__all__ = ["DEFAULT_HOLDOUT", "FREE_PARAMETERS", "TARGETS", "CalibrationResult", "FreeParameter",
           "Target", "TargetSet", "calibrate", "loss", "target_set"]
