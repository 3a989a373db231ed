"""Agent state kept in arrays (struct of arrays), so that a year of 200,000 migrants is a
handful of numpy operations.  The Mesa agents in :mod:`sim.agents` are views on one row.

Units: people, yuan per year (2010 prices), km, years; health is 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

HOME = -1  # location code of a migrant living in its rural origin

# job codes
NO_JOB, FARMING, FORMAL, INFORMAL, DANGEROUS = 0, 1, 2, 3, 4
JOB_NAMES = {NO_JOB: "none", FARMING: "farming", FORMAL: "formal", INFORMAL: "informal", DANGEROUS: "dangerous"}
# housing codes
OWN_HOME, VILLAGE_ROOM, FORMAL_HOUSING = 0, 1, 2
HOUSING_NAMES = {OWN_HOME: "rural home", VILLAGE_ROOM: "urban-village room", FORMAL_HOUSING: "formal"}


@dataclass
class MigrantArrays:
    """Rural-hukou people (and those converted to local urban hukou), one row per agent."""

    origin: np.ndarray  # int32: hinterland (index of the city whose countryside it is)
    location: np.ndarray  # int32: HOME or city index
    weight: np.ndarray  # float64: people the agent stands for
    skill: np.ndarray  # float64: earnings multiplier, mean 1
    urban_hukou: np.ndarray  # bool: converted to local hukou of the city it lives in
    job: np.ndarray  # int8: job code
    housing: np.ndarray  # int8: housing code
    earnings: np.ndarray  # float64: yuan/year per person, before transfers and costs
    income: np.ndarray  # float64: disposable yuan/year per person (earnings + guarantee - rent - medical)
    savings: np.ndarray  # float64: yuan per person
    debt: np.ndarray  # float64: medical debt still to repay, yuan per person
    household: np.ndarray  # int32: row of the HouseholdArrays this agent belongs to
    health: np.ndarray  # float64: 0..1, multiplies earning capacity
    medical_cost: np.ndarray  # float64: out-of-pocket medical spending this year, yuan per person
    years_in_city: np.ndarray  # int16: years since arriving in the current city
    evicted: np.ndarray  # bool: evicted this year, must leave the current city

    @classmethod
    def empty(cls, n: int) -> "MigrantArrays":
        return cls(
            origin=np.zeros(n, np.int32), location=np.full(n, HOME, np.int32), weight=np.zeros(n),
            skill=np.ones(n), urban_hukou=np.zeros(n, bool), job=np.zeros(n, np.int8),
            housing=np.zeros(n, np.int8), earnings=np.zeros(n), income=np.zeros(n), savings=np.zeros(n),
            debt=np.zeros(n), household=np.zeros(n, np.int32), health=np.ones(n), medical_cost=np.zeros(n), years_in_city=np.zeros(n, np.int16),
            evicted=np.zeros(n, bool),
        )

    def __len__(self) -> int:
        return len(self.weight)

    @property
    def in_city(self) -> np.ndarray:
        return self.location >= 0

    @property
    def floating(self) -> np.ndarray:
        """Living in a city without its hukou: the floating population."""
        return (self.location >= 0) & ~self.urban_hukou


@dataclass
class HouseholdArrays:
    """Rural households: migrant agents who share a farm and pool income (one row per household type).

    Members at home share the household's farm income and the remittances of members away; poverty is
    measured on that pooled income per head, as the NBS household survey measures it.
    """

    farm_productivity: np.ndarray  # float64: multiplier of the hinterland's farm income per person (land, soil)
    targeting: np.ndarray  # float64: uniform 0..1; the guarantee reaches the household when below its coverage
    support: np.ndarray  # float64: targeted poverty-alleviation support, yuan per head a year
    industry_draw: np.ndarray  # float64: uniform 0..1; members at home hold local off-farm jobs when below the share

    def __len__(self) -> int:
        return len(self.farm_productivity)


@dataclass
class VillagerArrays:
    """Urban villagers: landless peasants who kept their residence base and let rooms."""

    city: np.ndarray  # int32
    weight: np.ndarray  # float64: people
    rooms: np.ndarray  # float64: authorised bed-spaces to let (total for the agent)
    extra_rooms: np.ndarray  # float64: bed-spaces in unauthorised added floors
    income: np.ndarray  # float64: yuan/year per person
    savings: np.ndarray  # float64: yuan per person
    founded: np.ndarray  # int16: model year the land was requisitioned
    urban_hukou: np.ndarray  # float64: share of the agent's people holding urban hukou (0..1); the others kept
    # their village's rural hukou (urbanized in place: urban residents, not floating, not urban-hukou)

    @classmethod
    def empty(cls) -> "VillagerArrays":
        return cls(np.zeros(0, np.int32), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0),
                   np.zeros(0, np.int16), np.zeros(0))

    def append(self, other: "VillagerArrays") -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))

    def __len__(self) -> int:
        return len(self.weight)


@dataclass
class CityArrays:
    """City-level state, one entry per city, owned by the local governments."""

    natives: np.ndarray  # people with the city's urban hukou who are not villagers or converted migrants
    formal_jobs: np.ndarray  # formal jobs (people)
    productivity: np.ndarray  # index, 1 at start (decentralization moves it)
    service_shift: np.ndarray  # yuan/year moved into (+) or out of (-) the service budget by decentralization
    service_budget: np.ndarray  # yuan/year spent on schools and hospitals
    gdp: np.ndarray  # yuan/year
    compliance: np.ndarray  # 0..1 compliance with central directives
    cap: np.ndarray  # people; inf where no cap
    enforcement: np.ndarray  # 0..1 effective enforcement this year
    migrant_access: np.ndarray  # 0..1 share of services migrants can use
    active: np.ndarray  # bool: founded (a new city is inactive until its founding year)
    hinterland0: np.ndarray  # people at home in the hinterland at the start (farm labour reference)
    urban_movers: np.ndarray  # people with another city's urban hukou living here (urban-to-urban movers)
