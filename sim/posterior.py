"""The posterior file: weighted draws of the free parameters, with what made them.

Written by ``hukou-sim calibrate --method abc`` next to the calibrated scenario
(``scenarios/<scenario>_calibrated.posterior.json`` by default) and read by experiments with
``design = {kind = "posterior", file = ..., draws = N}``.  JSON, one object::

    {"format": "hukou-sim posterior", "format_version": 1, "created": ..., "version": ...,
     "method": ..., "scenario": {"name": ..., "source": ...}, "overrides": {...},
     "parameters": [{"key": "migration.home_attachment", "low": 0.0, "high": 1.5, "why": ...}, ...],
     "targets": [{"name": ..., "column": ..., "year": ..., "observed": ..., "band": ..., "role": ...}, ...],
     "settings": {"particles": ..., "alpha": ..., "replications": ..., "seed": ..., ...},
     "generations": [{"generation": 0, "epsilon": null, "accepted": ..., "proposed": ..., "ess": ...}, ...],
     "stopped": "...", "store": "results/....sqlite", "simulations": ...,
     "draws": [{"weight": 0.004, "distance": 0.81, "values": {"migration.home_attachment": 0.62, ...}}, ...],
     "summary": {"<key>": {"mean": ..., "q05": ..., "q50": ..., "q95": ...}},
     "predictive": {"<target>": {"role": ..., "observed": ..., "q05": ..., "q50": ..., "q95": ..., "inside90": true}}}

Weights sum to 1.  ``epsilon`` is in RMS band units (null for generation 0, which accepts all).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import params as P
from .errors import InputError

FORMAT = "hukou-sim posterior"
FORMAT_VERSION = 1


def default_path(scenario_source: str) -> Path:
    return Path("scenarios") / f"{Path(scenario_source).stem}_calibrated.posterior.json"


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Posterior:
    path: str
    keys: tuple[str, ...]
    values: np.ndarray  # (n, d)
    weights: np.ndarray  # (n,), sums to 1
    meta: Mapping[str, Any]

    def sample(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` draws by systematic resampling of the weighted draws (deterministic in ``seed``):
        each stored draw appears about ``n * weight`` times."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x9051]))
        u = (rng.random() + np.arange(n)) / n
        idx = np.searchsorted(np.cumsum(self.weights), u, side="left")
        idx = np.minimum(idx, len(self.weights) - 1)
        return [{k: float(v) for k, v in zip(self.keys, self.values[i])} for i in idx]


def load(path: str | Path, source: str, field: str = "design.file") -> Posterior:
    """Read and check a posterior file; any problem is an InputError naming ``source`` and ``field``."""
    p = Path(path)
    where = f"{field} ({p})"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(source, field, f"{p}: no such posterior file; expected one written by "
                                        "'hukou-sim calibrate --method abc'") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(source, field, f"{p}: not a readable JSON posterior file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(source, field, f"{p}: not a hukou-sim posterior file (no format marker {FORMAT!r})")
    params = data.get("parameters")
    draws = data.get("draws")
    if not isinstance(params, list) or not params or not isinstance(draws, list) or not draws:
        raise InputError(source, where, "needs a non-empty 'parameters' list and a non-empty 'draws' list")
    keys = []
    for item in params:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or key not in P.BY_KEY:
            raise InputError(source, where, f"parameter {key!r} is not a parameter of this model's scenarios "
                                            "(see 'hukou-sim check --list'); the posterior does not match")
        if P.BY_KEY[key].type is not float:
            raise InputError(source, where, f"parameter {key!r} is not real-valued; the posterior does not match")
        keys.append(key)
    if len(set(keys)) != len(keys):
        raise InputError(source, where, "a parameter is listed twice")
    values = np.empty((len(draws), len(keys)))
    weights = np.empty(len(draws))
    for i, d in enumerate(draws):
        vals = d.get("values") if isinstance(d, dict) else None
        if not isinstance(vals, dict) or set(vals) != set(keys):
            raise InputError(source, where, f"draw {i} has parameters {sorted(vals or {})}; expected exactly "
                                            f"{sorted(keys)} (the posterior does not match its own parameters)")
        for j, k in enumerate(keys):
            v = vals[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InputError(source, where, f"draw {i}: {k} = {v!r} is not a number")
            P.BY_KEY[k].validate(float(v), source)  # schema bounds
            values[i, j] = float(v)
        w = d.get("weight")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise InputError(source, where, f"draw {i}: weight {w!r}; expected a finite number >= 0")
        weights[i] = float(w)
    if weights.sum() <= 0:
        raise InputError(source, where, "all weights are 0")
    return Posterior(str(p), tuple(keys), values, weights / weights.sum(), data)


def check_matches(post: Posterior, scenario_values: Mapping[str, Any], own_overrides: Mapping[str, Any],
                  source: str, label: str) -> None:
    """A posterior draw replaces its parameters in every scenario; a scenario that sets one of them
    itself (its own override) would be silently overwritten, so that is refused."""
    for k in post.keys:
        if P.BY_KEY[k].name not in scenario_values:
            raise InputError(source, "design.file", f"{post.path}: parameter {k!r} is not in scenario {label!r}; "
                                                    "the posterior does not match the scenario's parameters")
        if k in own_overrides:
            raise InputError(source, "design.file", f"{post.path}: scenario {label!r} overrides {k}, which the "
                                                    "posterior draws; remove the override or the parameter")


__all__ = ["FORMAT", "FORMAT_VERSION", "Posterior", "check_matches", "default_path", "load"]
