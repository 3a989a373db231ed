"""Rural households: who belongs together, what they earn together, and how poverty is measured on it.

Migrant agents of one hinterland are grouped into households of ``households.members`` agents.  Members
share a farm (its productivity is the household's), and members at home pool their farm income with the
remittances of members away; each person at home then has the household's income per head, as in the NBS
rural household survey, which counts remittances as household income.  Money in yuan per person a year.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri  # inverse of the standard normal CDF

from .state import HouseholdArrays


def form_households(origin: np.ndarray, members: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Household row of each agent: agents of the same origin, in random order, in groups of ``members``."""
    n = len(origin)
    if n == 0:
        return np.zeros(0, np.int32), 0
    order = np.lexsort((rng.random(n), origin))
    sorted_origin = origin[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_origin)) + 1]
    start_of = np.repeat(first, np.diff(np.r_[first, n]))
    local = (np.arange(n) - start_of) // members
    # the (origin, local) pairs come in ascending order: a new household starts wherever either changes
    ids = np.cumsum(np.r_[False, (np.diff(sorted_origin) != 0) | (np.diff(local) != 0)])
    household = np.empty(n, np.int32)
    household[order] = ids
    return household, int(ids[-1]) + 1


def new_households(n: int, farm_dispersion: float, rng: np.random.Generator) -> HouseholdArrays:
    """Households with log-normal farm productivity of mean 1, a uniform targeting draw and a uniform draw for
    local off-farm work (:mod:`sim.rural_industry`)."""
    s = farm_dispersion
    farm = rng.lognormal(-s * s / 2, s, n) if s > 0 else np.ones(n)
    return HouseholdArrays(farm_productivity=farm, targeting=rng.random(n), support=np.zeros(n),
                           industry_draw=rng.random(n))


def pooled_income(household: np.ndarray, at_home: np.ndarray, weight: np.ndarray, earnings: np.ndarray,
                  remittance: np.ndarray, n_households: int) -> tuple[np.ndarray, np.ndarray]:
    """(income per head at home, people at home) of each household: members at home pool their
    earnings with the remittances members away send (yuan per person a year)."""
    home_w = weight * at_home
    people = np.bincount(household, weights=home_w, minlength=n_households)
    pool = np.bincount(household, weights=home_w * earnings + weight * remittance, minlength=n_households)
    per_head = np.where(people > 0, pool / np.maximum(people, 1e-300), 0.0)
    return per_head, people


def remittances(net_earnings: np.ndarray, away: np.ndarray, share: float, someone_home: np.ndarray) -> np.ndarray:
    """What each member away sends home per person: a share of city earnings after rent, when there is
    someone at home to send it to."""
    return np.where(away & someone_home, share * np.maximum(net_earnings, 0.0), 0.0)


def lift_to_line(per_head: np.ndarray, support: np.ndarray, line: float, reach: float, at_home: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Targeted poverty alleviation: a share ``reach`` of the poor households at home are found this year
    and get support up to the line, which goes on in later years.  Returns the new support."""
    poor = at_home & (per_head + support < line)
    found = poor & (rng.random(len(per_head)) < reach)
    return np.where(found, line - per_head, support)


def decile_multipliers(dispersion: float, groups: int = 10) -> np.ndarray:
    """Incomes relative to the mean at the midpoints of ``groups`` quantiles of a log-normal with mean 1."""
    s = dispersion
    mult = np.exp(s * ndtri((np.arange(groups) + 0.5) / groups) - s * s / 2)
    return mult / mult.mean()


def guarantee_cells(income: np.ndarray, weight: np.ndarray, level: float | np.ndarray,
                    coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Split each income cell into the share the guarantee reaches (topped up to its level) and the rest:
    returns (incomes, weights) twice as long, covered cells first."""
    covered = np.maximum(income, level)
    return np.concatenate([covered, income]), np.concatenate([weight * coverage, weight * (1.0 - coverage)])
