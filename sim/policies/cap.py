"""Population caps on the largest cities and how local governments enforce them (seed 004: Beijing's
cap of 23 million, demolition of "illegal construction", migrant children excluded from schools)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .. import government
from ..errors import InputError
from ..state import HOME
from .base import Policy, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


PLANS_DIR = Path(__file__).resolve().parent.parent / "data" / "plans"
"""Cap plans: ``<name>.csv`` with columns city, cap_people, sources in its header."""


def read_plan(name: str) -> dict[str, float]:
    """City name -> cap (people) of the plan ``name`` in :data:`PLANS_DIR`."""
    import pandas as pd

    table = pd.read_csv(PLANS_DIR / f"{name}.csv", comment="#")
    return {str(r.city): float(r.cap_people) for r in table.itertuples()}


@register("cap")
@dataclass
class HukouCap(Policy):
    """Beijing-style caps: the top_n largest cities may not grow past level x their size at decree, or,
    with ``plan``, the cities of a master plan past their planned population (Beijing 23M, Shanghai 25M).

    Enforcement (``[policy.enforcement]``) rises from 90% of the cap to full at the cap, scaled by
    intensity and each city's compliance: village floors are torn down, migrant tenants evicted,
    schools closed to migrant children, markets cleared, and residence permits for newcomers
    rationed to the room left under the cap.
    """

    top_n: int = 4
    level: float = 1.0
    intensity: float = 0.6
    demolition: float = 0.3
    eviction: float = 0.1
    plan: str = ""
    planned: dict[int, float] = field(default_factory=dict, init=False, repr=False)  # city index -> cap (people)
    directive = True
    title = "Population caps on the largest cities"
    source = "State Council (2014) on strictly controlling megacities; Beijing master plan 2017 (seed 004)"

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> "HukouCap | None":
        if not p["cap_enabled"]:
            return None
        return cls(p["cap_start_year"], p["cap_top_n"], p["cap_level"], p["enforcement_intensity"],
                   p["enforcement_demolition"], p["enforcement_eviction"], p["cap_plan"])

    def on_build(self, model: "MigrationModel") -> None:
        self.planned = {}
        if not self.plan:
            return
        caps = read_plan(self.plan)
        names = model.network.names
        self.planned = {names.index(city): cap for city, cap in caps.items() if city in names}
        if not self.planned:
            raise InputError("<scenario>", "policy.cap.plan",
                             f"{self.plan!r} caps {', '.join(caps)}, none of which is a city of this network; "
                             "allowed: a china network, or plan = '' (cap the top_n largest cities)")

    def issue(self, model: "MigrationModel") -> None:
        c = model.cities
        if self.planned and not np.isfinite(c.cap).any():  # decree: the plan's caps
            for city, cap in self.planned.items():
                c.cap[city] = cap
        elif not np.isfinite(c.cap).any():  # decree: fix caps at this year's sizes
            size = np.where(model.network.cities, model.city_population(), -1.0)  # towns nodes are not cities
            capped = np.argsort(-size, kind="stable")[: self.top_n]
            c.cap[capped] = self.level * size[capped]

    def govern(self, model: "MigrationModel") -> None:
        c = model.cities
        c.enforcement = government.cap_enforcement(model.city_population(), c.cap, c.compliance, self.intensity)
        government.demolish(model.villagers, c.enforcement, self.demolition)
        government.evict(model.migrants, c.enforcement, self.eviction, model.city_population(), c.cap, model.rng)

    def _refuse_share(self, model: "MigrationModel", inflow: np.ndarray) -> np.ndarray:
        """Share of the newcomers ``inflow`` (people, per city) a capped city refuses: what exceeds the room left
        under its cap, as far as intensity and compliance carry the rule."""
        c = model.cities
        room = np.maximum(c.cap - model.city_population(), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            excess = np.where(np.isfinite(c.cap) & (inflow > 0), 1.0 - room / np.maximum(inflow, 1e-300), 0.0)
        return self.intensity * c.compliance * np.clip(excess, 0.0, 1.0)

    def admit_movers(self, model: "MigrationModel", arriving: np.ndarray) -> np.ndarray:
        """Capped cities grant residence permits to urban-hukou newcomers too only up to the room left."""
        refuse = self._refuse_share(model, arriving)
        model.refused_entry += refuse * arriving
        return 1.0 - refuse

    def filter_moves(self, model: "MigrationModel", rows: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Capped cities issue residence permits only up to the room left under the cap; the
        newcomers refused stay where they are (the evicted go home)."""
        m, C = model.migrants, model.n_cities
        here = m.location[rows]
        new = (destination != here) & (destination >= 0)
        inflow = np.bincount(destination[new], weights=m.weight[rows][new], minlength=C)
        refuse_share = self._refuse_share(model, inflow)
        refused = new & (model.rng.random(len(rows)) < refuse_share[np.maximum(destination, 0)])
        model.refused_entry += np.bincount(destination[refused], weights=m.weight[rows][refused], minlength=C)
        fallback = np.where(m.evicted[rows], HOME, here)
        return np.where(refused, fallback, destination)

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        # enforcing a cap drives people, and their output, away: the loss is the enforced share
        return model.cities.enforcement * self.intensity
