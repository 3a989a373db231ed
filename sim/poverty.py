"""Poverty lines and the Foster-Greer-Thorbecke measures by population group.

The registry :data:`POVERTY_LINES` lists the lines the model reports, each with a plain-words meaning
that the report and the teaching demo show.  Every line gives FGT 0/1/2 (headcount, gap, severity) for
everyone and for each group; the official line keeps the historical column names (no suffix).

World Bank lines are in 2017 PPP dollars a day.  They are converted to the model's yuan a year at 2010
prices with China's 2017 PPP conversion factor for private consumption (:data:`PPP_YUAN_PER_DOLLAR_2017`,
World Bank International Comparison Program 2017, indicator PA.NUS.PRVT.PP) and the NBS consumer price
index from 2010 to 2017 (:data:`CPI_2017_OVER_2010`, the product of the yearly CPI changes in
``sim/data/series/china_growth.csv``).  The World Bank itself uses separate urban and rural PPPs for
China; one national factor is a simplification, stated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import metrics

PPP_YUAN_PER_DOLLAR_2017 = 4.18  # yuan per international dollar, private consumption, ICP 2017
CPI_2017_OVER_2010 = 1.054 * 1.026 * 1.026 * 1.020 * 1.014 * 1.020 * 1.016  # NBS CPI, 2011-2017 changes


def dollars_a_day(dollars: float) -> float:
    """A line in 2017 PPP dollars a day as yuan a year at 2010 prices."""
    return dollars * 365.0 * PPP_YUAN_PER_DOLLAR_2017 / CPI_2017_OVER_2010


@dataclass(frozen=True)
class PovertyLine:
    key: str
    label: str
    meaning: str
    # yuan a year per person at 2010 prices, from the model's official line and the year's incomes (sorted in
    # ascending order) and their weights
    value: Callable[[float, np.ndarray, np.ndarray], float]

    @property
    def suffix(self) -> str:
        return "" if self.key == "official" else f"_{self.key}"


def _relative(share: float) -> Callable[[float, np.ndarray, np.ndarray], float]:
    # the outputs pass incomes sorted (sim.outcomes.compute sorts them once)
    return lambda official, incomes, weights: share * metrics.weighted_median(incomes, weights, presorted=True)


POVERTY_LINES: dict[str, PovertyLine] = {line.key: line for line in (
    PovertyLine("official", "China's official line (2,300 yuan, 2010 prices)",
                "China's rural poverty line of 2011: 2,300 yuan a person a year at 2010 prices, about 6.3 yuan a "
                "day; the line behind the NBS rural poverty rate and the 2020 goal of eliminating poverty.",
                lambda official, incomes, weights: official),
    PovertyLine("wb215", "World Bank $2.15 a day (2017 PPP)",
                "The World Bank's international extreme-poverty line: 2.15 dollars a day at 2017 purchasing power, "
                f"about {dollars_a_day(2.15):,.0f} yuan a year at 2010 prices.",
                lambda official, incomes, weights: dollars_a_day(2.15)),
    PovertyLine("wb365", "World Bank $3.65 a day (2017 PPP)",
                "The World Bank's line for lower-middle-income countries: 3.65 dollars a day at 2017 purchasing "
                f"power, about {dollars_a_day(3.65):,.0f} yuan a year at 2010 prices.",
                lambda official, incomes, weights: dollars_a_day(3.65)),
    PovertyLine("wb685", "World Bank $6.85 a day (2017 PPP)",
                "The World Bank's line for upper-middle-income countries such as China today: 6.85 dollars a day "
                f"at 2017 purchasing power, about {dollars_a_day(6.85):,.0f} yuan a year at 2010 prices.",
                lambda official, incomes, weights: dollars_a_day(6.85)),
    PovertyLine("relative50", "Relative line (50% of the median)",
                "Half the median income per person of the year: who falls behind the rest of society, the kind of "
                "line China discusses after 2020; it rises as incomes rise.",
                _relative(0.5)),
)}

MEASURES = {"headcount": 0, "gap": 1, "severity": 2}
# column prefix -> (what the group is, which of outcomes' groups it is made of)
GROUP_PREFIXES = {"": "everyone", "migrant_": "rural-hukou people living in cities",
                  "villager_": "urban villagers", "rural_": "rural residents (at home)",
                  "urban_hukou_": "urban-hukou residents (natives and converted migrants)"}


def column(prefix: str, measure: str, line: str) -> str:
    """Output column name, e.g. ``migrant_poverty_headcount_wb365``."""
    return f"{prefix}poverty_{measure}{POVERTY_LINES[line].suffix}"


def fgt_by_group(incomes: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int,
                 line: float, people: np.ndarray | None = None) -> np.ndarray:
    """(n_groups, 3) FGT 0/1/2 of each group at ``line`` (0 for an empty group); ``people`` per group may be
    given when it is known (it is the same at every line)."""
    below = incomes < line
    gap = np.where(below, (line - incomes) / line, 0.0)
    if people is None:
        people = np.bincount(group, weights=weights, minlength=n_groups)
    out = np.zeros((n_groups, 3))
    for a in range(3):
        term = np.where(below, weights, 0.0) if a == 0 else weights * gap ** a
        total = np.bincount(group, weights=term, minlength=n_groups)
        out[:, a] = np.where(people > 0, total / np.maximum(people, 1e-300), 0.0)
    return out
