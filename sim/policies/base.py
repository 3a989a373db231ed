"""What every policy is: a dated object with hooks that ``MigrationModel.step()`` calls, and the
registry that finds its class by the ``[policy.X]`` name of a scenario.

A policy acts through hooks, each a no-op by default, so that adding one is one class:

* :meth:`Policy.on_build` once, when the model is built (before any agent exists);
* :meth:`Policy.set_rules` each year it is in force: it adjusts :class:`Rules`, the year's
  institutions (movement controls, who the guarantees reach, insurance, hukou conversion);
* :meth:`Policy.issue` each year it is in force: the central directive (caps, moving jobs);
* :meth:`Policy.govern` each year it is in force: local governments carry it out (enforcement);
* :meth:`Policy.filter_moves` on every batch of moves: entry rationing;
* :meth:`Policy.gdp_cost` the share of each city's GDP the directive costs (drives resistance).

Rules are rebuilt from the scenario's parameters every year and then adjusted by the policies in
force, so they are a pure function of the year and the policy list: resuming or rerunning a year
gives the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np

from ..params import PARAMS

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel

REGISTRY: dict[str, type["Policy"]] = {}


def register(key: str):
    """Class decorator: make a policy findable by its ``[policy.<key>]`` scenario section."""
    def add(cls: type["Policy"]) -> type["Policy"]:
        if key in REGISTRY:
            raise ValueError(f"policy {key!r} registered twice")
        cls.key = key
        REGISTRY[key] = cls
        return cls
    return add


@dataclass
class Rules:
    """The year's institutions, as the policies in force set them.

    ``movement_block``: share of rural people's moves to a city stopped by movement controls.
    ``urban_dibao``/``rural_dibao``: whether the urban/rural minimum living guarantee exists.
    ``rural_reimbursement``: share of medical bills the rural scheme pays.
    ``equal_services``: residents use schools, hospitals, insurance and guarantees whatever their hukou.
    ``farm_income_factor``: multiplier of farm income (taxes removed, subsidies paid).
    ``conversion_extra``: extra share of each city's floating population admitted to hukou (1/year).
    ``migrant_access_gain``: extra share of services migrants may use (residence permits).
    ``poverty_reach``: share of poor rural households found and lifted to the line this year.
    ``urban_mobility_block``: share of urban-hukou people's moves between cities stopped because housing, job
    and rations came with the work unit (danwei).
    ``requisition_hukou_share``: share of the farmers whose land is requisitioned this year who get urban hukou.
    ``village_conversion_extra``: extra share of urban villagers still holding rural hukou registered as urban
    residents in place (1/year), besides their city's admission rate.
    """

    movement_block: float
    urban_dibao: bool
    rural_dibao: bool
    rural_reimbursement: float
    conversion_extra: np.ndarray
    equal_services: bool = False
    farm_income_factor: float = 1.0
    migrant_access_gain: float = 0.0
    poverty_reach: float = 0.0
    urban_mobility_block: float = 0.0
    requisition_hukou_share: float = 1.0
    village_conversion_extra: float = 0.0

    @classmethod
    def baseline(cls, p: Mapping[str, Any], n_cities: int) -> "Rules":
        """Institutions with no policy in force: the scenario's starting point."""
        return cls(movement_block=p["movement_control"], urban_dibao=p["dibao_from_start"],
                   rural_dibao=p["dibao_from_start"], rural_reimbursement=p["rural_reimbursement"],
                   conversion_extra=np.zeros(n_cities), urban_mobility_block=p["work_unit_tie"],
                   requisition_hukou_share=p["requisition_hukou_share"])


@dataclass
class Policy:
    """A dated central policy; ``start_year`` is the year it comes into force."""

    start_year: int
    key: ClassVar[str] = ""
    title: ClassVar[str] = ""  # plain words, for reports and the demo's "what just happened"
    source: ClassVar[str] = ""  # where the date and the rule come from
    directive: ClassVar[bool] = False  # a directive local governments comply with (or resist) over time

    # ----------------------------------------------------------------- building from a scenario
    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> "Policy | None":
        """The policy a scenario's flat parameters describe, or None when it is off."""
        values = _section(p, cls.key)
        if not values.pop("enabled", True):
            return None
        year = values.pop("start_year", values.pop("year", None))
        return cls(year, **values)

    # ----------------------------------------------------------------- hooks
    def active(self, model: "MigrationModel") -> bool:
        return model.year >= self.start_year

    def on_build(self, model: "MigrationModel") -> None:
        """Once, when the model is built, before agents exist (e.g. place a new city)."""

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        """Adjust this year's institutions."""

    def issue(self, model: "MigrationModel") -> None:
        """The central directive of the year."""

    def govern(self, model: "MigrationModel") -> None:
        """Local governments carry the directive out."""

    def filter_moves(self, model: "MigrationModel", rows: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Where the movers ``rows`` may actually go; by default where they chose."""
        return destination

    def admit_movers(self, model: "MigrationModel", arriving: np.ndarray) -> np.ndarray:
        """Share of the urban-hukou people ``arriving`` (per city, people) each city lets settle; all by default."""
        return np.ones(model.n_cities)

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        """Share of each city's GDP the directive costs it (drives resistance); none by default."""
        return np.zeros(model.n_cities)


def _section(p: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The flat parameters of section ``policy.<key>`` without their prefix."""
    prefix = f"policy.{key}."
    return {q.key[len(prefix):]: p[q.name] for q in PARAMS if q.key.startswith(prefix)}


def policies_from_params(p: Mapping[str, Any]) -> list[Policy]:
    """The scenario's policies in force at some point, in registry order (the order they act)."""
    out = []
    for cls in REGISTRY.values():
        policy = cls.from_params(p)
        if policy is not None:
            out.append(policy)
    return out


def markdown_table() -> str:
    """Every registered policy as a Markdown table (docs/model.md embeds it; a test keeps them equal)."""
    rows = ["| `[policy.X]` | default year | what it is | parameters | source |", "|---|---|---|---|---|"]
    for key, cls in REGISTRY.items():
        fields = [q for q in PARAMS if q.key.startswith(f"policy.{key}.")]
        year = next((f"{q.default}" for q in fields if q.key.endswith("start_year") or q.key.endswith("founded_year")),
                    "")
        names = ", ".join(f"`{q.key.rsplit('.', 1)[1]}`" for q in fields
                          if not q.key.endswith(("enabled", "start_year")))
        rows.append(f"| `{key}` | {year} | {cls.title} | {names or '-'} | {cls.source} |")
    return "\n".join(rows) + "\n"
