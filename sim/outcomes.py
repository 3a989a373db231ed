"""The outputs collected every step: names, units, and how they are computed from the model's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .state import DANGEROUS, FORMAL, HOME, VILLAGE_ROOM

if TYPE_CHECKING:  # pragma: no cover
    from .model import MigrationModel

# name -> (unit, description)
COLUMNS: dict[str, tuple[str, str]] = {
    "step": ("years", "Steps (years) since the start."),
    "year": ("year", "Calendar year."),
    "population": ("people", "Total population."),
    "urbanization_rate": ("share", "Share of people living in cities (resident basis, as NBS)."),
    "hukou_urbanization_rate": ("share", "Share of people holding urban hukou."),
    "migrant_population": ("people", "Rural-hukou people living in cities (floating population)."),
    "poverty_headcount": ("share", "FGT P0: share of all people below the poverty line."),
    "poverty_gap": ("share", "FGT P1: mean shortfall from the poverty line, as a share of the line."),
    "poverty_severity": ("share", "FGT P2: mean squared shortfall (weights the poorest most)."),
    "migrant_poverty_headcount": ("share", "P0 among rural-hukou people living in cities."),
    "villager_poverty_headcount": ("share", "P0 among urban villagers."),
    "rural_poverty_headcount": ("share", "P0 among rural-hukou people living at home."),
    "urban_hukou_poverty_headcount": ("share", "P0 among urban-hukou residents (natives and converted)."),
    "new_urban_poor": ("people", "Poor city residents without local hukou: reached by neither the urban nor the rural guarantee."),
    "medical_poor": ("people", "Poor city residents whose medical bills this year took them below the line."),
    "gini_income": ("index", "Gini coefficient of disposable income per person."),
    "theil_income": ("index", "Theil T index of disposable income per person."),
    "urban_rural_income_ratio": ("ratio", "Mean income of city residents over mean income of rural residents."),
    "mean_income": ("yuan/year", "Mean disposable income per person (2010 prices)."),
    "zipf_exponent": ("zeta", "Gabaix-Ibragimov rank-size exponent of city populations (>1 flatter)."),
    "hhi": ("index", "Herfindahl index of city population shares."),
    "primacy": ("ratio", "Largest city over the second largest."),
    "top_city_share": ("share", "Largest city's share of the urban population."),
    "largest_city": ("people", "Population of the largest city."),
    "gdp": ("yuan/year", "GDP (2010 prices): urban wages over labour's share plus farm output."),
    "gdp_per_capita": ("yuan/year", "GDP per person."),
    "formal_employment_share": ("share", "Share of rural-hukou city residents in formal jobs."),
    "dangerous_job_share": ("share", "Share of rural-hukou city residents in dirty, dangerous jobs."),
    "mean_village_rent": ("yuan/year", "Mean urban-village rent per tenant."),
    "unauthorised_rooms": ("bed-spaces", "Bed-spaces in unauthorised added floors."),
    "mean_compliance": ("share", "Mean compliance of local governments with central directives."),
}


# population groups, for FGT's decomposition by group
RURAL, FLOATING, CONVERTED, VILLAGERS, NATIVES = range(5)


def compute(model: "MigrationModel") -> dict[str, float]:
    """All outputs for the model's current state (people, yuan/year, shares)."""
    p, m, v, c = model.p, model.migrants, model.villagers, model.cities
    line = p["poverty_line"]
    n_groups = model.native_multiplier.size
    at_home = m.location == HOME
    migrant_group = np.where(at_home, RURAL, np.where(m.urban_hukou, CONVERTED, FLOATING))
    incomes = np.concatenate([m.income, v.income, model.native_income.ravel()])
    weights = np.concatenate([m.weight, v.weight, np.repeat(c.natives / n_groups, n_groups)])
    group = np.concatenate([migrant_group, np.full(len(v), VILLAGERS), np.full(c.natives.size * n_groups, NATIVES)])
    poor = incomes < line
    # FGT is additively decomposable: each group's P0 is its poor people over its people
    people = np.bincount(group, weights=weights, minlength=5)
    poor_people = np.bincount(group, weights=weights * poor, minlength=5)
    income_sum = np.bincount(group, weights=weights * incomes, minlength=5)

    def headcount(*groups: int) -> float:
        total = people[list(groups)].sum()
        return float(poor_people[list(groups)].sum() / total) if total > 0 else 0.0

    total = float(people.sum())
    urban_groups = [FLOATING, CONVERTED, VILLAGERS, NATIVES]
    urban = float(people[urban_groups].sum())
    mean_urban = income_sum[urban_groups].sum() / urban if urban > 0 else np.nan
    mean_rural = income_sum[RURAL] / people[RURAL] if people[RURAL] > 0 else np.nan
    floating = migrant_group == FLOATING
    floating_w = float(people[FLOATING])
    floating_poor = floating & poor[: len(m)]
    job_people = np.bincount(m.job[floating], weights=m.weight[floating], minlength=DANGEROUS + 1)
    tenants = floating & (m.housing == VILLAGE_ROOM)
    sizes = model.city_population()[c.active]
    largest = float(sizes.max()) if sizes.size else 0.0
    gdp = float(c.gdp.sum() + model.rural_gdp)
    return {
        "step": int(round(model.time)),
        "year": model.year,
        "population": total,
        "urbanization_rate": urban / total,
        "hukou_urbanization_rate": float(people[[CONVERTED, VILLAGERS, NATIVES]].sum()) / total,
        "migrant_population": floating_w,
        "poverty_headcount": metrics.fgt(incomes, line, 0, weights),
        "poverty_gap": metrics.fgt(incomes, line, 1, weights),
        "poverty_severity": metrics.fgt(incomes, line, 2, weights),
        "migrant_poverty_headcount": headcount(FLOATING),
        "villager_poverty_headcount": headcount(VILLAGERS),
        "rural_poverty_headcount": headcount(RURAL),
        "urban_hukou_poverty_headcount": headcount(CONVERTED, NATIVES),
        "new_urban_poor": float(poor_people[FLOATING]),
        "medical_poor": float(m.weight[floating_poor & (m.income + m.medical_cost >= line)].sum()),
        "gini_income": metrics.gini(incomes, weights),
        "theil_income": metrics.theil(incomes, weights),
        "urban_rural_income_ratio": float(mean_urban / mean_rural) if mean_rural > 0 else np.nan,
        "mean_income": float(income_sum.sum() / total),
        "zipf_exponent": metrics.zipf_exponent(sizes),
        "hhi": metrics.hhi(sizes),
        "primacy": metrics.primacy(sizes),
        "top_city_share": metrics.top_share(sizes, 1),
        "largest_city": largest,
        "gdp": gdp,
        "gdp_per_capita": gdp / total,
        "formal_employment_share": float(job_people[FORMAL] / floating_w) if floating_w > 0 else 0.0,
        "dangerous_job_share": float(job_people[DANGEROUS] / floating_w) if floating_w > 0 else 0.0,
        "mean_village_rent": float(np.average(model.village_rent[m.location[tenants]], weights=m.weight[tenants]))
        if tenants.any() else 0.0,
        "unauthorised_rooms": float(v.extra_rooms.sum()),
        "mean_compliance": float(c.compliance[c.active].mean()),
    }
