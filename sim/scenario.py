"""Scenario files: TOML, validated against :mod:`sim.params`, able to extend one another.

A scenario file has three top-level fields (``name``, ``description``, ``extends``) and
parameter sections (``[economy]``, ``[policy.cap]``, ...).  Unknown fields are rejected.
``extends = "neutral"`` starts from another bundled scenario (or a path relative to this
file) and overrides what the file sets.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import params as P
from .errors import InputError
from .policies.history import HISTORY

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_TOP_LEVEL = ("name", "description", "extends")


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: every parameter has a value."""

    name: str
    description: str
    values: Mapping[str, Any]  # flat parameter name -> value
    source: str = "<defaults>"
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def start_year(self) -> int:
        return int(self.values["start_year"])

    @property
    def steps(self) -> int:
        return int(self.values["steps"])

    def to_dict(self) -> dict[str, Any]:
        """Nested dict of every value, the shape a scenario file has (round-trips through load)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for p in P.PARAMS:
            node = out
            for part in p.section.split("."):
                node = node.setdefault(part, {})
            node[p.key.rsplit(".", 1)[-1]] = self.values[p.name]
        return out

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[str] | None, source: str = "--set") -> "Scenario":
        """A copy with parameters overridden (``{"economy.base_wage": 3000}`` or ``["base_wage=3000"]``)."""
        parsed = parse_overrides(overrides, source)
        if not parsed:
            return self
        values = dict(self.values)
        for p, value in parsed.items():
            values[p.name] = p.validate(value, source)
        merged = {**self.overrides, **{p.key: values[p.name] for p in parsed}}
        return Scenario(self.name, self.description, values, self.source, merged)


def parse_overrides(overrides: Mapping[str, Any] | Iterable[str] | None, source: str) -> dict[P.Param, Any]:
    if overrides is None:
        return {}
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, Mapping):
        items = list(overrides.items())
    else:
        for text in overrides:
            if not isinstance(text, str) or "=" not in text:
                raise InputError(source, str(text), "expected KEY=VALUE, e.g. economy.base_wage=3000")
            key, raw = text.split("=", 1)
            items.append((key.strip(), _parse_value(raw.strip())))
    return {P.resolve_key(key, source): value for key, value in items}


def _parse_value(raw: str) -> Any:
    """Parse an override value as a TOML value; bare words are strings."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def _find(name_or_path: str | Path, relative_to: Path | None, source: str, field_name: str) -> Path:
    text = str(name_or_path)
    candidates = []
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_absolute() and relative_to is not None:
            candidates.append(relative_to / path)
        candidates.append(path)
    else:
        candidates.append(SCENARIO_DIR / f"{text}.toml")
    for c in candidates:
        if c.is_file():
            return c
    names = ", ".join(bundled_scenarios())
    raise InputError(source, field_name, f"no scenario {text!r}; expected a bundled name ({names}) or a .toml file")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), "syntax", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "encoding", f"byte {exc.start} is not UTF-8; "
                                                "expected a UTF-8 text file (TOML)") from None
    except OSError as exc:
        raise InputError(str(path), "file", f"cannot be read ({exc.strerror})") from None


def _flatten(table: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables -> {dotted key: value}, rejecting unknown sections and keys."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not any(s == dotted or s.startswith(dotted + ".") for s in P.SECTIONS):
                sections = ", ".join(f"[{s}]" for s in P.SECTIONS)
                raise InputError(source, dotted, f"unknown section; allowed sections are {sections}")
            flat.update(_flatten(value, source, dotted + "."))
        elif dotted in P.BY_KEY:
            flat[dotted] = value
        elif not prefix:
            raise InputError(source, dotted, f"unknown field; top level allows {', '.join(_TOP_LEVEL)} and sections")
        else:
            keys = ", ".join(k.rsplit('.', 1)[-1] for k in P.BY_KEY if k.rsplit('.', 1)[0] == prefix[:-1])
            if not keys:  # a section of sections only, e.g. [policy]: name its sub-sections
                keys = "only sub-sections: " + ", ".join(
                    f"[{s}]" for s in P.SECTIONS if s.startswith(prefix))
            raise InputError(source, dotted, f"unknown parameter; [{prefix[:-1]}] allows {keys}")
    return flat


def _load_file(path: Path, chain: tuple[Path, ...]) -> tuple[str, str, dict[str, Any]]:
    source = str(path)
    if path.resolve() in chain:
        raise InputError(source, "extends", "scenarios extend each other in a cycle")
    data = _read_toml(path)
    top = {k: data.pop(k) for k in _TOP_LEVEL if k in data and not isinstance(data[k], dict)}
    for k in ("name", "description", "extends"):
        if k in top and not isinstance(top[k], str):
            raise InputError(source, k, f"got {top[k]!r}; expected a string")
    flat = _flatten(data, source)
    values: dict[str, Any] = {}
    description = ""
    if "extends" in top:
        base_path = _find(top["extends"], path.parent, source, "extends")
        _, description, values = _load_file(base_path, chain + (path.resolve(),))
    for key, value in flat.items():
        p = P.BY_KEY[key]
        values[p.name] = p.validate(value, source)
    return top.get("name", path.stem), top.get("description", description), values


def load_scenario(name_or_path: str | Path | Scenario = "neutral",
                  overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """Load a bundled scenario by name (``"cap"``) or a TOML file, apply overrides, validate.

    Raises :class:`sim.errors.InputError` naming the file and field for anything invalid.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path.with_overrides(overrides)
    path = _find(name_or_path, Path.cwd(), "<scenario>", "scenario")
    name, description, values = _load_file(path, ())
    full = P.defaults()
    full.update(values)
    sc = Scenario(name, description, full, str(path)).with_overrides(overrides)
    _check_naming_source(sc, full, str(path))
    return sc


def _check_naming_source(sc: Scenario, file_values: Mapping[str, Any], file_source: str) -> None:
    """Cross-field rules, blaming the file if it breaks them alone, else the overrides (``--set``)."""
    try:
        check_consistency(sc.values, file_source)
    except InputError as exc:
        if sc.overrides:
            try:
                check_consistency(file_values, file_source)
            except InputError:
                raise exc from None
            raise InputError("--set", exc.field, exc.message) from None
        raise


def check_consistency(values: Mapping[str, Any], source: str) -> None:
    """Cross-field rules that single-field bounds cannot express."""
    if values["urban_share"] <= 0:
        # a world without a city has no migration to model (and no city to size the economy by)
        raise InputError(source, "population.urban_share", "got 0; expected a share > 0 and <= 1 "
                                                           "(the model needs some urban population)")
    if values["network_kind"] == "file" and not values["network_path"]:
        raise InputError(source, "network.path", "must name a GraphML or CSV file when network.kind = 'file'")
    if values["initial_migrant_share"] + values["villager_share"] > 1.0:
        raise InputError(source, "population.initial_migrant_share",
                         "initial_migrant_share + villager_share must not exceed 1")
    last_year = values["start_year"] + values["steps"]
    for key in _dated_reforms():
        if values[f"{key}_enabled"] and not values["start_year"] - 100 <= values[f"{key}_start_year"] <= last_year:
            raise InputError(source, f"policy.{key}.start_year",
                             f"got {values[f'{key}_start_year']}, outside the run; expected a year from "
                             f"{values['start_year'] - 100} to {last_year} (simulation.start_year + steps)")
    if values["rural_medical_scheme_enabled"] and \
            values["rural_medical_scheme_full_year"] < values["rural_medical_scheme_start_year"]:
        raise InputError(source, "policy.rural_medical_scheme.full_year",
                         "must not be before policy.rural_medical_scheme.start_year")


def _dated_reforms() -> list[str]:
    """Keys of the dated reforms (policies with an ``enabled`` and a ``start_year`` field)."""
    return [key for key in HISTORY if f"policy.{key}.enabled" in P.BY_KEY]


def scenario_network(scenario: Scenario):
    """The scenario's city network, built and checked exactly as the model builds it.

    Goes through the same registry call as ``MigrationModel`` (``sim.network.network_from_params``),
    with relative paths read from the scenario file's folder, so a bad graph file is reported here,
    before anything runs or is written.  Raises :class:`sim.errors.InputError`.
    """
    from .network import network_from_params

    source = scenario.source
    base = Path(source).parent if source and not source.startswith("<") else None
    return network_from_params(scenario.values, base)
