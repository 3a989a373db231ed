"""Calibration of the model to real figures: targets as data, a simulation-based fit, a CLI.

* :mod:`sim.calibration.targets` -- the observed figures with tolerance bands and sources;
* :mod:`sim.calibration.fit` -- the loss over replicated runs and the optimiser;
* :mod:`sim.calibration.cli` -- ``hukou-sim calibrate``.
"""

from .fit import FREE_PARAMETERS, CalibrationResult, FreeParameter, Summary, calibrate, measure, replication_seeds
from .targets import DEFAULT_HOLDOUT, TARGETS, Target, TargetSet, loss, target_set

__all__ = ["DEFAULT_HOLDOUT", "FREE_PARAMETERS", "TARGETS", "CalibrationResult", "FreeParameter", "Summary",
           "Target", "TargetSet", "calibrate", "loss", "measure", "replication_seeds", "target_set"]
