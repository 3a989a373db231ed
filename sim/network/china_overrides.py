"""Corrections to GeoNames' Chinese places: a table of census figures with their sources.

The table (``china_overrides.csv`` beside this module, or a user's file of the same shape) has
one row per corrected place, with columns:

* ``name``, ``province``: the place as GeoNames spells it (``Wuzhong``, ``Ningxia``);
* ``geonameid``: optional, needed only when a province has two places of that name;
* ``action``: ``population`` (replace GeoNames' figure) or ``drop`` (remove the place: a district
  counted in its city, or a place carrying another place's figure);
* ``population``: people, for ``population`` rows (empty for ``drop``);
* ``year``: the census year of the figure, for ``population`` rows;
* ``source``: where the figure (or the reason to drop) comes from -- required.

Every problem is an :class:`~sim.errors.InputError` naming the table, the line and what is
allowed; a row naming a place GeoNames does not have is one.  See ``docs/data.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import InputError

OVERRIDES_FILE = Path(__file__).with_name("china_overrides.csv")
"""The packaged table of corrections (read by default)."""

ACTIONS = ("population", "drop")
COLUMNS = ("name", "province", "geonameid", "action", "population", "year", "source")
REQUIRED = ("name", "province", "action", "source")
CENSUS_YEARS = (1953, 1964, 1982, 1990, 2000, 2010, 2020)
POPULATION_RANGE = (1.0, 1e9)


@dataclass(frozen=True)
class Override:
    """One correction: the GeoNames place it applies to and what it does."""

    geonameid: int
    name: str
    province: str
    action: str
    population: float | None
    year: int | None
    source: str
    line: int


def read_overrides(path: str | Path, places: list[dict[str, Any]], provinces: dict[str, str]) -> list[Override]:
    """The table at ``path``, each row matched to exactly one of ``places`` (GeoNames records).

    ``provinces`` maps GeoNames admin1 codes to the province names the table uses.
    """
    from .files import _read_csv_rows  # one CSV reader for every table the network reads

    src = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError(src, "path", "not an existing file; must be a CSV table of corrections "
                                      "(see sim/network/china_overrides.csv)")
    what = f"table of corrections with columns {', '.join(COLUMNS)}"
    columns, rows = _read_csv_rows(src, p, what)
    for col in REQUIRED:
        if col not in columns:
            raise InputError(src, f"column {col!r}", f"missing (columns are {', '.join(map(repr, columns))}); "
                                                     f"must be a {what}")
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for place in places:
        key = (str(place["name"]).casefold(), provinces.get(str(place.get("admin1code", "")), ""))
        by_key.setdefault(key, []).append(place)
    known_provinces = sorted(set(provinces.values()))

    out: list[Override] = []
    seen: dict[int, int] = {}
    for line, row in rows:
        name, province, action, source = (row.get(c, "") for c in ("name", "province", "action", "source"))
        where = f"line {line}"
        if not name:
            raise InputError(src, f"{where} name", "missing; must be the place's GeoNames name")
        if province not in known_provinces:
            raise InputError(src, f"{where} province", f"{province!r} is not a province of the GeoNames data; "
                                                       f"must be one of {', '.join(known_provinces)}")
        candidates = by_key.get((name.casefold(), province), [])
        gid_text = row.get("geonameid", "")
        if gid_text:
            try:
                gid = int(gid_text)
            except ValueError:
                raise InputError(src, f"{where} geonameid", f"{gid_text!r} is not a whole number; must be the "
                                                            "place's GeoNames id or left empty") from None
            matched = [c for c in candidates if int(c["geonameid"]) == gid]
            if not matched:
                ids = ", ".join(str(c["geonameid"]) for c in candidates) or "none"
                raise InputError(src, f"{where} geonameid", f"{gid} is not the id of {name!r} in {province} "
                                                            f"(GeoNames ids of that name there: {ids}); "
                                                            "must be the id of the named place")
            candidates = matched
        if not candidates:
            raise InputError(src, f"{where} name", f"{name!r} in {province} is not a GeoNames place of China "
                                                   "(>= 15,000 people); must name a place of the china source "
                                                   "as GeoNames spells it")
        if len(candidates) > 1:
            ids = ", ".join(str(c["geonameid"]) for c in candidates)
            raise InputError(src, f"{where} geonameid", f"{name!r} in {province} is {len(candidates)} GeoNames "
                                                        f"places ({ids}); must give the geonameid of one")
        place = candidates[0]
        gid = int(place["geonameid"])
        if gid in seen:
            raise InputError(src, f"{where} name", f"{name!r} in {province} is corrected twice (lines {seen[gid]} "
                                                   f"and {line}); a place must have at most one row")
        seen[gid] = line
        if action not in ACTIONS:
            raise InputError(src, f"{where} action", f"{action!r} is not allowed; must be one of "
                                                     f"{', '.join(map(repr, ACTIONS))}")
        if not source:
            raise InputError(src, f"{where} source", "missing; every correction must cite its figure or reason")
        population: float | None = None
        year: int | None = None
        if action == "population":
            raw = row.get("population", "")
            try:
                population = float(raw)
            except ValueError:
                population = math.nan
            low, high = POPULATION_RANGE
            if not math.isfinite(population) or not low <= population <= high:
                raise InputError(src, f"{where} population", f"{raw!r} is not allowed; must be a number from "
                                                             f"{low:g} to {high:g} (people)")
            raw_year = row.get("year", "")
            if not raw_year.isdigit() or int(raw_year) not in CENSUS_YEARS:
                raise InputError(src, f"{where} year", f"{raw_year!r} is not allowed; must be the census year of "
                                                       f"the figure, one of {', '.join(map(str, CENSUS_YEARS))}")
            year = int(raw_year)
        elif row.get("population", "") or row.get("year", ""):
            raise InputError(src, f"{where} population", "given for a 'drop' row; must be empty when the place "
                                                         "is dropped")
        out.append(Override(gid, str(place["name"]), province, action, population, year, source, line))
    return out


def apply_overrides(places: list[dict[str, Any]], overrides: list[Override]) -> list[dict[str, Any]]:
    """``places`` with the corrections applied: figures replaced (on copies), dropped places left out.

    A corrected place carries its citation under ``"population_source"``.
    """
    by_id = {o.geonameid: o for o in overrides}
    out = []
    for place in places:
        o = by_id.get(int(place["geonameid"]))
        if o is None:
            out.append(place)
        elif o.action == "population":
            out.append({**place, "population": o.population, "population_source": f"{o.year} census: {o.source}"})
    return out
