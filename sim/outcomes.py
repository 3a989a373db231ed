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


def _share(mask_weights: np.ndarray, total: float) -> float:
    return float(mask_weights.sum() / total) if total > 0 else 0.0


def compute(model: "MigrationModel") -> dict[str, float]:
    """All outputs for the model's current state (people, yuan/year, shares)."""
    p, m, v, c = model.p, model.migrants, model.villagers, model.cities
    line = p["poverty_line"]
    natives_w = (c.natives[:, None] / model.native_multiplier.size) * np.ones_like(model.native_income)
    incomes = np.concatenate([m.income, v.income, model.native_income.ravel()])
    weights = np.concatenate([m.weight, v.weight, natives_w.ravel()])
    total = float(weights.sum())
    at_home = m.location == HOME
    floating = m.floating
    converted = m.urban_hukou & ~at_home
    poor = m.income < line
    sizes = model.city_population()[c.active]
    urban = total - float(m.weight[at_home].sum())
    hukou = float(c.natives.sum() + v.weight.sum() + m.weight[converted].sum())

    def p0(inc, w):
        return metrics.fgt(inc, line, 0, w)

    urban_inc = np.concatenate([m.income[~at_home], v.income, model.native_income.ravel()])
    urban_w = np.concatenate([m.weight[~at_home], v.weight, natives_w.ravel()])
    mean_urban = np.average(urban_inc, weights=urban_w) if urban_w.sum() > 0 else np.nan
    mean_rural = np.average(m.income[at_home], weights=m.weight[at_home]) if m.weight[at_home].sum() > 0 else np.nan
    urban_hukou_inc = np.concatenate([m.income[converted], model.native_income.ravel()])
    urban_hukou_w = np.concatenate([m.weight[converted], natives_w.ravel()])
    floating_w = float(m.weight[floating].sum())
    tenants = floating & (m.housing == VILLAGE_ROOM)
    gdp = float(c.gdp.sum() + model.rural_gdp)
    sorted_sizes = np.sort(sizes)[::-1]
    return {
        "step": int(round(model.time)),
        "year": model.year,
        "population": total,
        "urbanization_rate": urban / total,
        "hukou_urbanization_rate": hukou / total,
        "migrant_population": floating_w,
        "poverty_headcount": metrics.fgt(incomes, line, 0, weights),
        "poverty_gap": metrics.fgt(incomes, line, 1, weights),
        "poverty_severity": metrics.fgt(incomes, line, 2, weights),
        "migrant_poverty_headcount": p0(m.income[floating], m.weight[floating]),
        "villager_poverty_headcount": p0(v.income, v.weight),
        "rural_poverty_headcount": p0(m.income[at_home], m.weight[at_home]),
        "urban_hukou_poverty_headcount": p0(urban_hukou_inc, urban_hukou_w),
        "new_urban_poor": float(m.weight[floating & poor].sum()),
        "medical_poor": float(m.weight[floating & poor & (m.income + m.medical_cost >= line)].sum()),
        "gini_income": metrics.gini(incomes, weights),
        "theil_income": metrics.theil(incomes, weights),
        "urban_rural_income_ratio": float(mean_urban / mean_rural) if mean_rural > 0 else np.nan,
        "mean_income": float(np.average(incomes, weights=weights)),
        "zipf_exponent": metrics.zipf_exponent(sizes),
        "hhi": metrics.hhi(sizes),
        "primacy": metrics.primacy(sizes),
        "top_city_share": float(sorted_sizes[0] / sorted_sizes.sum()) if sorted_sizes.sum() > 0 else np.nan,
        "largest_city": float(sorted_sizes[0]) if len(sorted_sizes) else 0.0,
        "gdp": gdp,
        "gdp_per_capita": gdp / total,
        "formal_employment_share": _share(m.weight[floating & (m.job == FORMAL)], floating_w),
        "dangerous_job_share": _share(m.weight[floating & (m.job == DANGEROUS)], floating_w),
        "mean_village_rent": float(np.average(model.village_rent[m.location[tenants]], weights=m.weight[tenants]))
        if tenants.any() else 0.0,
        "unauthorised_rooms": float(v.extra_rooms.sum()),
        "mean_compliance": float(c.compliance[c.active].mean()),
    }
