"""The demo's policy controls, read from the policy registry and the parameter schema.

Every class in :data:`sim.policies.REGISTRY` becomes a group of controls: its ``title`` and ``source``
(the class variables), and one control per parameter ``policy.<key>.*`` of :data:`sim.params.PARAMS`
(a checkbox for ``enabled`` and other switches, a slider for numbers, with the parameter's own
explanation and unit).  Parameter sections under ``policy.`` that no class owns (the cap's
``policy.enforcement``) get a group too.  A new policy class therefore appears on the page with no
change to the demo.  Pure logic: :mod:`sim.viz.app` draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sim.errors import InputError


@dataclass(frozen=True)
class Control:
    """One parameter's control and the range the demo offers for it."""

    key: str  # the parameter's dotted key, e.g. "policy.cap.level"
    label: str
    kind: str  # "switch", "int", "float" or "text"
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    unit: str = ""
    doc: str = ""
    choices: tuple[str, ...] | None = None

    def fmt(self, value: Any) -> str:
        """The value with its unit, as the slider's label shows it."""
        if self.kind == "switch":
            return "on" if value else "off"
        if self.kind == "text":
            return repr(value) if value else "(none)"
        if self.unit == "year":
            return f"{int(value)}"
        if self.unit == "share":
            return f"{float(value):.0%}"
        if self.unit == "1/year":
            return f"{float(value):.0%} a year"
        number = f"{int(value):,}" if self.kind == "int" else _short(float(value))
        unit = "" if self.unit in ("", "-") else f" {self.unit}"
        return number + unit

    @property
    def help(self) -> str:
        unit = "" if self.unit in ("", "-") else f" Unit: {self.unit}."
        return f"{self.doc}{unit}"


@dataclass(frozen=True)
class PolicyGroup:
    """A registered policy (or a parameter section no class owns) and its controls."""

    key: str  # the [policy.<key>] section
    title: str
    source: str
    directive: bool  # a central directive (the demo's presets); the rest are dated reforms of China's history
    enabled: str | None  # key of its on/off switch, if it has one
    controls: tuple[Control, ...]  # every other parameter


def _short(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1e6:
        return f"{x / 1e6:g} million"
    return f"{x:.3g}"


def _nice_step(span: float) -> float:
    raw = span / 100.0
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _label(key: str) -> str:
    return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def control(param, start_year: int, end_year: int) -> Control:
    """The control for a parameter (sim.params.Param), with a range a class can use."""
    kind = {bool: "switch", int: "int", float: "float", str: "text"}[param.type]
    c = Control(param.key, _label(param.key), kind, unit=param.unit, doc=param.doc, choices=param.choices)
    if kind in ("switch", "text"):
        return c
    if param.unit == "year":
        return Control(**{**c.__dict__, "low": start_year, "high": end_year, "step": 1})
    low = float(param.low) if param.low is not None else 0.0
    high = float(param.high) if param.high is not None else max(4 * abs(float(param.default)), low + 1)
    if not (param.unit in ("share", "1/year") and high <= 1.0):
        # wide schema bounds (a cap of 100 times a city, 5,000 cities) are no use on a slider
        high = min(high, max(4 * abs(float(param.default)), low + (1 if kind == "int" else 0.1)))
    step = 1.0 if kind == "int" else _nice_step(high - low)
    if kind == "int":
        low, high = math.floor(low), math.ceil(high)
    else:  # the slider snaps values to low + k * step: keep round values (a cap of 1.0) on that grid
        low = round(math.ceil(low / step - 1e-9) * step, 10)
    return Control(**{**c.__dict__, "low": low, "high": high, "step": step})


def policy_groups(start_year: int = 1982, end_year: int = 2022) -> list[PolicyGroup]:
    """Every registered policy, in registry order (the order they act), then sections no class owns."""
    from sim.params import PARAMS
    from sim.policies import REGISTRY

    sections: dict[str, list] = {}
    for p in PARAMS:
        if p.key.startswith("policy."):
            sections.setdefault(p.key.split(".")[1], []).append(p)
    groups = []
    for key in [*REGISTRY, *(k for k in sections if k not in REGISTRY)]:
        cls = REGISTRY.get(key)
        params = sections.get(key, [])
        enabled = next((p.key for p in params if p.key.endswith(".enabled")), None)
        controls = tuple(control(p, start_year, end_year) for p in params if p.key != enabled)
        title = (getattr(cls, "title", "") if cls else "") or _label(f"x.{key}")
        groups.append(PolicyGroup(key, title, getattr(cls, "source", "") if cls else "",
                                  bool(getattr(cls, "directive", False)) if cls else True, enabled, controls))
    # sections no class owns go right after the directives (enforcement belongs with the cap)
    return sorted(groups, key=lambda g: (not g.directive, 0))


def by_key(start_year: int = 1982, end_year: int = 2022) -> dict[str, Control]:
    return {c.key: c for g in policy_groups(start_year, end_year) for c in g.controls}


def parse_value(key: str, raw: str) -> Any:
    """A policy parameter from a URL's text, checked against the schema; InputError if bad."""
    from sim.params import PARAMS

    param = next((p for p in PARAMS if p.key == key), None)
    if param is None or not key.startswith("policy."):
        raise InputError("URL", key, "not a policy parameter")
    value: Any = raw
    if param.type is bool:
        if raw not in ("0", "1", "true", "false"):
            raise InputError("URL", key, f"got {raw!r}; expected 0 or 1")
        value = raw in ("1", "true")
    elif param.type in (int, float):
        try:
            value = float(raw)
        except ValueError:
            raise InputError("URL", key, f"got {raw!r}; expected {param.allowed()}") from None
    return param.validate(value, "URL")


def is_on(values: Mapping[str, Any], group: PolicyGroup) -> bool:
    """Whether a policy is in force in a run with these parameter values."""
    if group.enabled is not None:
        return bool(values.get(group.enabled, False))
    rate = next((c.key for c in group.controls if c.key.endswith(".rate")), None)
    return rate is not None and float(values.get(rate, 0.0)) > 0
