"""Checks of the arguments the network builders take: one-line InputErrors naming the field."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from sim.errors import InputError


def _int_param(source: str, field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise InputError(source, field, f"{value!r} is not allowed; must be a whole number >= {minimum}")
    return int(value)


def _finite_param(source: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InputError(source, field, f"{value!r} is not allowed; must be a finite number")
    return float(value)


def _positive_param(source: str, field: str, value: Any, unit: str) -> float:
    v = _finite_param(source, field, value)
    if v <= 0:
        raise InputError(source, field, f"{value!r} is not allowed; must be a number > 0 ({unit})")
    return v

