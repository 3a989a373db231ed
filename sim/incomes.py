"""Mechanism 4 (docs/model.md): incomes settle.  Health shocks and medical debt, household pooling and
remittances, targeted support and the guarantees for migrants and the people at home; villagers' and natives'
incomes by decile; GDP.  Yuan per person a year (GDP: yuan a year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import health, households
from .state import FORMAL_HOUSING, HOME

if TYPE_CHECKING:  # pragma: no cover
    from .model import MigrationModel


def dibao_levels(model: "MigrationModel") -> tuple[float, float]:
    """(urban, rural) guarantee standards this year, yuan per person a year; 0 where none is in force."""
    if model.history is not None:
        urban, rural = model.history.dibao_levels(model.year)
    else:
        urban, rural = model.p["urban_dibao"] * model.prices(), model.p["rural_dibao"] * model.prices()
    return urban if model.rules.urban_dibao else 0.0, rural if model.rules.rural_dibao else 0.0


def settle(model: "MigrationModel", shocks: bool = True) -> None:
    """Health shocks and medical debt, household pooling and remittances, targeted support and the
    guarantees; then villagers' and natives' incomes by decile, and GDP."""
    p, m, v, c, r, h = model.p, model.migrants, model.villagers, model.cities, model.rules, model.households
    loc = np.maximum(m.location, 0)
    in_city = m.location != HOME
    rent = np.where(in_city, np.where(m.housing == FORMAL_HOUSING, model.formal_rent[loc], model.village_rent[loc]),
                    0.0)
    # health: recovery, then this year's serious episodes; what savings do not pay becomes debt
    m.health += p["recovery_rate"] * (1.0 - m.health)
    if shocks:
        hit = health.health_shocks(m.job, p["dangerous_injury_rate"], p["baseline_illness_rate"], model.rng)
    else:
        hit = np.zeros(len(m), bool)
    reimbursed = health.reimbursement(m.urban_hukou, m.job, m.location, r.equal_services,
                                      p["urban_reimbursement"], r.rural_reimbursement)
    m.medical_cost = hit * p["medical_cost"] * model.prices() * (1 - reimbursed)
    m.health = np.where(hit, np.maximum(m.health - p["health_loss"], 0.05), m.health)
    m.savings, borrowed = health.pay_medical_costs(m.medical_cost, m.savings)
    m.debt += borrowed
    # households: members at home pool farm income with what members away send
    H = len(h)
    someone_home = np.bincount(m.household, weights=m.weight * ~in_city, minlength=H) > 0
    net = m.earnings - rent
    sent = households.remittances(net, in_city, p["remittance_share"], someone_home[m.household])
    model.remittances = sent  # yuan per person a year each member away sends home
    per_head, _ = households.pooled_income(m.household, ~in_city, m.weight, m.earnings, sent, H)
    urban_level, rural_level = dibao_levels(model)
    if r.poverty_reach > 0:
        h.support = households.lift_to_line(per_head, h.support, p["poverty_line"], r.poverty_reach,
                                            someone_home, model.rng)
    income = np.where(in_city, net - sent, (per_head + h.support)[m.household])
    # the guarantee tops income up to its level for the households it reaches (urban: local hukou, or
    # every resident under equal services; rural: households at home)
    reached = h.targeting[m.household] < p["dibao_coverage"]
    urban_eligible = m.urban_hukou | (r.equal_services & in_city)
    level = np.where(in_city, np.where(urban_eligible, urban_level, 0.0), rural_level)
    income = np.where(reached, np.maximum(income, level), income)
    # medical debt is repaid from income over the years
    model.medical_repayment = np.minimum(m.debt, p["debt_repayment"] * np.maximum(income, 0.0))
    m.debt -= model.medical_repayment
    m.income = np.maximum(income - model.medical_repayment, 0.0)
    m.savings += p["savings_rate"] * np.maximum(m.income - p["poverty_line"], 0.0)

    # villagers: rent from occupied rooms plus wages (by decile); urban hukou, so the urban guarantee
    occupied = np.minimum(model.occupancy, 1.0)[v.city]
    rent_income = (v.rooms + v.extra_rooms) * occupied * model.village_rent[v.city] / np.maximum(v.weight, 1e-12)
    wage_income = p["villager_wage_ratio"] * model.wage[v.city][:, None] * model.villager_multiplier[None, :]
    v_cells = rent_income[:, None] + wage_income
    # for the outputs villagers are pooled by city (same rent per bed-space, same wages), by decile
    C = model.n_cities
    people = np.bincount(v.city, weights=v.weight, minlength=C)
    city_rent = np.bincount(v.city, weights=rent_income * v.weight, minlength=C) / np.maximum(people, 1e-300)
    model.villager_decile_income = city_rent[:, None] + p["villager_wage_ratio"] * model.wage[:, None] \
        * model.villager_multiplier[None, :]  # (cities, deciles), before the guarantee
    model.urban_guarantee = urban_level
    v.income = np.average(v_cells, axis=1) if len(v) else np.zeros(0)
    v.savings += p["savings_rate"] * np.maximum(v.income - p["poverty_line"], 0.0)

    # natives (urban hukou, by income decile)
    native_income = model.wage[:, None] * model.native_multiplier[None, :]
    model.native_income = native_income  # (cities, deciles), before the guarantee

    # GDP: wages over labour's share; farm income is farm output
    wages = np.bincount(loc[in_city], weights=(m.weight * m.earnings)[in_city], minlength=C).astype(float)
    wages += (c.natives + c.urban_movers) * model.wage + np.bincount(
        v.city, weights=v.weight * p["villager_wage_ratio"] * model.wage[v.city], minlength=C)
    c.gdp = wages / p["labour_share"]
    model.rural_gdp = float((m.weight * m.earnings)[~in_city].sum())
