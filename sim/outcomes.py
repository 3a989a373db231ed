"""The outputs collected every step: names, units, and how they are computed from the model's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .households import guarantee_cells
from .poverty import GROUP_PREFIXES, MEASURES, POVERTY_LINES, column, fgt_by_group
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
    "migrant_population": ("people", "Rural-hukou people living in cities (the rural floating population)."),
    "urban_movers": ("people", "Urban-hukou people living in a city other than the one of their hukou."),
    "floating_population": ("people", "People living away from their place of hukou registration, as the census "
                                      "counts them: rural-hukou people in cities plus urban-to-urban movers."),
    "villagers_rural_hukou": ("people", "Urban villagers who kept their rural hukou: urbanized in place, neither "
                              "floating nor urban-hukou."),
    "rural_industry_workers": ("people", "Rural-hukou people at home with local off-farm work (township and village "
                               "enterprises)."),
    "rural_wage_income_share": ("share", "Share of rural households' income (people at home, before repaying medical "
                                "debt) earned off the farm: local off-farm wages plus what members working in cities "
                                "send home. The NBS rural survey's 'wage income' share: it counted members away for "
                                "work as household members when their earnings went home."),
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
    "urban_rural_income_ratio": ("ratio", "Mean income per person of urban over rural households, as the NBS "
                                          "measures it: from 2013 by residence (everyone living in a city); before "
                                          "2013 urban-hukou households (the old urban household survey)."),
    "mean_income": ("yuan/year", "Mean disposable income per person (2010 prices)."),
    "rural_mean_income": ("yuan/year", "Mean income per person of rural residents at home (2010 prices, remittances "
                                       "included): the denominator of the urban/rural income ratio."),
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
    "catastrophic_health_share": ("share",
                                  "Share of rural households (people) whose out-of-pocket medical spending this year "
                                  "reached health.catastrophic_threshold of their income."),
    "illness_poor_share": ("share", "Share of the poor (official line) who would not be poor without illness: "
                                    "lost earnings and medical debt repaid this year (a check against surveys)."),
    "medical_debt": ("yuan/person", "Mean medical debt still to repay, per rural-hukou person."),
    "refused_entry": ("people", "People refused entry to capped cities this year (model.refused_entry: by city)."),
    "movement_block": ("share", "Share of rural people's moves to cities stopped by movement controls this year."),
}


def _poverty_columns() -> dict[str, tuple[str, str]]:
    """FGT 0/1/2 by group at every line; the official line's everyone/group columns keep the names above."""
    doc = {"headcount": "FGT P0 (share below the line)", "gap": "FGT P1 (mean shortfall, share of the line)",
           "severity": "FGT P2 (mean squared shortfall)"}
    cols = {}
    for key, line in POVERTY_LINES.items():
        for prefix, who in GROUP_PREFIXES.items():
            for measure in MEASURES:
                name = column(prefix, measure, key)
                if name not in COLUMNS:
                    cols[name] = ("share", f"{doc[measure]} among {who}, at the {line.label}.")
    return cols


COLUMNS.update(_poverty_columns())


NBS_RESIDENCE_YEAR = 2013  # first year of the NBS integrated household survey (urban and rural by residence)

# population groups, for FGT's decomposition by group
RURAL, FLOATING, CONVERTED, VILLAGERS, NATIVES = range(5)


def urban_income_cells(model: "MigrationModel") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Villagers' and natives' incomes (yuan a year) and people, by city and income decile, the urban guarantee
    reaching its coverage share of each decile: (villager incomes, villager people, native incomes, native
    people).  Migrants and rural people are counted one agent at a time beside them."""
    p, v, c = model.p, model.villagers, model.cities
    deciles = model.native_income.shape[1]
    v_income, v_weight = guarantee_cells(model.villager_decile_income.ravel(),
                                         np.repeat(np.bincount(v.city, weights=v.weight, minlength=c.natives.size)
                                                   / deciles, deciles),
                                         model.urban_guarantee, p["dibao_coverage"])
    n_income, n_weight = guarantee_cells(model.native_income.ravel(),
                                         np.repeat((c.natives + c.urban_movers) / deciles, deciles),
                                         model.urban_guarantee, p["dibao_coverage"])
    return v_income, v_weight, n_income, n_weight


def compute(model: "MigrationModel") -> dict[str, float]:
    """All outputs for the model's current state (people, yuan/year, shares)."""
    p, m, v, c = model.p, model.migrants, model.villagers, model.cities
    line = p["poverty_line"]
    at_home = m.location == HOME
    migrant_group = np.where(at_home, RURAL, np.where(m.urban_hukou, CONVERTED, FLOATING))
    v_income, v_weight, n_income, n_weight = urban_income_cells(model)
    incomes = np.concatenate([m.income, v_income, n_income])
    weights = np.concatenate([m.weight, v_weight, n_weight])
    group = np.concatenate([migrant_group, np.full(len(v_income), VILLAGERS), np.full(len(n_income), NATIVES)])
    # one sort serves the Gini, the Theil index, the median (relative line) and the poverty prefixes
    order = np.argsort(incomes)
    incomes, weights, group = incomes[order], weights[order], group[order]
    poor = incomes < line
    people = np.bincount(group, weights=weights, minlength=5)
    poor_people = np.bincount(group, weights=weights * poor, minlength=5)
    income_sum = np.bincount(group, weights=weights * incomes, minlength=5)

    total = float(people.sum())
    urban_groups = [FLOATING, CONVERTED, VILLAGERS, NATIVES]
    urban = float(people[urban_groups].sum())
    # NBS: urban households by residence from the 2013 integrated survey; before it, registered urban households
    # villagers who kept rural hukou (urbanized in place) are urban residents, neither floating nor urban-hukou;
    # as registered households they count at the villagers' mean income
    v_total = float(v.weight.sum())
    v_hukou = float((v.weight * v.urban_hukou).sum()) / v_total if v_total > 0 else 1.0
    if model.year >= NBS_RESIDENCE_YEAR:
        counted_people, counted_income = people[urban_groups].sum(), income_sum[urban_groups].sum()
    else:
        counted_people = people[[CONVERTED, NATIVES]].sum() + v_hukou * people[VILLAGERS]
        counted_income = income_sum[[CONVERTED, NATIVES]].sum() + v_hukou * income_sum[VILLAGERS]
    mean_urban = counted_income / counted_people if counted_people > 0 else np.nan
    mean_rural = income_sum[RURAL] / people[RURAL] if people[RURAL] > 0 else np.nan
    floating = migrant_group == FLOATING
    floating_w = float(people[FLOATING])
    floating_poor = floating & (m.income < line)
    job_people = np.bincount(m.job[floating], weights=m.weight[floating], minlength=DANGEROUS + 1)
    tenants = floating & (m.housing == VILLAGE_ROOM)
    sizes = model.city_population()[c.active & model.network.cities]  # city-size laws: cities, not towns nodes
    largest = float(sizes.max()) if sizes.size else 0.0
    gdp = float(c.gdp.sum() + model.rural_gdp)
    out = {
        "step": int(round(model.time)),
        "year": model.year,
        "population": total,
        "urbanization_rate": urban / total,
        "hukou_urbanization_rate": float(people[[CONVERTED, NATIVES]].sum() + v_hukou * people[VILLAGERS]) / total,
        "villagers_rural_hukou": float((v.weight * (1.0 - v.urban_hukou)).sum()),
        "migrant_population": floating_w,
        "urban_movers": float(c.urban_movers.sum()),
        "rural_industry_workers": float(m.weight[at_home & (model.local_earnings() > 0)].sum()),
        "rural_wage_income_share": _rural_wage_share(model, at_home),
        "floating_population": floating_w + float(c.urban_movers.sum()),
        "new_urban_poor": float(poor_people[FLOATING]),
        "medical_poor": float(m.weight[floating_poor & (m.income + m.medical_cost >= line)].sum()),
        "gini_income": metrics.gini(incomes, weights, presorted=True),
        "theil_income": metrics.theil(incomes, weights),
        "urban_rural_income_ratio": float(mean_urban / mean_rural) if mean_rural > 0 else np.nan,
        "mean_income": float(income_sum.sum() / total),
        "rural_mean_income": float(mean_rural),
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
        "refused_entry": float(model.refused_entry.sum()),
        "movement_block": float(model.rules.movement_block),
    }
    out.update(_health_outcomes(model, line))
    out.update(_poverty_outcomes(incomes, weights, group, line))
    return {name: out[name] for name in COLUMNS}


def _poverty_outcomes(incomes: np.ndarray, weights: np.ndarray, group: np.ndarray, official: float) -> dict:
    """FGT 0/1/2 by group at every line (FGT is additively decomposable, so groups combine by people).

    ``incomes`` are sorted (:func:`compute` sorts them once), so the poor at a line are a prefix: only they
    enter the sums (the others add exact zeros)."""
    people = np.bincount(group, weights=weights, minlength=5)
    # reported group -> the outcome groups it is made of
    members = {"": [RURAL, FLOATING, CONVERTED, VILLAGERS, NATIVES], "migrant_": [FLOATING],
               "villager_": [VILLAGERS], "rural_": [RURAL], "urban_hukou_": [CONVERTED, NATIVES]}
    out = {}
    for key, line in POVERTY_LINES.items():
        z = line.value(official, incomes, weights)
        k = int(np.searchsorted(incomes, z, side="left"))  # incomes[:k] < z
        by_group = fgt_by_group(incomes[:k], weights[:k], group[:k], 5, z, people)
        for prefix, gs in members.items():
            n = people[gs].sum()
            values = (people[gs, None] * by_group[gs]).sum(axis=0) / n if n > 0 else np.zeros(3)
            for measure, a in MEASURES.items():
                out[column(prefix, measure, key)] = float(values[a])
    return out


def _rural_wage_share(model: "MigrationModel", at_home: np.ndarray) -> float:
    """Off-farm share of the income of people at home: local off-farm earnings (after skill and health) plus the
    remittances of members away, over income before medical debt repayment."""
    m = model.migrants
    w = np.where(at_home, m.weight, 0.0)
    off_farm = float(np.dot(w, model.local_earnings() * m.skill * m.health) + np.dot(m.weight, model.remittances))
    income = float(np.dot(w, m.income + model.medical_repayment))
    return off_farm / income if income > 0 else 0.0


def _health_outcomes(model: "MigrationModel", line: float) -> dict:
    """Catastrophic health spending among rural households and the poor who are poor because of illness."""
    p, m = model.p, model.migrants
    H = len(model.households)
    w = m.weight
    before = m.income + model.medical_repayment  # income before repaying medical debt
    spent = np.bincount(m.household, weights=w * m.medical_cost, minlength=H)
    earned = np.bincount(m.household, weights=w * np.maximum(before, 0.0), minlength=H)
    members = np.bincount(m.household, weights=w, minlength=H)
    catastrophic = spent >= p["catastrophic_threshold"] * np.maximum(earned, 1e-9)
    catastrophic &= spent > 0
    lost = m.earnings * (1.0 - m.health) / np.maximum(m.health, 1e-9)  # earnings illness took this year
    poor = m.income < line
    because = poor & (m.income + model.medical_repayment + lost >= line)
    poor_people = float(w[poor].sum())
    return {
        "catastrophic_health_share": float(members[catastrophic].sum() / members.sum()) if members.sum() > 0 else 0.0,
        "illness_poor_share": float(w[because].sum() / poor_people) if poor_people > 0 else 0.0,
        "medical_debt": float(np.average(m.debt, weights=w)) if w.sum() > 0 else 0.0,
    }


def city_real_income(model: "MigrationModel") -> np.ndarray:
    """Real income per worker in each city (yuan a year): the formal wage, which rises with size through
    agglomeration, less formal rent and living costs, which rise with crowding.  It is the income of a
    representative worker, as in Au & Henderson (2006): who happens to live in a city (more low-paid migrants
    in some) does not enter it."""
    return model.wage - model.formal_rent - model.market.living_cost
