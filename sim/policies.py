"""Central policies: small composable objects configured from the scenario.

Each policy, once its start year has come, issues a directive to local governments each year
(``apply``).  Local governments (:mod:`sim.government`) carry directives out in proportion to
their compliance, which rises with a lag and under central pressure.  The neutral policy is
no policy: an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import MigrationModel


@dataclass
class Policy:
    start_year: int

    def active(self, model: "MigrationModel") -> bool:
        return model.year >= self.start_year

    def apply(self, model: "MigrationModel") -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        """Share of each city's GDP the directive costs it (drives resistance); none by default."""
        return np.zeros(model.n_cities)


@dataclass
class HukouCap(Policy):
    """Beijing-style caps: the top_n largest cities may not grow past level x their size at decree."""

    top_n: int = 4
    level: float = 1.0
    intensity: float = 0.6

    def apply(self, model: "MigrationModel") -> None:
        c = model.cities
        if not np.isfinite(c.cap).any():  # decree: fix caps at this year's sizes
            size = model.city_population()
            capped = np.argsort(-size, kind="stable")[: self.top_n]
            c.cap[capped] = self.level * size[capped]

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        # enforcing a cap drives people, and their output, away: the loss is the enforced share
        return model.cities.enforcement * self.intensity


@dataclass
class HukouReform(Policy):
    """Equal public services for residents whatever their hukou, and faster conversion."""

    conversion_rate: float = 0.05

    def apply(self, model: "MigrationModel") -> None:
        model.equal_services = True
        model.extra_conversion = self.conversion_rate


@dataclass
class Decentralization(Policy):
    """Move formal jobs (industry) and service budgets from the largest cities to medium and small ones."""

    rate: float = 0.0
    rule: str = "by_size"
    from_top_n: int = 4
    to_min_rank: int = 20
    services: bool = True
    last_sources: np.ndarray | None = field(default=None, init=False)  # cities that gave up jobs last year

    def _shares(self, model: "MigrationModel", sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """(len(sources), len(targets)) shares of each source's transfer going to each target."""
        size = model.city_population()[targets]
        if self.rule == "uniform":
            w = np.ones((len(sources), len(targets)))
        elif self.rule == "by_size":
            w = np.tile(size, (len(sources), 1))
        else:  # nearest: halve the weight every information_distance km
            km = model.network.distance_km[np.ix_(sources, targets)]
            w = size[None, :] * np.exp2(-km / model.p["information_distance"])
        return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)

    def apply(self, model: "MigrationModel") -> None:
        c = model.cities
        order = np.argsort(-np.where(c.active, model.city_population(), -1.0), kind="stable")
        sources = order[: self.from_top_n]
        targets = order[self.to_min_rank - 1:]
        targets = targets[c.active[targets]]
        if len(targets) == 0 or self.rate <= 0:
            return
        shares = self._shares(model, sources, targets)
        # a source moves what its compliance lets through
        moved_jobs = self.rate * c.compliance[sources] * c.formal_jobs[sources]
        c.formal_jobs[sources] -= moved_jobs
        np.add.at(c.formal_jobs, targets, (moved_jobs[:, None] * shares).sum(axis=0))
        if self.services:
            moved_budget = self.rate * c.compliance[sources] * c.service_budget[sources]
            c.service_shift[sources] -= moved_budget
            np.add.at(c.service_shift, targets, (moved_budget[:, None] * shares).sum(axis=0))
        self.last_sources = sources

    def gdp_cost(self, model: "MigrationModel") -> np.ndarray:
        cost = np.zeros(model.n_cities)
        if self.last_sources is not None:
            cost[self.last_sources] = self.rate
        return cost


@dataclass
class NewCity(Policy):
    """Found a new city beside the capital and relocate part of its functions there each year (Xiongan)."""

    city: int = -1  # index of the (initially inactive) new city
    capital: int = 0
    relocation_rate: float = 0.05
    initial_population: float = 1e5

    def apply(self, model: "MigrationModel") -> None:
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


def policies_from_params(p: Mapping[str, Any], new_city: int = -1, capital: int = 0) -> list[Policy]:
    """The scenario's policies, in the order they act each year."""
    out: list[Policy] = []
    if p["cap_enabled"]:
        out.append(HukouCap(p["cap_start_year"], p["cap_top_n"], p["cap_level"], p["enforcement_intensity"]))
    if p["reform_enabled"]:
        out.append(HukouReform(p["reform_start_year"], p["reform_conversion_rate"]))
    if p["decentralization_rate"] > 0:
        out.append(Decentralization(p["decentralization_start_year"], p["decentralization_rate"],
                                    p["decentralization_rule"], p["decentralization_from_top_n"],
                                    p["decentralization_to_min_rank"], p["decentralization_services"]))
    if p["new_city_enabled"]:
        out.append(NewCity(p["new_city_founded_year"], new_city, capital, p["new_city_relocation_rate"]))
    return out
