"""A new city beside the capital that takes relocated functions (Xiongan, founded 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..errors import InputError
from .base import Policy, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


@register("new_city")
@dataclass
class NewCity(Policy):
    """Found a new city beside the capital and relocate part of its functions there each year."""

    beside: str = ""  # name of the capital ('' = the largest city)
    distance_km: float = 100.0
    relocation_rate: float = 0.05
    initial_population: float = 1e5
    city: int = -1  # index of the (initially dormant) new city, set when the model is built
    capital: int = 0
    directive = True
    title = "A new city founded beside the capital"
    source = "Xiongan New Area, founded 2017 (seed 004)"

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> "NewCity | None":
        if not p["new_city_enabled"]:
            return None
        return cls(p["new_city_founded_year"], p["new_city_beside"], p["new_city_distance_km"],
                   p["new_city_relocation_rate"])

    def on_build(self, model: "MigrationModel") -> None:
        net = model.network
        if self.beside:
            if self.beside not in net.names:
                raise InputError("<scenario>", "policy.new_city.beside", f"no city named {self.beside!r} in the network")
            self.capital = net.names.index(self.beside)
        else:
            self.capital = int(np.where(net.cities, net.population, -1.0).argmax())
        # south-south-west of the capital, as Xiongan lies from Beijing (a fixed direction keeps the
        # layout reproducible)
        x, y = net.point_near(self.capital, self.distance_km, angle=-2.0)
        model.network = net.with_city("New City", x, y, 0.0, self.capital)
        self.city = model.network.n - 1
        model.dormant_cities.append(self.city)

    def issue(self, model: "MigrationModel") -> None:
        c = model.cities
        if not c.active[self.city]:  # founding: move a first population of officials and their families
            c.active[self.city] = True
            moved = min(self.initial_population, 0.1 * c.natives[self.capital])
            c.natives[self.capital] -= moved
            c.natives[self.city] += moved
            c.formal_jobs[self.city] += model.p["native_employment"] * moved
            c.formal_jobs[self.capital] -= model.p["native_employment"] * moved
        share = self.relocation_rate * c.compliance[self.capital]
        jobs = share * c.formal_jobs[self.capital]
        c.formal_jobs[self.capital] -= jobs
        c.formal_jobs[self.city] += jobs
        budget = share * c.service_budget[self.capital]
        c.service_shift[self.capital] -= budget
        c.service_shift[self.city] += budget

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        cost = np.zeros(model.n_cities)
        cost[self.capital] = self.relocation_rate
        return cost
