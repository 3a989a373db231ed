"""Mechanism 4: health shocks, medical costs and the minimum living guarantee.

This is where "new urban poverty" comes from (seed 000): migrants in dirty, dangerous jobs
fall ill or are injured; the rural cooperative medical scheme reimburses little; they are
not eligible for the urban minimum living guarantee (dibao) where they live, nor for the
rural one while away.  Money in yuan per person.
"""

from __future__ import annotations

import numpy as np

from .state import DANGEROUS, FORMAL, HOME


def health_shocks(job: np.ndarray, dangerous_rate: float, baseline_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Which agents suffer a serious episode this year."""
    rate = np.where(job == DANGEROUS, dangerous_rate, baseline_rate)
    return rng.random(len(job)) < rate


def reimbursement(urban_hukou: np.ndarray, job: np.ndarray, location: np.ndarray, equal_services: bool,
                  urban_rate: float, rural_rate: float) -> np.ndarray:
    """Share of medical costs reimbursed: urban insurance for urban hukou and formal jobs (and,
    under hukou reform, all city residents); the rural cooperative scheme for everyone else."""
    urban = urban_hukou | (job == FORMAL)
    if equal_services:
        urban = urban | (location != HOME)
    return np.where(urban, urban_rate, rural_rate)


def pay_medical_costs(cost: np.ndarray, savings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-pocket costs come out of savings first; returns (new savings, cost left for this year's income)."""
    from_savings = np.minimum(cost, np.maximum(savings, 0.0))
    return savings - from_savings, cost - from_savings


def guarantee_top_up(income: np.ndarray, level: np.ndarray | float, eligible: np.ndarray, coverage: float) -> np.ndarray:
    """Dibao: the guarantee tops income up to its level for the covered share of the eligible."""
    return np.where(eligible, coverage * np.maximum(level - income, 0.0), 0.0)
