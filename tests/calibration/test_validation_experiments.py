"""Validation experiments as code returning data (sim.calibration.validation)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.calibration import validation as V

ROOT = Path(__file__).resolve().parents[2]


def test_validation_seeds_come_from_run_seed_and_are_distinct():
    from sim.runner.seeds import run_seed
    s = V.validation_seeds(7, 4)
    assert s == [run_seed(7, "validation", 0, r) for r in range(4)] and len(set(s)) == 4
    assert V.validation_seeds(7, 2) == s[:2] and V.validation_seeds(8, 2) != s[:2]


def test_posterior_check_counts_targets_inside_the_90_percent_interval(tmp_path):
    assert V.posterior_check(tmp_path / "none.json") is None
    data = {"predictive": {
        "a": {"role": "held out", "inside90": True}, "b": {"role": "held out", "inside90": False},
        "c": {"role": "check", "inside90": True}, "d": {"role": "fitted", "inside90": True}}}
    (tmp_path / "p.json").write_text(json.dumps(data))
    chk = V.posterior_check(tmp_path / "p.json")
    assert chk["held_out_inside90"] == 0.5 and chk["checks_inside90"] == 1.0 and chk["fitted_inside90"] == 1.0
    assert chk["held_out"] == ["a", "b"]
    real = V.posterior_check(ROOT / "docs" / "robustness" / "teaching.posterior.json")
    assert real is not None and not math.isnan(real["held_out_inside90"])
