"""The parameter schema: every model parameter, typed, bounded, with a unit and a line of documentation.

Scenario files (TOML) group parameters in sections (``[economy]``, ``[policy.cap]``, ...).
Each parameter has a dotted *key* (``economy.agglomeration_elasticity``) used in files and
``--set`` overrides, and a unique flat *name* (``agglomeration_elasticity``) used as a keyword
argument of :class:`sim.MigrationModel`.  Money is in yuan per year at 2010 prices unless said
otherwise; rates are per year (one model step is one year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InputError


@dataclass(frozen=True)
class Param:
    key: str  # dotted key in scenario files, e.g. "economy.base_wage"
    type: type  # int, float, bool or str
    default: Any
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """Keyword-argument name of the model (the last part of the key)."""
        # Network and policy keys keep their section ("network_seed", "cap_level") so that
        # names stay unambiguous and never clash with Mesa's own keywords (seed, rng).
        if self.key.startswith("policy."):
            return self.key[len("policy."):].replace(".", "_")
        if self.key.startswith("network."):
            return self.key.replace(".", "_")
        return self.key.rsplit(".", 1)[-1]

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0]

    def allowed(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        kind = {int: "an integer", float: "a number", str: "a string"}[self.type]
        if self.low is not None and self.high is not None:
            return f"{kind} from {self.low:g} to {self.high:g}"
        if self.low is not None:
            return f"{kind} >= {self.low:g}"
        return kind

    def validate(self, value: Any, source: str) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise :class:`InputError`."""
        bad = InputError(source, self.key, f"got {value!r}; expected {self.allowed()} ({self.doc})")
        if self.type is bool:
            if isinstance(value, bool):
                return value
            raise bad
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise bad
        elif self.type is str:
            if not isinstance(value, str):
                raise bad
            if self.choices is not None and value not in self.choices:
                raise bad
            return value
        if self.low is not None and value < self.low:
            raise bad
        if self.high is not None and value > self.high:
            raise bad
        return value


P = Param


def _event(key: str, year: int, what: str) -> tuple[Param, Param]:
    """The two fields every dated reform has: whether the scenario includes it, and its year."""
    return (P(f"policy.{key}.enabled", bool, False, "-", f"{what} (a dated reform; off unless enabled)"),
            P(f"policy.{key}.start_year", int, year, "year", "Year it comes into force.", 1900, 2200))


PARAMS: tuple[Param, ...] = (
    # --- simulation -------------------------------------------------------------------
    P("simulation.start_year", int, 1982, "year", "Calendar year of the initial state (step 0).", 1900, 2100),
    P("simulation.steps", int, 40, "years", "Default number of yearly steps to run.", 1, 500),
    P("simulation.n_agents", int, 20_000, "agents",
      "Migrant agents (rural-hukou people at home or away); each stands for rural population / n_agents people.",
      10, 5_000_000),
    P("simulation.decision_rounds", int, 4, "rounds/year",
      "Batches in which the year's movers decide, each seeing the markets left by the batches before "
      "(approximates asynchronous updating and damps cobweb swings).", 1, 100),
    # --- network ----------------------------------------------------------------------
    P("network.kind", str, "synthetic", "-",
      "City network: a seeded synthetic tiered system, China's real cities (GeoNames), or a user file.",
      choices=("synthetic", "china", "file")),
    P("network.n_cities", int, 30, "cities",
      "Number of cities (synthetic: generated; china: the N largest, all if N exceeds them).", 1, 5000),
    P("network.path", str, "", "-", "GraphML or nodes CSV file for kind = 'file' (relative to the scenario file)."),
    P("network.overrides", str, "", "-", "China only: CSV table of census corrections to GeoNames ('' = the "
      "packaged table, 'none' = GeoNames as shipped; relative to the scenario file)."),
    P("network.towns", bool, False, "-", "China only: add one node per province for its urban people below the "
      "network's cities (county towns; 2020 census less the cities), so the cities hold their census share."),
    P("network.neighbours", int, 4, "edges/city", "Each city is linked to this many nearest cities.", 1, 50),
    P("network.zipf_exponent", float, 1.0, "-", "Synthetic only: zeta of the rank-size rule the sizes follow.", 0.3, 3.0),
    P("network.largest_city", float, 20e6, "people", "Synthetic only: population of the largest city.", 1e3, 1e9),
    P("network.extent_km", float, 2000.0, "km", "Synthetic only: side of the square the cities are placed in.", 1.0, 20_000.0),
    P("network.seed", int, 0, "-", "Synthetic only: seed of the city layout (fixed across replications).", 0, 2**31 - 1),
    # --- population -------------------------------------------------------------------
    P("population.total_population", float, 1.0e9, "people", "Total population at the start year.", 1.0, 1e10),
    P("population.urban_share", float, 0.21, "share", "Share of the population living in cities at the start.", 0.0, 1.0),
    P("population.initial_migrant_share", float, 0.03, "share",
      "Share of the urban population that are rural-hukou migrants at the start.", 0.0, 1.0),
    P("population.villager_share", float, 0.04, "share",
      "Share of the urban population that are urban villagers at the start.", 0.0, 1.0),
    P("population.rural_growth", float, 0.006, "1/year",
      "Natural growth rate of rural-hukou people (with the 'china' series: the NBS rate, for all, instead).", -0.1, 0.1),
    P("population.urban_growth", float, 0.004, "1/year",
      "Natural growth rate of urban-hukou people (with the 'china' series: the NBS rate instead).", -0.1, 0.1),
    P("population.hinterland_exponent", float, 0.5, "-",
      "Rural population of a city's hinterland is proportional to city size to this power.", 0.0, 2.0),
    # --- economy ----------------------------------------------------------------------
    P("economy.base_wage", float, 2400.0, "yuan/year",
      "Formal urban wage at the start in a city of the reference size.", 0.0, 1e7),
    P("economy.reference_city_size", float, 1.0e6, "people", "City size at which agglomeration adds nothing.", 1.0, 1e9),
    P("economy.agglomeration_elasticity", float, 0.06, "-", "Elasticity of urban productivity with city size.", 0.0, 0.5),
    P("economy.congestion_elasticity", float, 0.0, "-",
      "Elasticity of a city's productivity loss to size (pollution, commuting); Au-Henderson's inverted U.", 0.0, 0.5),
    P("economy.productivity_growth", float, 0.07, "1/year",
      "Growth of urban productivity (TFP) in years the growth series does not cover.", -0.2, 0.5),
    P("economy.growth_series", str, "none", "-",
      "Observed yearly series that drive growth (sim/data/series): 'china' = NBS urban income, primary-sector "
      "value added and CPI indices; 'none' = the constant growth rates.", choices=("none", "china")),
    P("economy.rural_income", float, 1100.0, "yuan/year", "Rural income per person at the start.", 0.0, 1e7),
    P("economy.rural_productivity_growth", float, 0.05, "1/year",
      "Growth of agricultural output in years the growth series does not cover.", -0.2, 0.5),
    P("economy.rural_labour_elasticity", float, 0.3, "-",
      "Elasticity of farm output to farm labour; < 1 means surplus labour (leaving raises income of those who stay), 1 means a fixed rural wage.",
      0.0, 1.0),
    P("economy.formal_jobs_per_resident", float, 0.44, "jobs/person",
      "Formal jobs per urban resident at the start, before natives take theirs.", 0.0, 10.0),
    P("economy.formal_job_growth", float, 0.04, "1/year", "Growth of formal jobs from industrial investment.", -0.2, 0.5),
    P("economy.native_employment", float, 0.45, "jobs/person", "Formal jobs held per urban-hukou resident.", 0.0, 1.0),
    P("economy.rural_industry_wage_ratio", float, 2.0, "-",
      "Wage of local off-farm work (township and village enterprises) relative to farm income per person in its "
      "hinterland: what it must pay to draw labour off the land (Lewis); the number of such jobs is the NBS series "
      "(growth_series = 'china' only).", 0.0, 10.0),
    P("economy.informal_wage_ratio", float, 0.6, "-",
      "Informal earnings as a share of the formal wage (0 = no informal sector: urban unemployment).", 0.0, 2.0),
    P("economy.informal_crowding_elasticity", float, 0.2, "-",
      "How fast informal earnings fall as the informal sector's share of a city grows.", 0.0, 2.0),
    P("economy.dangerous_wage_premium", float, 0.3, "share", "Extra pay of dirty, dangerous jobs over informal ones.", 0.0, 5.0),
    P("economy.dangerous_job_share", float, 0.3, "share", "Share of informal workers in dirty, dangerous jobs.", 0.0, 1.0),
    P("economy.skill_dispersion", float, 0.4, "-", "Log-normal sigma of migrants' skill (earnings multiplier).", 0.0, 3.0),
    P("economy.native_income_dispersion", float, 0.5, "-", "Log-normal sigma of urban-hukou incomes within a city.", 0.0, 3.0),
    P("economy.villager_wage_ratio", float, 0.5, "-", "Urban villagers' wage (taxis, sanitation) as a share of the formal wage.", 0.0, 2.0),
    P("economy.labour_share", float, 0.5, "share", "Labour's share of output (GDP = wages / labour share).", 0.05, 1.0),
    # --- housing ----------------------------------------------------------------------
    P("housing.formal_rent", float, 600.0, "yuan/year",
      "Formal rent per person at the start in a city of the reference size.", 0.0, 1e7),
    P("housing.formal_rent_elasticity", float, 0.4, "-", "Elasticity of formal rents with city size (crowding).", 0.0, 3.0),
    P("housing.village_rent", float, 250.0, "yuan/year",
      "Urban-village rent per person when rooms are exactly full.", 0.0, 1e7),
    P("housing.village_rent_elasticity", float, 1.0, "-", "Elasticity of urban-village rent with occupancy (demand/supply).", 0.0, 5.0),
    P("housing.rooms_per_villager", float, 1.0, "bed-spaces/person", "Rooms villagers have to let at the start, per villager.", 0.0, 100.0),
    P("housing.floor_building_rate", float, 0.2, "1/year",
      "Largest share of villagers who add a floor in a year when rooms are full.", 0.0, 1.0),
    P("housing.rooms_per_floor", float, 0.5, "bed-spaces/person", "Bed-spaces a new floor adds, per villager.", 0.0, 100.0),
    P("housing.formal_housing_threshold", float, 4.0, "-",
      "Migrants rent formal housing once earnings exceed this multiple of formal rent (else an urban-village room).", 0.0, 100.0),
    P("housing.rent_growth", float, 0.07, "1/year", "Growth of rents with incomes.", -0.2, 0.5),
    # --- migration --------------------------------------------------------------------
    P("migration.revision_rate", float, 0.1, "1/year", "Share of migrants who reconsider where to live each year.", 0.0, 1.0),
    P("migration.choice_noise", float, 0.4, "log-income",
      "Scale of idiosyncratic taste in the logit choice; 0 = pure expected-income maximisation.", 0.0, 10.0),
    P("migration.candidates", int, 6, "cities", "Cities a migrant considers (sampled by size and distance, chain migration).", 1, 100),
    P("migration.information_distance", float, 800.0, "km", "Distance over which knowledge of a city halves.", 1.0, 1e5),
    P("migration.distance_cost", float, 0.5, "yuan/km", "One-off cost of moving per km.", 0.0, 1e5),
    P("migration.fixed_cost", float, 300.0, "yuan", "One-off cost of any move.", 0.0, 1e7),
    P("migration.cost_horizon", float, 5.0, "years", "Years over which a migrant spreads one-off moving costs.", 0.1, 100.0),
    P("migration.living_cost", float, 300.0, "yuan/year", "Extra cost of living in a city (food, transport), at start prices.", 0.0, 1e7),
    P("migration.hukou_job_barrier", float, 0.4, "share",
      "Cut in a rural-hukou worker's chance of a formal job (employer and rule discrimination).", 0.0, 1.0),
    P("migration.service_weight", float, 1.0, "-",
      "Weight migrants give to the yuan value of public services (schools, hospitals) they can use.", 0.0, 10.0),
    P("migration.home_attachment", float, 0.3, "log-income", "Utility bonus of living at home with family and land.", 0.0, 10.0),
    P("migration.movement_control", float, 0.9, "share",
      "Share of rural people's moves to cities blocked by hukou movement controls in the start year; dated "
      "reforms ([policy.market_towns], [policy.temporary_residence], [policy.grain_rationing_end], "
      "[policy.custody_end]) lift them.", 0.0, 1.0),
    P("migration.urban_mobility", float, 0.0, "1/year",
      "Share of urban-hukou people (natives and urban movers) who reconsider which city to live in each year.",
      0.0, 1.0),
    P("migration.graduate_mobility", float, 1.0, "people/graduate",
      "People who choose a city each year per graduate of higher education that year (graduates, and the young "
      "workers and families who move as they do); with the graduates' series (growth_series = 'china') only.",
      0.0, 100.0),
    P("migration.work_unit_tie", float, 0.0, "share",
      "Share of urban-hukou people's moves between cities stopped in the start year because housing, job and "
      "rations came with the work unit; the urban housing reform ([policy.housing_reform]) ends it.", 0.0, 1.0),
    P("migration.return_health_threshold", float, 0.5, "health",
      "Migrants whose health is below this return home (they cannot work in the city).", 0.0, 1.0),
    # --- health and social protection ---------------------------------------------------
    P("health.dangerous_injury_rate", float, 0.05, "1/year", "Yearly chance of a serious injury or illness in a dangerous job.", 0.0, 1.0),
    P("health.baseline_illness_rate", float, 0.01, "1/year", "Yearly chance of a serious illness for anyone else.", 0.0, 1.0),
    P("health.medical_cost", float, 8000.0, "yuan", "Cost of treating a serious episode, at start prices.", 0.0, 1e8),
    P("health.urban_reimbursement", float, 0.7, "share", "Share reimbursed by urban medical insurance (urban hukou or formal job).", 0.0, 1.0),
    P("health.rural_reimbursement", float, 0.3, "share",
      "Share of medical bills reimbursed for rural hukou holders before [policy.rural_medical_scheme].", 0.0, 1.0),
    P("health.health_loss", float, 0.4, "health", "Health lost in a serious episode (health is 0..1).", 0.0, 1.0),
    P("health.recovery_rate", float, 0.3, "1/year", "Share of lost health recovered each year.", 0.0, 1.0),
    P("health.savings_rate", float, 0.2, "share", "Share of income above the poverty line saved.", 0.0, 1.0),
    P("health.debt_repayment", float, 0.2, "share",
      "Share of a year's income that goes to repaying medical debt, until it is repaid.", 0.0, 1.0),
    P("health.catastrophic_threshold", float, 0.4, "share",
      "Out-of-pocket medical spending at or above this share of income is catastrophic (WHO-style measure).",
      0.01, 10.0),
    P("health.poverty_line", float, 2300.0, "yuan/year", "Poverty line (official rural line, 2010 prices).", 1.0, 1e7),
    P("health.urban_dibao", float, 1800.0, "yuan/year",
      "Urban minimum living guarantee at the start, for local urban hukou holders (with the 'china' series: "
      "the Ministry of Civil Affairs' average standard instead).", 0.0, 1e7),
    P("health.rural_dibao", float, 900.0, "yuan/year",
      "Rural minimum living guarantee at the start, for rural households at home (with the 'china' series: the "
      "Ministry of Civil Affairs' average standard instead).", 0.0, 1e7),
    P("health.dibao_coverage", float, 0.5, "share",
      "Share of the eligible households the guarantee reaches; those it reaches are topped up to its level.",
      0.0, 1.0),
    P("health.dibao_from_start", bool, True, "-",
      "Both guarantees exist from the start year (else only from [policy.urban_dibao] and [policy.rural_dibao])."),
    P("health.dibao_growth", float, 0.05, "1/year",
      "Growth of guarantee levels and medical costs (guarantees: in years the series do not cover).", -0.2, 0.5),
    # --- households ---------------------------------------------------------------------
    P("households.members", int, 2, "agents",
      "Migrant agents per rural household: members share farm and income; those away send remittances.", 1, 20),
    P("households.farm_productivity_dispersion", float, 0.0, "-",
      "Log-normal sigma of farm productivity (land, soil, skill) between rural households.", 0.0, 3.0),
    P("households.remittance_share", float, 0.0, "share",
      "Share of a member's city earnings after rent sent to the household at home.", 0.0, 1.0),
    P("households.villager_income_dispersion", float, 0.5, "-",
      "Log-normal sigma of urban villagers' wage incomes (by decile, as natives).", 0.0, 3.0),
    # --- local governments ------------------------------------------------------------
    P("government.tax_rate", float, 0.12, "share", "Local revenue as a share of city GDP.", 0.0, 1.0),
    P("government.service_share", float, 0.3, "share", "Share of revenue spent on schools and hospitals.", 0.0, 1.0),
    P("government.central_transfer", float, 50.0, "yuan/year", "Central transfer per hukou resident (start prices).", 0.0, 1e7),
    P("government.land_requisition_rate", float, 0.004, "1/year",
      "Share of a city's hinterland farmers whose land is requisitioned per year (they become urban villagers).", 0.0, 0.5),
    P("government.requisition_hukou_share", float, 1.0, "share",
      "Share of the farmers whose land is requisitioned who get urban hukou with it (the start year's practice: placement "
      "in an urban job; [policy.land_compensation] ends it). The others are urban residents with rural hukou, not "
      "floating, until their city converts them.", 0.0, 1.0),
    P("government.gdp_competition", float, 1.0, "-",
      "How much faster a city below the median GDP per person requisitions land to catch up (GDP tournament).",
      0.0, 100.0),
    P("government.hukou_conversion_rate", float, 0.03, "1/year",
      "Share of a city's migrants admitted to local hukou per year (points: skill and years in city).", 0.0, 1.0),
    P("government.migrant_service_access", float, 0.3, "share",
      "Share of a city's schools and hospitals that rural-hukou migrants can use without local hukou.", 0.0, 1.0),
    P("government.rural_services", float, 60.0, "yuan/year",
      "Value of public services per rural resident at home (start prices; grows like the guarantees).", 0.0, 1e7),
    P("government.compliance_initial", float, 0.3, "share", "Local compliance with a new central directive when issued.", 0.0, 1.0),
    P("government.compliance_spread", float, 0.0, "share",
      "Standard deviation between provinces of the compliance a new directive meets (each province draws its "
      "own; seed 004: Heilongjiang at 12% when the north-east averaged 27%).", 0.0, 1.0),
    P("government.compliance_speed", float, 0.5, "1/year", "Speed at which compliance rises towards full.", 0.0, 10.0),
    P("government.central_pressure", float, 2.0, "-",
      "Extra speed-up for laggards below the national average compliance (seed 004's 1982-83 episode).", 0.0, 100.0),
    P("government.gdp_resistance", float, 1.0, "-",
      "How strongly a government resists directives that cost it GDP (slows compliance).", 0.0, 100.0),
    # --- policies ---------------------------------------------------------------------
    P("policy.cap.enabled", bool, False, "-", "Cap the population of the largest cities."),
    P("policy.cap.top_n", int, 4, "cities", "Number of largest cities capped.", 1, 5000),
    P("policy.cap.level", float, 1.0, "-", "Cap as a multiple of each capped city's population when the cap starts.", 0.01, 100.0),
    P("policy.cap.plan", str, "", "-", "Caps from a plan in sim/data/plans/ ('masterplans': Beijing 23M, Shanghai 25M "
      "from the 2017 master plans); '' caps the top_n largest cities at level x their size.",
      choices=("", "masterplans")),
    P("policy.cap.start_year", int, 2014, "year", "Year the cap is decreed.", 1900, 2200),
    P("policy.enforcement.intensity", float, 0.6, "share", "How hard capped cities enforce when over the cap (0..1).", 0.0, 1.0),
    P("policy.enforcement.demolition", float, 0.3, "1/year", "Share of unauthorised village floors torn down per year at full enforcement.", 0.0, 1.0),
    P("policy.enforcement.school_exclusion", float, 0.8, "share", "Share of migrants' access to schools and hospitals removed at full enforcement.", 0.0, 1.0),
    P("policy.enforcement.market_clearing", float, 0.3, "share", "Share of informal earnings lost to cleared markets at full enforcement.", 0.0, 1.0),
    P("policy.enforcement.eviction", float, 0.1, "1/year", "Share of village-room migrants evicted per year at full enforcement.", 0.0, 1.0),
    P("policy.reform.enabled", bool, False, "-", "Hukou reform: residents get equal public services whatever their hukou."),
    P("policy.reform.conversion_rate", float, 0.05, "1/year", "Extra share of migrants converted to local hukou per year under reform.", 0.0, 1.0),
    P("policy.reform.start_year", int, 2014, "year", "Year the reform is decreed.", 1900, 2200),
    P("policy.decentralization.rate", float, 0.0, "1/year",
      "Share of the largest cities' excess formal jobs and service budget moved per year to medium and small cities.", 0.0, 1.0),
    P("policy.decentralization.rule", str, "by_size", "-",
      "How moved jobs are shared: in proportion to size, equally, or to the nearest cities.",
      choices=("by_size", "uniform", "nearest")),
    P("policy.decentralization.from_top_n", int, 4, "cities", "Number of largest cities that give up jobs and services.", 1, 5000),
    P("policy.decentralization.to_min_rank", int, 20, "rank", "Cities of this size rank and below receive them.", 1, 5000),
    P("policy.decentralization.services", bool, True, "-", "Move public-service budget as well as jobs."),
    P("policy.decentralization.start_year", int, 2014, "year", "Year decentralization is decreed.", 1900, 2200),
    P("policy.new_city.enabled", bool, False, "-", "Found a new city beside the capital to take relocated functions (Xiongan)."),
    P("policy.new_city.beside", str, "", "-", "Name of the city it is founded beside ('' = the largest)."),
    P("policy.new_city.founded_year", int, 2017, "year", "Year the new city is founded.", 1900, 2200),
    P("policy.new_city.distance_km", float, 100.0, "km", "Distance from the capital.", 1.0, 5000.0),
    P("policy.new_city.relocation_rate", float, 0.05, "1/year",
      "Share of the capital's formal jobs and service budget relocated to the new city per year.", 0.0, 1.0),
    # --- China's dated reforms (sim/policies/history.py); off unless a scenario enables them ---------
    *_event("market_towns", 1984, "Peasants may settle in market towns (self-supplied grain hukou)."),
    P("policy.market_towns.release", float, 0.3, "share", "Share of the movement controls still in force it lifts.", 0.0, 1.0),
    *_event("temporary_residence", 1985, "Temporary residence permits."),
    P("policy.temporary_residence.release", float, 0.3, "share", "Share of the movement controls still in force it lifts.", 0.0, 1.0),
    *_event("grain_rationing_end", 1993, "Grain rationing ends."),
    P("policy.grain_rationing_end.release", float, 0.5, "share", "Share of the movement controls still in force it lifts.", 0.0, 1.0),
    *_event("housing_reform", 1998, "Work units stop allocating housing (urban housing reform)."),
    P("policy.housing_reform.release", float, 1.0, "share", "Share of the work-unit tie on moves between cities it "
      "lifts.", 0.0, 1.0),
    *_event("land_compensation", 1999, "Requisitioned land paid in money, not with urban hukou (Land Administration "
            "Law, 1998)."),
    P("policy.land_compensation.hukou_share", float, 0.0, "share", "Share of the farmers losing their land who still "
      "get urban hukou.", 0.0, 1.0),
    *_event("custody_end", 2003, "Custody and repatriation abolished: the last movement controls go."),
    *_event("small_town_hukou", 2001, "Small-town hukou reform."),
    P("policy.small_town_hukou.conversion_rate", float, 0.02, "1/year",
      "Extra share of small cities' floating population admitted to hukou per year.", 0.0, 1.0),
    P("policy.small_town_hukou.max_size", float, 1e6, "people", "Cities below this size count as small.", 0.0, 1e9),
    *_event("tiered_hukou", 2014, "Tiered hukou reform by city size, and residence permits."),
    P("policy.tiered_hukou.small_rate", float, 0.06, "1/year", "Extra conversion in cities under 1 million.", 0.0, 1.0),
    P("policy.tiered_hukou.medium_rate", float, 0.04, "1/year", "Extra conversion in cities of 1 to 3 million.", 0.0, 1.0),
    P("policy.tiered_hukou.large_rate", float, 0.02, "1/year", "Extra conversion in cities of 3 to 5 million.", 0.0, 1.0),
    P("policy.tiered_hukou.megacity_rate", float, 0.0, "1/year", "Extra conversion in cities over 5 million.", 0.0, 1.0),
    P("policy.tiered_hukou.intensity", float, 1.0, "factor",
      "How hard the plan was pursued: multiplies the four tier rates.", 0.0, 10.0),
    P("policy.tiered_hukou.permit_access", float, 0.2, "share",
      "Extra share of public services residence-permit holders may use.", 0.0, 1.0),
    *_event("unified_registration", 2014, "One resident hukou; villages inside cities become residents' committees."),
    P("policy.unified_registration.in_place_rate", float, 0.2, "1/year",
      "Extra share of the urban villagers still holding rural hukou registered as urban residents per year.", 0.0, 1.0),
    *_event("settlement_limits", 2019, "Settlement limits removed below 3 million, relaxed at 3 to 5 million."),
    P("policy.settlement_limits.open_rate", float, 0.05, "1/year", "Extra conversion in cities under 3 million.", 0.0, 1.0),
    P("policy.settlement_limits.relaxed_rate", float, 0.02, "1/year", "Extra conversion in cities of 3 to 5 million.",
      0.0, 1.0),
    *_event("urban_dibao", 1999, "Urban minimum living guarantee nationwide."),
    *_event("rural_dibao", 2007, "Rural minimum living guarantee nationwide."),
    *_event("rural_medical_scheme", 2003, "New rural cooperative medical scheme rolled out."),
    P("policy.rural_medical_scheme.full_year", int, 2008, "year", "Year the roll-out is complete.", 1900, 2200),
    P("policy.rural_medical_scheme.reimbursement", float, 0.45, "share",
      "Share of rural residents' medical bills paid once rolled out.", 0.0, 1.0),
    *_event("agricultural_tax", 2006, "Agricultural tax abolished; direct farm subsidies."),
    P("policy.agricultural_tax.income_gain", float, 0.06, "share", "Rise in farm income from taxes removed and subsidies.",
      0.0, 1.0),
    *_event("targeted_poverty", 2014, "Targeted poverty alleviation."),
    P("policy.targeted_poverty.reach", float, 0.3, "share",
      "Share of poor rural households found and lifted to the official line each year.", 0.0, 1.0),
)

BY_KEY: dict[str, Param] = {p.key: p for p in PARAMS}
BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
assert len(BY_NAME) == len(PARAMS), "parameter names must be unique"
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in PARAMS))


def defaults() -> dict[str, Any]:
    """Default value of every parameter, by flat name."""
    return {p.name: p.default for p in PARAMS}


def resolve_key(key: str, source: str) -> Param:
    """Find a parameter by dotted key or unique flat name; raise InputError otherwise."""
    if key in BY_KEY:
        return BY_KEY[key]
    if key in BY_NAME:
        return BY_NAME[key]
    near = [k for k in BY_KEY if k.endswith("." + key.rsplit(".", 1)[-1])]
    hint = f" (did you mean {near[0]!r}?)" if near else " (see 'hukou-sim check --list' for all keys)"
    raise InputError(source, key, f"unknown parameter{hint}")


def markdown_table() -> str:
    """Every parameter as a Markdown table (docs/model.md embeds it; a test keeps them equal)."""
    rows = ["| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for p in PARAMS:
        default = repr(p.default) if isinstance(p.default, str) else str(p.default).lower() if isinstance(p.default, bool) else f"{p.default:g}"
        rows.append(f"| `{p.key}` | {default} | {p.unit} | {p.allowed()} | {p.doc} |")
    return "\n".join(rows) + "\n"
