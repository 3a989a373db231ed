"""Calibration targets from a TOML file (``hukou-sim calibrate --targets FILE``), in place of the
built-in list of :mod:`sim.calibration.targets`.  Used for synthetic-data checks (observed values
simulated at known parameters) and for trying other figures without editing code::

    [[target]]
    name = "urbanization_2010"        # unique
    column = "urbanization_rate"      # a model output (sim.COLUMNS)
    year = 2010
    value = 0.497                     # observed, in the output's unit
    tolerance = 0.03                  # band half-width: absolute, or a share of value if relative
    relative = false                  # optional (default false)
    role = "fit"                      # optional: "fit" (default) or "check"
    source = "NBS, 2010 census"       # optional
    weight = 1.0                      # optional weight in the distance (default 1)

Anything wrong (a missing field, an unknown output, a band of zero) is one InputError naming the
file and the field.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from ..errors import InputError
from ..outcomes import COLUMNS
from .targets import Target

FIELDS = ("name", "column", "year", "value", "tolerance", "relative", "role", "source", "note", "weight")


def load_targets(path: str | Path) -> tuple[tuple[Target, ...], dict[str, float]]:
    """The targets of ``path`` and their weights (name -> weight)."""
    p = Path(path)
    src = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(src, "file", "no such targets file; expected a TOML file of [[target]] tables") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(src, "file", f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(src, "syntax", f"not valid TOML ({exc})") from None
    items = data.get("target")
    if set(data) - {"target"} or not isinstance(items, list) or not items:
        raise InputError(src, "target", "expected one or more [[target]] tables and nothing else")
    out, weights = [], {}
    for i, item in enumerate(items):
        where = f"target[{i}]"
        for k in item:
            if k not in FIELDS:
                raise InputError(src, f"{where}.{k}", f"unknown field; allowed are {', '.join(FIELDS)}")
        for k in ("name", "column", "year", "value", "tolerance"):
            if k not in item:
                raise InputError(src, f"{where}.{k}", "missing")
        name, column, year = item["name"], item["column"], item["year"]
        if not isinstance(name, str) or not name:
            raise InputError(src, f"{where}.name", f"got {name!r}; expected a non-empty string")
        if column not in COLUMNS or column in ("step", "year"):
            raise InputError(src, f"{where}.column", f"got {column!r}; expected a model output "
                                                     f"({', '.join(c for c in COLUMNS if c not in ('step', 'year'))})")
        if isinstance(year, bool) or not isinstance(year, int):
            raise InputError(src, f"{where}.year", f"got {year!r}; expected an integer calendar year")
        nums = {}
        for k in ("value", "tolerance", "weight"):
            v = item.get(k, 1.0)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(src, f"{where}.{k}", f"got {v!r}; expected a finite number")
            nums[k] = float(v)
        relative = item.get("relative", False)
        if not isinstance(relative, bool):
            raise InputError(src, f"{where}.relative", f"got {relative!r}; expected true or false")
        band = abs(nums["value"]) * nums["tolerance"] if relative else nums["tolerance"]
        if not band > 0:
            raise InputError(src, f"{where}.tolerance", f"got a band of {band:g}; expected a band > 0 "
                                                        "(a tolerance > 0, and a non-zero value if relative)")
        if nums["weight"] <= 0:
            raise InputError(src, f"{where}.weight", f"got {nums['weight']:g}; expected a number > 0")
        role = item.get("role", "fit")
        if role not in ("fit", "check"):
            raise InputError(src, f"{where}.role", f"got {role!r}; expected 'fit' or 'check'")
        if any(t.name == name for t in out):
            raise InputError(src, f"{where}.name", f"{name!r} is used twice")
        out.append(Target(name, column, year, nums["value"], nums["tolerance"], relative,
                          str(item.get("source", "")), role, str(item.get("note", ""))))
        weights[name] = nums["weight"]
    return tuple(out), weights
