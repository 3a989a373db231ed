"""Mechanisms 1 and 2: the city economy (wages, jobs, farm income) and housing markets.

All functions are pure functions of arrays so that they can be tested and reused by the
per-agent reference.  Money in yuan/year per person (2010 prices), sizes in people.
"""

from __future__ import annotations

import numpy as np


def formal_wage(base_wage: float, productivity: np.ndarray, size: np.ndarray, reference_size: float,
                agglomeration: float, congestion: float) -> np.ndarray:
    """Formal wage per worker: productivity with agglomeration economies (and optional congestion).

    w = base * A * (N/N0)^(agglomeration - congestion): wages rise with city size when
    agglomeration dominates (Au & Henderson 2006 add congestion for the inverted U).
    """
    relative = np.maximum(size, 1.0) / reference_size
    return base_wage * productivity * relative ** (agglomeration - congestion)


def formal_chance(formal_jobs: np.ndarray, hukou_workers: np.ndarray, native_employment: float,
                  seekers: np.ndarray, barrier: float) -> np.ndarray:
    """Chance that a rural-hukou job seeker gets a formal job in each city.

    Hukou holders keep their jobs first (native_employment per person); the rest of the formal
    jobs are open to rural-hukou seekers, whose chance is cut by the hukou barrier.  With no
    natives and no barrier this is Harris-Todaro's E / L_u.
    """
    open_jobs = np.maximum(formal_jobs - native_employment * hukou_workers, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seekers > 0, open_jobs / np.maximum(seekers, 1e-12), 1.0)
    return np.minimum(ratio, 1.0) * (1.0 - barrier)


def informal_earnings(formal_wage: np.ndarray, ratio: float, informal_share: np.ndarray, crowding: float,
                      market_clearing: np.ndarray) -> np.ndarray:
    """Informal earnings: a share of the formal wage, falling as the informal sector crowds
    (share of residents above 10%) and as markets are cleared by cap enforcement."""
    crowd = np.maximum(informal_share, 0.1) / 0.1
    return ratio * formal_wage * crowd ** (-crowding) * (1.0 - market_clearing)


def rural_income(base_income: float, at_home: np.ndarray, at_home0: np.ndarray, labour_elasticity: float) -> np.ndarray:
    """Farm income per person in each hinterland: output A * L^alpha shared by L people, so
    income = base * (L / L0)^(alpha - 1).  alpha < 1 is surplus labour: those who stay gain when others leave."""
    relative = np.where(at_home0 > 0, np.maximum(at_home, 1e-9) / np.maximum(at_home0, 1e-9), 1.0)
    return base_income * relative ** (labour_elasticity - 1.0)


def formal_rent(base_rent: float, size: np.ndarray, reference_size: float, elasticity: float) -> np.ndarray:
    """Formal rent per person, rising with crowding (city size)."""
    return base_rent * (np.maximum(size, 1.0) / reference_size) ** elasticity


def village_rent(base_rent: float, demand: np.ndarray, supply: np.ndarray, elasticity: float,
                 fallback: np.ndarray) -> np.ndarray:
    """Urban-village rent per person: base * occupancy^elasticity; occupancy (people per
    bed-space) is bounded to [0.1, 10].  A city with no village rooms charges the formal rent."""
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(supply > 0, demand / np.maximum(supply, 1e-12), 1.0)
    rent = base_rent * np.clip(occupancy, 0.1, 10.0) ** elasticity
    return np.where(supply > 0, rent, fallback)
