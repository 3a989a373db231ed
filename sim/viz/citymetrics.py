"""Per-city figures for the teaching map, as pure functions of the model's arrays.

Every function takes plain numpy arrays (people, yuan/year) and returns a new array, one entry per
city; nothing here reads or changes a model.  :func:`snapshot` gathers them from a
:class:`sim.MigrationModel` for drawing.

Who lives in city ``c`` (people):
  * migrants (rural-hukou agents, converted or not) with ``location == c``, each standing for
    ``weight`` people with disposable income ``income``;
  * urban villagers with ``city == c``, pooled by city and split over income deciles;
  * natives of ``c`` and urban-to-urban movers living there, split equally over the income deciles of
    ``native_income[c, :]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import MigrationModel


def _per_city(index: np.ndarray, values: np.ndarray, n_cities: int) -> np.ndarray:
    """Sum ``values`` by city index; rows with index < 0 (at home in the countryside) are left out."""
    index = np.asarray(index)
    values = np.asarray(values, dtype=float)
    inside = index >= 0
    return np.bincount(index[inside], weights=values[inside], minlength=n_cities)[:n_cities]


def residents(location: np.ndarray, weight: np.ndarray, villager_city: np.ndarray,
              villager_weight: np.ndarray, natives: np.ndarray) -> np.ndarray:
    """People living in each city: natives + urban villagers + migrants located there."""
    n = len(natives)
    return (np.asarray(natives, dtype=float) + _per_city(villager_city, villager_weight, n)
            + _per_city(location, weight, n))


def poor_residents(location: np.ndarray, weight: np.ndarray, income: np.ndarray,
                   villagers: np.ndarray, villager_income: np.ndarray,
                   natives: np.ndarray, native_income: np.ndarray, poverty_line: float,
                   guarantee: float = 0.0, coverage: float = 0.0) -> np.ndarray:
    """People in each city whose disposable income is below ``poverty_line`` (yuan/year).

    Villagers (``villagers[c]`` people) and natives are split equally over the income deciles of
    ``villager_income[c, :]`` and ``native_income[c, :]`` (before the urban guarantee); the guarantee
    (``guarantee`` yuan/year) lifts the share ``coverage`` of each decile to its level, as the model's outputs
    count them."""
    natives = np.asarray(natives, dtype=float)
    native_income = np.asarray(native_income, dtype=float)
    if native_income.ndim != 2 or native_income.shape[0] != natives.shape[0]:
        raise ValueError(f"native_income must be (cities, deciles); got {native_income.shape} "
                         f"for {natives.shape[0]} cities")
    n, groups = native_income.shape
    # a decile cell is poor if below the line, except the share the guarantee reaches when it is above the line
    still_poor = 1.0 - coverage * (guarantee >= poverty_line)

    def by_decile(people: np.ndarray, decile_income: np.ndarray) -> np.ndarray:
        below = (np.asarray(decile_income, dtype=float) < poverty_line).sum(axis=1) / groups
        return np.asarray(people, dtype=float) * below * still_poor

    poor_migrants = _per_city(location, np.asarray(weight) * (np.asarray(income) < poverty_line), n)
    return by_decile(natives, native_income) + poor_migrants + by_decile(villagers, villager_income)


def floating_residents(location: np.ndarray, weight: np.ndarray, urban_hukou: np.ndarray,
                       n_cities: int) -> np.ndarray:
    """People in each city holding a rural hukou (the floating population: migrants not converted)."""
    floating = (np.asarray(location) >= 0) & ~np.asarray(urban_hukou, dtype=bool)
    return _per_city(location, np.asarray(weight) * floating, n_cities)


def safe_share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole`` with 0 where ``whole`` is 0 (an unfounded or emptied city)."""
    part = np.asarray(part, dtype=float)
    whole = np.asarray(whole, dtype=float)
    out = np.zeros(np.broadcast(part, whole).shape)
    np.divide(part, whole, out=out, where=whole > 0)
    return out


def rank_size(population: np.ndarray, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ranks 1..k and city sizes in decreasing order, for the rank-size (Zipf) plot.

    Inactive cities (a new city not yet founded) and empty cities are left out: a log axis has no 0.
    """
    population = np.asarray(population, dtype=float)
    keep = population > 0
    if active is not None:
        keep &= np.asarray(active, dtype=bool)
    sizes = np.sort(population[keep])[::-1]
    return np.arange(1, sizes.size + 1), sizes


def largest(population: np.ndarray, k: int, active: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` most populous (active) cities, largest first."""
    population = np.asarray(population, dtype=float)
    order = np.argsort(-population, kind="stable")
    if active is not None:
        order = order[np.asarray(active, dtype=bool)[order]]
    return order[:max(int(k), 0)]


@dataclass(frozen=True)
class CitySnapshot:
    """What the map shows about each city at one moment."""

    population: np.ndarray  # people
    poor: np.ndarray  # people below the poverty line
    floating: np.ndarray  # rural-hukou residents (people)
    active: np.ndarray  # bool
    capped: np.ndarray  # bool: a population cap is in force

    @property
    def poverty_rate(self) -> np.ndarray:
        """Share of each city's residents below the poverty line."""
        return safe_share(self.poor, self.population)

    @property
    def migrant_share(self) -> np.ndarray:
        """Share of each city's residents who are rural-hukou migrants."""
        return safe_share(self.floating, self.population)


def snapshot(model: "MigrationModel") -> CitySnapshot:
    """Per-city figures of a model's current state."""
    m, v, c = model.migrants, model.villagers, model.cities
    n = model.n_cities
    return CitySnapshot(
        population=residents(m.location, m.weight, v.city, v.weight, c.natives + c.urban_movers),
        poor=poor_residents(m.location, m.weight, m.income, _per_city(v.city, v.weight, n),
                            model.villager_decile_income, c.natives + c.urban_movers, model.native_income,
                            float(model.p["poverty_line"]), float(model.urban_guarantee),
                            float(model.p["dibao_coverage"])),
        floating=floating_residents(m.location, m.weight, m.urban_hukou, n),
        active=np.asarray(c.active, dtype=bool).copy(),
        capped=np.isfinite(np.asarray(c.cap, dtype=float)),
    )


def poverty_line_values(model: "MigrationModel") -> dict[str, float]:
    """Each poverty line of :data:`sim.poverty.POVERTY_LINES` this year, in yuan a year (2010 prices).

    Lines that depend on the year's incomes (the relative line) see the same people the model's outputs
    count: migrants and rural people one by one, villagers and natives by income decile, with the urban
    guarantee reaching its coverage share of each decile."""
    from sim.outcomes import urban_income_cells
    from sim.poverty import POVERTY_LINES

    p, m = model.p, model.migrants
    v_income, v_weight, n_income, n_weight = urban_income_cells(model)
    incomes = np.concatenate([m.income, v_income, n_income])
    weights = np.concatenate([m.weight, v_weight, n_weight])
    order = np.argsort(incomes)  # the lines take incomes in ascending order
    incomes, weights = incomes[order], weights[order]
    official = float(p["poverty_line"])
    return {key: float(line.value(official, incomes, weights)) for key, line in POVERTY_LINES.items()}


def poor_by_line(model: "MigrationModel", lines: dict[str, float]) -> dict[str, np.ndarray]:
    """People in each city below each line of ``lines`` (key -> yuan a year), counted as :func:`snapshot` does."""
    m, v, c = model.migrants, model.villagers, model.cities
    n = model.n_cities
    villagers = _per_city(v.city, v.weight, n)
    natives = c.natives + c.urban_movers
    return {key: poor_residents(m.location, m.weight, m.income, villagers, model.villager_decile_income, natives,
                                model.native_income, z, float(model.urban_guarantee),
                                float(model.p["dibao_coverage"]))
            for key, z in lines.items()}
