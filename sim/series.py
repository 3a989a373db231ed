"""Observed yearly series that drive growth (``sim/data/series``, sources in its README).

A series file is a CSV with a ``year`` column and numeric columns, one row per year with no gaps.
Anything else is an :class:`~sim.errors.InputError` naming the file and the field.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError

SERIES_DIR = Path(__file__).resolve().parent / "data" / "series"


@dataclass(frozen=True)
class Series:
    """Columns of a yearly series: ``values[column][year]``."""

    path: str
    first: int
    last: int
    values: dict[str, dict[int, float]]

    def growth_index(self, column: str, base_year: int, year: int, fallback: float) -> float:
        """Level in ``year`` relative to ``base_year`` of a column of per-cent growth rates; years the
        series does not cover grow at ``fallback`` (a rate, 0.05 = 5%)."""
        lo, hi = sorted((base_year, year))
        level = 1.0
        for y in range(lo + 1, hi + 1):
            g = self.values[column].get(y)
            level *= 1.0 + (fallback if g is None else g / 100.0)
        return level if year >= base_year else 1.0 / level

    def nearest(self, year: int) -> int:
        """``year`` if the series covers it, else its first or last year."""
        return min(max(year, self.first), self.last)

    def at(self, column: str, year: int) -> float:
        """The column's value in ``year``, or in the nearest observed year outside the series."""
        return self.values[column][self.nearest(year)]


def load(path: str | Path) -> Series:
    """Read and check a series file."""
    return _load(str(path))


@lru_cache(maxsize=8)
def _load(path: str) -> Series:
    name = Path(path).name
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, "-", f"cannot read the series file ({e.__class__.__name__}); expected a UTF-8 CSV")
    if not rows or not rows[0] or rows[0][0].strip() != "year":
        raise InputError(path, "year", "the first column must be 'year'")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise InputError(path, "header", f"column names must be unique and non-empty in {name}")
    values: dict[str, dict[int, float]] = {h: {} for h in header[1:]}
    years: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"line {line}", f"has {len(row)} fields; expected {len(header)} ({', '.join(header)})")
        try:
            year = int(row[0])
        except ValueError:
            raise InputError(path, f"line {line}: year", f"got {row[0]!r}; expected a whole year") from None
        for h, cell in zip(header[1:], row[1:]):
            try:
                v = float(cell)
            except ValueError:
                raise InputError(path, f"line {line}: {h}", f"got {cell!r}; expected a number") from None
            if not math.isfinite(v):
                raise InputError(path, f"line {line}: {h}", f"got {cell!r}; expected a finite number")
            values[h][year] = v
        years.append(year)
    if not years:
        raise InputError(path, "year", "no rows; expected one row per year")
    expected = list(range(years[0], years[0] + len(years)))
    if years != expected:
        gap = next(y for y, e in zip(years, expected) if y != e)
        raise InputError(path, "year", f"years must run one by one with no gaps or repeats; found {gap} where "
                                        f"{expected[years.index(gap)]} was expected")
    return Series(path, years[0], years[-1], values)


def bundled(name: str) -> Series:
    """A series shipped in ``sim/data/series`` by file stem (e.g. ``"china_growth"``)."""
    return load(SERIES_DIR / f"{name}.csv")


def price_level(year: int, growth: Series | None = None) -> float:
    """Consumer prices in ``year`` relative to 2010 (NBS national CPI; 2% a year outside the series): divide
    nominal yuan of ``year`` by it for the model's 2010 prices.  ``growth``: the ``china_growth`` series, when the
    caller has it loaded already (read from its file otherwise)."""
    series = growth if growth is not None else bundled("china_growth")
    return series.growth_index("cpi_inflation", 2010, year, 0.02)


class ChinaHistory:
    """The 'china' growth source: urban productivity, farm output and guarantee levels by year, in 2010 prices."""

    def __init__(self, start_year: int, productivity_growth: float, farm_growth: float, dibao_growth: float):
        self.growth = bundled("china_growth")
        self.dibao = bundled("dibao_standards")
        self.industry = bundled("china_rural_industry")
        self.graduates_series = bundled("china_graduates")
        self.start_year = start_year
        self.productivity_growth = productivity_growth
        self.farm_growth = farm_growth
        self.dibao_growth = dibao_growth

    def urban_productivity(self, year: int) -> float:
        """Formal wage level relative to the start year (real urban income per head, NBS)."""
        return self.growth.growth_index("urban_income_real_growth", self.start_year, year, self.productivity_growth)

    def farm_output(self, year: int) -> float:
        """Farm output relative to the start year (primary-sector value added, NBS)."""
        return self.growth.growth_index("primary_value_added_real_growth", self.start_year, year, self.farm_growth)

    def natural_growth(self, year: int, fallback: float) -> float:
        """Births minus deaths per person in ``year`` (NBS natural growth rate); ``fallback`` outside the series."""
        rate = self.growth.values["natural_growth_per_mille"].get(year)
        return fallback if rate is None else rate / 1000.0

    def rural_industry_jobs(self, year: int) -> float:
        """People employed in township and village enterprises (NBS); the nearest observed year outside the series."""
        return 1e6 * self.industry.at("tve_employment_million", year)

    def graduates(self, year: int) -> float:
        """Graduates of regular higher education in ``year``, people (NBS); the nearest observed year outside."""
        return 1e3 * self.graduates_series.at("graduates_thousand", year)

    def price_level(self, year: int) -> float:
        """Consumer prices relative to 2010."""
        return price_level(year, self.growth)

    def dibao_levels(self, year: int) -> tuple[float, float]:
        """(urban, rural) guarantee standards, yuan per person a year at 2010 prices."""
        d = self.dibao
        y = d.nearest(year)
        urban = 12.0 * d.values["urban_yuan_per_month"][y] / self.price_level(y)
        rural = d.values["rural_yuan_per_year"][y] / self.price_level(y)
        drift = (1.0 + self.dibao_growth) ** (year - y)  # outside the series: its growth parameter
        return urban * drift, rural * drift
