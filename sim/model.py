"""MigrationModel: rural-urban migration across a network of Chinese cities under hukou rules.

``step()`` is the yearly schedule of ``docs/model.md`` (ODD+D, "Process overview").  Agent
state lives in arrays (:mod:`sim.state`); the Mesa agents (:mod:`sim.agents`) are views on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from . import economy, government, households, incomes, initial, migration, mobility, rural_industry
from . import outcomes as out
from . import params as P
from .agents import LocalGovernment, Migrant, UrbanVillager
from .errors import InputError
from .network import CityNetwork, network_from_params
from .policies import Rules, policies_from_params
from .scenario import Scenario, check_consistency
from .series import ChinaHistory
from .state import DANGEROUS, FARMING, FORMAL, FORMAL_HOUSING, HOME, INFORMAL, OWN_HOME, VILLAGE_ROOM

NATIVE_GROUPS = 10  # urban-hukou natives of each city are represented by income deciles


class MigrationModel(mesa.Model):
    """Agent-based model of China's rural-urban migration.

    Build it from keyword parameters (every one has a default; see ``sim.params``) plus
    ``rng=``, or from a scenario with :meth:`from_scenario`.
    """

    def __init__(self, rng: Any = None, network: CityNetwork | None = None, scenario_name: str = "custom",
                 base_dir: str | Path | None = None, **params: Any):
        super().__init__(rng=rng)
        self.p = self._validated(params)
        self.scenario_name = scenario_name
        self.network = network if network is not None else self._build_network(base_dir)
        self.start_year = int(self.p["start_year"])
        self.natural_increase = 0.0  # people added by births minus deaths since the start
        self.refused_entry = np.zeros(0)  # people refused entry to each capped city this year
        self.dormant_cities: list[int] = []  # cities a policy founds later (inactive until then)
        self.policies = policies_from_params(self.p)
        for policy in self.policies:
            policy.on_build(self)
        self.n_cities = self.network.n
        p = self.p
        self.history = (ChinaHistory(self.start_year, p["productivity_growth"], p["rural_productivity_growth"],
                                     p["dibao_growth"]) if p["growth_series"] == "china" else None)
        self._initial_state()
        self._create_agents()
        self._set_rules()
        # the initial year: markets clear and incomes are earned, so step 0 has outputs too
        self._fund_services()
        self._update_economy()
        self._assign_jobs()
        self._clear_housing()
        self._settle_incomes(shocks=False)
        self._fund_services()
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, name=name: m._latest[name]) for name in out.COLUMNS})
        self._collect()

    # ------------------------------------------------------------------------- building
    @classmethod
    def from_scenario(cls, scenario: Scenario | str, rng: Any = None, overrides=None) -> "MigrationModel":
        """Build the model a scenario describes (a :class:`Scenario` or a bundled name/path)."""
        from .scenario import load_scenario
        sc = load_scenario(scenario, overrides)
        base = Path(sc.source).parent if sc.source and not sc.source.startswith("<") else None
        return cls(rng=rng, scenario_name=sc.name, base_dir=base, **sc.values)

    @staticmethod
    def _validated(params: dict[str, Any]) -> dict[str, Any]:
        p = P.defaults()
        for name, value in params.items():
            if name not in P.BY_NAME:
                raise InputError("<model>", name, "unknown parameter (see sim.params.PARAMS)")
            p[name] = P.BY_NAME[name].validate(value, "<model>")
        check_consistency(p, "<model>")
        return p

    def _build_network(self, base_dir) -> CityNetwork:
        # the same registry call as `hukou-sim check` and sim.scenario.scenario_network
        return network_from_params(self.p, base_dir)

    def _initial_state(self) -> None:
        start = initial.initial_state(self.p, self.network, self.dormant_cities, self.rng)
        self.migrants, self.households, self.villagers, self.cities = start
        # natives' and villagers' wage incomes relative to the city wage, by decile of a log-normal with mean 1
        self.native_multiplier = households.decile_multipliers(self.p["native_income_dispersion"], NATIVE_GROUPS)
        self.villager_multiplier = households.decile_multipliers(self.p["villager_income_dispersion"], NATIVE_GROUPS)
        self._dirty, self._tally_cache = True, None
        self.initial_population = self.total_population()

    def _create_agents(self) -> None:
        self.governments = [LocalGovernment(self, i) for i in range(self.n_cities)]
        # migrants' and villagers' views are registered when the agents are first asked for (_view_rows): the
        # model never reads them, and 200,000 Mesa registrations cost a tenth of a `china` run
        self._viewed_rows = {Migrant: 0, UrbanVillager: 0}

    def _view_rows(self) -> None:
        """Register a Mesa agent for every migrant and villager row that has none yet."""
        viewed = getattr(self, "_viewed_rows", None)
        if viewed is None:  # mesa.Model.__init__ is still running
            return
        for cls, rows in ((Migrant, len(self.migrants)), (UrbanVillager, len(self.villagers))):
            for i in range(viewed[cls], rows):
                cls(self, i)
            viewed[cls] = rows

    @property
    def agents(self):
        """All agents (Mesa's AgentSet), with a view for every migrant and villager row."""
        self._view_rows()
        return super().agents

    @property
    def agents_by_type(self):
        """Agents by class (Mesa's), with a view for every migrant and villager row."""
        self._view_rows()
        return super().agents_by_type

    # ------------------------------------------------------------------------- schedule
    def step(self) -> None:
        """One year, in the order of docs/model.md's process overview."""
        self._issue_directives()  # central government: caps, reform, decentralization, new city
        self._govern()  # local governments: comply, enforce, requisition land, fund services
        self._update_economy()  # 1-2. productivity, wages, jobs, farm income, rents
        self._migrate()  # 3. movers decide, batch by batch
        self._assign_jobs()  # 1. labour market clears
        self._clear_housing()  # 2. housing choice, village rents, villagers add floors
        self._settle_incomes()  # 4. health shocks, medical costs, guarantees, savings, GDP
        self._convert_hukou()  # 5. points-based admission to local hukou
        self._grow_population()  # demography: natural increase
        self._collect()  # observation

    @property
    def year(self) -> int:
        return self.start_year + int(round(self.time))

    # ------------------------------------------------------------------------- mechanisms
    def _in_force(self) -> list:
        return [x for x in self.policies if x.active(self)]

    def _set_rules(self) -> None:
        """The year's institutions: the scenario's baseline, adjusted by every policy in force."""
        self.rules = Rules.baseline(self.p, self.n_cities)
        for policy in self._in_force():
            policy.set_rules(self, self.rules)

    def _issue_directives(self) -> None:
        self._set_rules()
        self.refused_entry = np.zeros(self.n_cities)
        for policy in self._in_force():
            policy.issue(self)

    def _govern(self) -> None:
        p, c = self.p, self.cities
        in_force = self._in_force()
        directives = [x for x in in_force if x.directive]
        if directives:
            cost = sum(x.gdp_cost(self) for x in directives)
            c.compliance = government.update_compliance(c.compliance, c.active, p["compliance_speed"],
                                                        p["central_pressure"], p["gdp_resistance"], cost)
        c.enforcement = np.zeros(self.n_cities)
        self.migrants.evicted[:] = False
        for policy in in_force:
            policy.govern(self)
        self._dirty = True
        # governments compete for GDP by requisitioning farmland; capped cities shrink construction land instead
        drive = government.gdp_drive(c.gdp, self.city_population(), c.active, p["gdp_competition"])
        new = government.requisition_land(self.migrants, p["land_requisition_rate"] * drive * (1.0 - c.enforcement),
                                          self.n_cities, c.active,
                                          p["rooms_per_villager"], int(round(self.time)),
                                          self.rules.requisition_hukou_share)
        if len(new):
            self.villagers.append(new)
        self._fund_services()

    def _fund_services(self) -> None:
        """Revenue (local taxes and central transfers) pays for schools and hospitals."""
        p, c = self.p, self.cities
        hukou = self.hukou_population()
        revenue = p["tax_rate"] * c.gdp + p["central_transfer"] * self.prices() * hukou
        c.service_budget = np.maximum(p["service_share"] * revenue + c.service_shift, 0.0)
        if self.rules.equal_services:
            c.migrant_access = np.ones(self.n_cities)
        else:
            access = p["migrant_service_access"] + self.rules.migrant_access_gain
            c.migrant_access = np.minimum(access, 1.0) * (1.0 - p["enforcement_school_exclusion"] * c.enforcement)

    def prices(self) -> float:
        """Index of guarantees, medical costs and transfers (1 at the start)."""
        return (1.0 + self.p["dibao_growth"]) ** self.time

    def _growth(self) -> tuple[float, float]:
        """(urban productivity, farm output) relative to the start year: observed series or constant rates."""
        if self.history is not None:
            return self.history.urban_productivity(self.year), self.history.farm_output(self.year)
        t = self.time
        return (1 + self.p["productivity_growth"]) ** t, (1 + self.p["rural_productivity_growth"]) ** t

    def _update_economy(self) -> None:
        p, c = self.p, self.cities
        t = self.time
        if t > 0:
            c.formal_jobs *= 1.0 + p["formal_job_growth"]
        size = self.settlement_size()
        urban_index, farm_index = self._growth()
        self.wage = economy.formal_wage(p["base_wage"] * urban_index, c.productivity, size,
                                        p["reference_city_size"], p["agglomeration_elasticity"],
                                        p["congestion_elasticity"])
        m = self.migrants
        at_home = m.location == HOME
        farmers = np.bincount(m.origin[at_home], weights=m.weight[at_home], minlength=self.n_cities)
        self.rural_income = economy.rural_income(p["rural_income"] * farm_index * self.rules.farm_income_factor,
                                                 farmers, c.hinterland0, p["rural_labour_elasticity"])
        rent_index = (1 + p["rent_growth"]) ** t
        self.formal_rent = economy.formal_rent(p["formal_rent"] * rent_index, size, p["reference_city_size"],
                                               p["formal_rent_elasticity"])
        self._refresh_market()
        # local off-farm work (township and village enterprises): observed jobs over the people at home
        jobs = self.history.rural_industry_jobs(self.year) if self.history is not None else 0.0
        self.industry_share = rural_industry.job_share(jobs, float(m.weight[at_home].sum()))
        # a local job must beat what the labour earns on the land (Lewis): a multiple of farm income per person
        wage = p["rural_industry_wage_ratio"] * self.rural_income
        # fixed for the year (households and origins do not change within it): computed once
        self._local_earnings = rural_industry.local_earnings(self.households.industry_draw[m.household],
                                                             self.industry_share, wage[m.origin])

    def local_earnings(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Off-farm earnings at home of the migrant rows (yuan/year, before skill and health)."""
        return self._local_earnings[rows]

    def _refresh_market(self) -> None:
        """Recompute what migrants see of each city from where everyone is now."""
        p, c, m = self.p, self.cities, self.migrants
        C = self.n_cities
        living, converted, _ = self._tallies()
        seekers = living - converted  # the floating population looks for work
        tenant = (m.housing == VILLAGE_ROOM) & ~m.urban_hukou
        demand = np.bincount(m.location + 1, weights=m.weight * tenant, minlength=C + 1)[1:]
        supply = np.bincount(self.villagers.city, weights=self.villagers.rooms + self.villagers.extra_rooms,
                             minlength=C)
        size = self.city_population()
        hukou = self.hukou_population()
        chance = economy.formal_chance(c.formal_jobs, hukou + c.urban_movers, p["native_employment"], seekers,
                                       p["hukou_job_barrier"])
        informal_share = seekers * (1 - chance) / np.maximum(size, 1.0)
        clearing = p["enforcement_market_clearing"] * c.enforcement
        informal = economy.informal_earnings(self.wage, p["informal_wage_ratio"], informal_share,
                                             p["informal_crowding_elasticity"], clearing)
        self.informal_wage = informal
        rent_index = (1 + p["rent_growth"]) ** self.time
        self.village_rent = economy.village_rent(p["village_rent"] * rent_index, demand, supply,
                                                 p["village_rent_elasticity"], self.formal_rent)
        served = hukou + c.migrant_access * (seekers + c.urban_movers)
        services = np.where(served > 0, c.service_budget / np.maximum(served, 1.0), 0.0)
        self.market = migration.Market(
            formal_chance=chance, formal_wage=self.wage,
            informal_earnings=informal * (1 + p["dangerous_job_share"] * p["dangerous_wage_premium"]),
            formal_rent=self.formal_rent, village_rent=self.village_rent,
            living_cost=np.full(C, p["living_cost"] * rent_index), services=services,
            migrant_access=c.migrant_access, open=c.active.copy(), rural_income=self.rural_income,
            rural_services=p["rural_services"] * self.prices(), distance_km=self.network.distance_km,
            housing_threshold=p["formal_housing_threshold"], service_weight=p["service_weight"],
            home_attachment=p["home_attachment"], fixed_cost=p["fixed_cost"], distance_cost=p["distance_cost"],
            cost_horizon=p["cost_horizon"],
            open_jobs=np.maximum(c.formal_jobs - p["native_employment"] * (hukou + c.urban_movers), 0.0),
            seekers=seekers,
            job_barrier=p["hukou_job_barrier"])

    def _move_between_cities(self) -> None:
        """Urban-hukou people move between cities (sim.mobility), then movers are admitted to local hukou."""
        p, c = self.p, self.cities
        if p["urban_mobility"] <= 0 and self.history is None:  # no graduates' series either: no one moves
            return
        known = np.where(c.active, self.city_population(), 0.0)[None, :] * np.exp2(
            -self.network.distance_km / p["information_distance"])
        amenity = p["service_weight"] * c.migrant_access * self.market.services - self.market.living_cost
        stay_amenity = p["service_weight"] * self.market.services - self.market.living_cost
        value = (self.wage - self.formal_rent + amenity)[None, :] - (
            p["fixed_cost"] + p["distance_cost"] * self.network.distance_km) / p["cost_horizon"]
        np.fill_diagonal(value, self.wage - self.formal_rent + stay_amenity)
        shares = mobility.destination_shares(value, known, p["choice_noise"])
        # the year's graduates choose a city to work in besides the share that reconsiders (observed series)
        graduates = self.history.graduates(self.year) if self.history is not None else 0.0
        rate = mobility.reconsider_share(p["urban_mobility"], p["graduate_mobility"] * graduates,
                                         float(c.natives.sum() + c.urban_movers.sum()), self.rules.urban_mobility_block)
        flow_natives, flow_movers = mobility.flows(c.natives, c.urban_movers, shares, rate)
        admitted = np.ones(self.n_cities)
        for policy in self._in_force():
            admitted *= policy.admit_movers(self, flow_natives.sum(axis=0) + flow_movers.sum(axis=0))
        c.natives, c.urban_movers = mobility.move(c.natives, c.urban_movers, flow_natives, flow_movers, admitted)
        self._dirty = True

    def _migrate(self) -> None:
        self._move_between_cities()
        p, m, rng = self.p, self.migrants, self.rng
        deciders = (m.weight > 0) & ~m.urban_hukou
        # those too ill to work in the city go home (return migration)
        sick = deciders & (m.location != HOME) & (m.health < p["return_health_threshold"])
        self._move(np.flatnonzero(sick), np.full(int(sick.sum()), HOME, np.int32))
        revising = deciders & ~sick & ((rng.random(len(m)) < p["revision_rate"]) | m.evicted)
        movers = np.flatnonzero(revising)
        rng.shuffle(movers)
        # what each mover has heard of is fixed for the year; the markets they see are not
        candidates = self.candidates(movers)
        in_force = self._in_force()
        for k, batch in enumerate(np.array_split(np.arange(len(movers)), p["decision_rounds"])):
            if len(batch) == 0:
                continue
            if k > 0:
                self._refresh_market()
            rows, cand = movers[batch], candidates[batch]
            u = migration.utilities(self.market, m.skill[rows], m.health[rows], m.origin[rows], m.location[rows], cand,
                                    p["choice_noise"], self.households.farm_productivity[m.household[rows]],
                                    self.local_earnings(rows))
            # the evicted may not stay in (or return to) the city that evicted them
            u[m.evicted[rows][:, None] & (cand == m.location[rows][:, None]) & (cand != HOME)] = -np.inf
            choice = migration.choose(u, p["choice_noise"], rng)
            # movers into the same city enter one after another, each seeing the job chance the others leave
            choice = migration.crowded_entry(self.market, u, choice, cand, m.location[rows], m.weight[rows],
                                             m.skill[rows], m.health[rows], p["choice_noise"], rng)
            destination = cand[np.arange(len(rows)), choice]
            if self.rules.movement_block > 0:
                destination = self._control_movement(rows, destination)
            for policy in in_force:
                destination = policy.filter_moves(self, rows, destination)
            self._move(rows, destination)

    def _control_movement(self, rows: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Movement controls (grain rations, custody and repatriation) keep a share of would-be leavers
        at home; dated reforms lift them (``Rules.movement_block``)."""
        m = self.migrants
        leaving = (m.location[rows] == HOME) & (destination != HOME)
        stopped = leaving & (self.rng.random(len(rows)) < self.rules.movement_block)
        return np.where(stopped, HOME, destination)

    def candidates(self, rows: np.ndarray) -> np.ndarray:
        """Places agents ``rows`` consider: home, where they are, and cities they have heard of
        (by size and distance from their origin: chain migration)."""
        m = self.migrants
        sampler = migration.candidate_sampler(self.city_population(), self.cities.active,
                                              self.network.distance_km, self.p["information_distance"])
        heard = migration.sample_candidates(sampler, m.origin[rows], self.p["candidates"], self.rng)
        return np.column_stack([np.full(len(rows), HOME, np.int32), m.location[rows], heard])

    def _move(self, rows: np.ndarray, destination: np.ndarray) -> None:
        m = self.migrants
        moved = rows[destination != m.location[rows]]
        if not self._dirty and len(moved):  # keep the tallies current without a full recount
            living = self._tally_cache[0]
            C = self.n_cities
            living -= np.bincount(m.location[moved] + 1, weights=m.weight[moved], minlength=C + 1)[1:]
            living += np.bincount(destination[destination != m.location[rows]] + 1,
                                  weights=m.weight[moved], minlength=C + 1)[1:]
            if m.urban_hukou[moved].any():  # movers are floating; a converted one would change hukou tallies
                self._dirty = True
        m.location[rows] = destination
        m.years_in_city[moved] = 0
        m.housing[moved] = np.where(m.location[moved] == HOME, OWN_HOME, VILLAGE_ROOM)

    def _assign_jobs(self) -> None:
        p, m = self.p, self.migrants
        in_city = m.location != HOME
        loc = np.maximum(m.location, 0)
        chance = self.market.formal_chance[loc]
        draw = self.rng.random(len(m))
        danger_cut = chance + (1 - chance) * p["dangerous_job_share"]
        job = np.where(draw < chance, FORMAL, np.where(draw < danger_cut, DANGEROUS, INFORMAL))
        job = np.where(m.urban_hukou, FORMAL, job)
        m.job = np.where(in_city, job, FARMING).astype(np.int8)
        pay = np.zeros((DANGEROUS + 1, self.n_cities))  # yuan/year by job code and city; no wage at home
        pay[FORMAL], pay[INFORMAL] = self.wage, self.informal_wage
        pay[DANGEROUS] = self.informal_wage * (1 + p["dangerous_wage_premium"])
        wage = pay[m.job, loc]
        farm = self.rural_income[m.origin] * self.households.farm_productivity[m.household] + self.local_earnings()
        m.earnings = np.where(in_city, wage, farm) * m.skill * m.health

    def _clear_housing(self) -> None:
        p, m, v, c = self.p, self.migrants, self.villagers, self.cities
        floating = m.floating
        loc = np.maximum(m.location, 0)
        formal = m.urban_hukou | (m.earnings >= p["formal_housing_threshold"] * self.formal_rent[loc])
        m.housing = np.where(m.location == HOME, OWN_HOME,
                             np.where(formal, FORMAL_HOUSING, VILLAGE_ROOM)).astype(np.int8)
        tenants = floating & (m.housing == VILLAGE_ROOM)
        C = self.n_cities
        demand = np.bincount(m.location[tenants], weights=m.weight[tenants], minlength=C)
        supply = np.bincount(v.city, weights=v.rooms + v.extra_rooms, minlength=C)
        rent_index = (1 + p["rent_growth"]) ** self.time
        self.village_rent = economy.village_rent(p["village_rent"] * rent_index, demand, supply,
                                                 p["village_rent_elasticity"], self.formal_rent)
        self.occupancy = np.where(supply > 0, demand / np.maximum(supply, 1e-12), 0.0)
        # villagers add (unauthorised) floors when rooms are nearly full, less where caps are enforced
        build = p["floor_building_rate"] * np.clip((self.occupancy - 0.9) / 0.3, 0.0, 1.0) * (1 - c.enforcement)
        v.extra_rooms += build[v.city] * p["rooms_per_floor"] * v.weight

    def _settle_incomes(self, shocks: bool = True) -> None:
        incomes.settle(self, shocks)

    def _convert_hukou(self) -> None:
        c, p = self.cities, self.p
        rate = p["hukou_conversion_rate"] * (1.0 - c.enforcement) + self.rules.conversion_extra
        government.convert_hukou(self.migrants, rate, self.n_cities, self.rng)
        government.convert_villages(self.villagers, rate + self.rules.village_conversion_extra)
        c.natives, c.urban_movers = mobility.admit(c.natives, c.urban_movers, rate)
        self._dirty = True

    def _grow_population(self) -> None:
        p, m, v, c = self.p, self.migrants, self.villagers, self.cities
        self._dirty = True
        before = self.total_population()
        rural, urban = p["rural_growth"], p["urban_growth"]
        if self.history is not None:  # the NBS natural growth rate, the same for rural and urban hukou
            rural = urban = self.history.natural_growth(self.year, p["rural_growth"])
        m.weight *= np.where(m.urban_hukou, 1 + urban, 1 + rural)
        v.weight *= 1 + urban
        c.natives *= 1 + urban
        c.urban_movers *= 1 + urban
        self.natural_increase += self.total_population() - before

    def _collect(self) -> None:
        self._latest = out.compute(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------------- queries
    def _tallies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per city: migrants living there, converted ones among them, villagers (people).

        Cached until agents move, convert, grow or are created (``_dirty``)."""
        if self._dirty or self._tally_cache is None:
            m, C = self.migrants, self.n_cities
            slot = m.location + 1  # slot 0 is "at home"
            living = np.bincount(slot, weights=m.weight, minlength=C + 1)[1:]
            converted = np.bincount(slot, weights=m.weight * m.urban_hukou, minlength=C + 1)[1:]
            villagers = np.bincount(self.villagers.city, weights=self.villagers.weight, minlength=C)
            self._tally_cache = (living, converted, villagers)
            self._dirty = False
        return self._tally_cache

    def city_population(self) -> np.ndarray:
        """Residents of each city (people): natives, villagers and migrants living there."""
        living, _, villagers = self._tallies()
        return self.cities.natives + self.cities.urban_movers + villagers + living

    def settlement_size(self) -> np.ndarray:
        """People per settlement (people): a city's residents; a towns node's residents over its places.

        The size that wages, rents and the city-size rules of policies see (a province's county towns
        are many small places, not one city of their summed size)."""
        return self.city_population() / self.network.places

    def hukou_population(self) -> np.ndarray:
        """Urban-hukou residents of each city (people): natives, villagers and converted migrants."""
        _, converted, villagers = self._tallies()
        return self.cities.natives + villagers + converted

    def total_population(self) -> float:
        c = self.cities
        return float(c.natives.sum() + c.urban_movers.sum() + self.villagers.weight.sum() + self.migrants.weight.sum())

    def metrics(self) -> dict[str, float]:
        """The current outputs (see :data:`sim.outcomes.COLUMNS` for names and units)."""
        return dict(self._latest)

    def run(self, steps: int | None = None) -> "MigrationModel":
        """Advance ``steps`` years (default: the scenario's)."""
        for _ in range(self.p["steps"] if steps is None else steps):
            self.step()
        return self

