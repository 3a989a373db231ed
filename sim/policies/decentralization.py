"""Decentralized urbanization (seed 000): move industry and public services from the largest cities
to medium and small ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .base import Policy, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


@register("decentralization")
@dataclass
class Decentralization(Policy):
    """Move formal jobs (industry) and service budgets from the largest cities to medium and small ones."""

    rate: float = 0.0
    rule: str = "by_size"
    from_top_n: int = 4
    to_min_rank: int = 20
    services: bool = True
    last_sources: np.ndarray | None = field(default=None, init=False)  # cities that gave up jobs last year
    directive = True
    title = "Decentralization: jobs and services moved to medium and small cities"
    source = "seed 000 (decentralized urbanization)"

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> "Decentralization | None":
        if p["decentralization_rate"] <= 0:
            return None
        return cls(p["decentralization_start_year"], p["decentralization_rate"], p["decentralization_rule"],
                   p["decentralization_from_top_n"], p["decentralization_to_min_rank"],
                   p["decentralization_services"])

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

    def issue(self, model: "MigrationModel") -> None:
        c = model.cities
        # rank cities by size; towns nodes (many small places) rank by their size per place
        order = np.argsort(-np.where(c.active, model.settlement_size(), -1.0), kind="stable")
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
