"""Rural industry: local off-farm work of people who stay at home (township and village enterprises).

In the 1980s and 1990s most of the rise in rural incomes away from the farm came from work in township and
village enterprises (TVEs) near home, not from migration ("leaving the land without leaving the village").
The number of such jobs is an observed series (``sim/data/series/china_rural_industry.csv``, NBS); they go to
the households whose persistent draw is lowest, so the same households keep them from year to year, and pay
a multiple of the hinterland's farm income per person: to draw labour off the land a local job must beat what
that labour earns on it (Lewis's dual economy), so its pay follows farm incomes, not city wages.
People; yuan per person a year (2010 prices).
"""

from __future__ import annotations

import numpy as np


def job_share(jobs: float, at_home: float) -> float:
    """Share of the people living at home who hold a local off-farm job: ``jobs`` (people) over ``at_home``
    (people), at most 1."""
    if jobs <= 0 or at_home <= 0:
        return 0.0
    return min(jobs / at_home, 1.0)


def local_earnings(draw: np.ndarray, share: float, wage: np.ndarray) -> np.ndarray:
    """Off-farm earnings (yuan/year, before skill and health) of people whose household ``draw`` (uniform
    0..1) is below ``share``: the local ``wage`` of their hinterland, else 0."""
    return np.where(draw < share, wage, 0.0)
