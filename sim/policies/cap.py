"""Population caps on the largest cities and how local governments enforce them (seed 004: Beijing's
cap of 23 million, demolition of "illegal construction", migrant children excluded from schools)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .. import government
from ..state import HOME
from .base import Policy, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


@register("cap")
@dataclass
class HukouCap(Policy):
    """Beijing-style caps: the top_n largest cities may not grow past level x their size at decree.

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
    directive = True
    title = "Population caps on the largest cities"
    source = "State Council (2014) on strictly controlling megacities; Beijing master plan 2017 (seed 004)"

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> "HukouCap | None":
        if not p["cap_enabled"]:
            return None
        return cls(p["cap_start_year"], p["cap_top_n"], p["cap_level"], p["enforcement_intensity"],
                   p["enforcement_demolition"], p["enforcement_eviction"])

    def issue(self, model: "MigrationModel") -> None:
        c = model.cities
        if not np.isfinite(c.cap).any():  # decree: fix caps at this year's sizes
            size = model.city_population()
            capped = np.argsort(-size, kind="stable")[: self.top_n]
            c.cap[capped] = self.level * size[capped]

    def govern(self, model: "MigrationModel") -> None:
        c = model.cities
        c.enforcement = government.cap_enforcement(model.city_population(), c.cap, c.compliance, self.intensity)
        government.demolish(model.villagers, c.enforcement, self.demolition)
        government.evict(model.migrants, c.enforcement, self.eviction, model.city_population(), c.cap, model.rng)

    def filter_moves(self, model: "MigrationModel", rows: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Capped cities issue residence permits only up to the room left under the cap; the
        newcomers refused stay where they are (the evicted go home)."""
        m, c, C = model.migrants, model.cities, model.n_cities
        here = m.location[rows]
        new = (destination != here) & (destination >= 0)
        inflow = np.bincount(destination[new], weights=m.weight[rows][new], minlength=C)
        room = np.maximum(c.cap - model.city_population(), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            excess = np.where(np.isfinite(c.cap) & (inflow > 0), 1.0 - room / np.maximum(inflow, 1e-300), 0.0)
        refuse_share = self.intensity * c.compliance * np.clip(excess, 0.0, 1.0)
        refused = new & (model.rng.random(len(rows)) < refuse_share[np.maximum(destination, 0)])
        model.refused_entry += np.bincount(destination[refused], weights=m.weight[rows][refused], minlength=C)
        fallback = np.where(m.evicted[rows], HOME, here)
        return np.where(refused, fallback, destination)

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        # enforcing a cap drives people, and their output, away: the loss is the enforced share
        return model.cities.enforcement * self.intensity
