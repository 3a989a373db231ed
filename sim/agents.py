"""The model's agents.  Their state lives in arrays owned by the model (see :mod:`sim.state`)
so that large runs are vectorised; each Mesa agent is a named view on its row (registered when the model's
agents are first read), and
:meth:`Migrant.utility` is the readable, one-at-a-time reference of the migration rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import mesa
import numpy as np

from .migration import NOISE_FLOOR
from .state import HOME, HOUSING_NAMES, JOB_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .model import MigrationModel


class _RowAgent(mesa.Agent):
    """An agent whose state is row ``index`` of one of the model's arrays."""

    _fields: tuple[str, ...] = ()
    model: "MigrationModel"

    def __init__(self, model: "MigrationModel", index: int):
        super().__init__(model)
        self.index = index

    def state(self) -> dict:
        return {f: getattr(self, f) for f in self._fields}


def _column(array_name: str, column: str, cast=float):
    def get(self):
        return cast(getattr(getattr(self.model, array_name), column)[self.index])
    return property(get, doc=f"Row value of {array_name}.{column}.")


class Migrant(_RowAgent):
    """Rural-hukou people who may move between their rural origin and cities (weight people)."""

    _fields = ("origin", "location", "weight", "skill", "urban_hukou", "job", "housing", "earnings",
               "income", "savings", "debt", "health", "years_in_city", "household")
    origin = _column("migrants", "origin", int)
    location = _column("migrants", "location", int)  # HOME (-1) or a city index
    weight = _column("migrants", "weight")  # people
    skill = _column("migrants", "skill")
    urban_hukou = _column("migrants", "urban_hukou", bool)
    savings = _column("migrants", "savings")  # yuan per person
    debt = _column("migrants", "debt")  # yuan per person, medical debt still to repay
    household = _column("migrants", "household", int)  # row of model.households
    earnings = _column("migrants", "earnings")  # yuan/year per person
    income = _column("migrants", "income")  # yuan/year per person, disposable
    health = _column("migrants", "health")
    years_in_city = _column("migrants", "years_in_city", int)

    @property
    def job(self) -> str:
        return JOB_NAMES[int(self.model.migrants.job[self.index])]

    @property
    def housing(self) -> str:
        return HOUSING_NAMES[int(self.model.migrants.housing[self.index])]

    # --- reference decision: one agent, one place at a time -----------------------------
    def utility(self, place: int) -> float:
        """Log utility of living in ``place`` (HOME or a city) next year; see :mod:`sim.migration`."""
        mk = self.model.market
        origin, location = self.origin, self.location
        if place == HOME:
            farm = self.model.households.farm_productivity[self.model.migrants.household[self.index]]
            local = float(self.model.local_earnings(self.index))
            value = (self.skill * self.health * (farm * mk.rural_income[origin] + local)
                     + mk.service_weight * mk.rural_services)
        else:
            if not mk.open[place]:
                return -math.inf
            p = mk.formal_chance[place]
            earnings = self.skill * self.health * (p * mk.formal_wage[place] + (1 - p) * mk.informal_earnings[place])
            if earnings >= mk.housing_threshold * mk.formal_rent[place]:
                rent = mk.formal_rent[place]
            else:
                rent = mk.village_rent[place]
            services = mk.service_weight * mk.migrant_access[place] * mk.services[place]
            value = earnings - rent + (services - mk.living_cost[place])
        if place != location:
            here = origin if location == HOME else location
            there = origin if place == HOME else place
            value -= (mk.fixed_cost + mk.distance_cost * mk.distance_km[here, there]) / mk.cost_horizon
        attachment = mk.home_attachment if place == HOME else 0.0
        return math.log(max(value, 1.0)) + attachment

    def choice_probabilities(self, places: Sequence[int]) -> np.ndarray:
        """Logit probabilities over ``places``: home, the current place, then cities heard of
        (a repeated place counts once, at its first position)."""
        noise = self.model.p["choice_noise"]
        heard = len(places) - 2
        correction = noise * math.log(heard) if heard > 1 else 0.0
        seen: set[int] = set()
        utils = []
        for position, place in enumerate(places):
            u = -math.inf if place in seen else self.utility(place)
            utils.append(u - correction if position >= 2 else u)
            seen.add(place)
        best = max(utils)
        if noise <= NOISE_FLOOR:
            ties = [1.0 if u == best else 0.0 for u in utils]
            return np.array(ties) / sum(ties)
        weights = [math.exp((u - best) / noise) if u > -math.inf else 0.0 for u in utils]
        total = sum(weights)
        return np.array([w / total for w in weights])


class UrbanVillager(_RowAgent):
    """Landless peasants of an urban village: they let rooms to migrants and add floors."""

    _fields = ("city", "weight", "rooms", "extra_rooms", "income", "savings")
    city = _column("villagers", "city", int)
    weight = _column("villagers", "weight")  # people
    rooms = _column("villagers", "rooms")  # authorised bed-spaces
    extra_rooms = _column("villagers", "extra_rooms")  # bed-spaces in unauthorised floors
    income = _column("villagers", "income")  # yuan/year per person
    savings = _column("villagers", "savings")


class LocalGovernment(_RowAgent):
    """One per city: competes for GDP, requisitions land, funds services, enforces caps, complies."""

    _fields = ("name", "population", "gdp", "compliance", "cap", "enforcement", "service_budget")
    gdp = _column("cities", "gdp")  # yuan/year
    compliance = _column("cities", "compliance")
    cap = _column("cities", "cap")  # people (inf = none)
    enforcement = _column("cities", "enforcement")
    service_budget = _column("cities", "service_budget")  # yuan/year

    @property
    def name(self) -> str:
        return self.model.network.names[self.index]

    @property
    def population(self) -> float:
        return float(self.model.city_population()[self.index])
