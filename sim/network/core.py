"""The city network itself: :class:`CityNetwork`, city-size tiers and assembling a connected graph.

City-size tiers follow the State Council's 2014 classification of Chinese cities
(Guofa 2014 No. 51), by population: tier 1 megacity (>= 10 million), tier 2 very
large city (5-10 million), tier 3 large city (1-5 million), tier 4 medium and small
city (< 1 million).  See ``docs/data.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from sim.errors import InputError

from .checks import _finite_param
from .geometry import EARTH_RADIUS_KM, _haversine, _pairwise_km, _project, _unproject

TIER_THRESHOLDS = (10e6, 5e6, 1e6)
"""Lower population bounds (people) of tiers 1, 2 and 3; below the last is tier 4."""

TIER_NAMES = {
    1: "megacity (>= 10 million people)",
    2: "very large city (5-10 million)",
    3: "large city (1-5 million)",
    4: "medium or small city (< 1 million)",
}

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
        province: list of n texts, aligned with ``names``: the province (province-level
            division) of each city; for china the GeoNames first-level division in English
            ("Guangdong", "Chongqing"), for a file its ``province`` column or data key, ""
            where not known (every synthetic city).
        names_zh: list of n texts, aligned with ``names``: the city's name in simplified
            Chinese characters ("上海"); for china from GeoNames' alternate names, for a file
            its ``name_zh`` column or data key, "" where not known.
        note: how the source read the request, e.g. that china was asked for more cities
            than it has and returned all of them; "" when there is nothing to say.
        places: float64 (n,), settlements the node stands for: 1 for a city; for a towns node the
            number of smaller urban places it gathers (sizes that drive wages, rents and city-size
            rules are per place: ``population / places``).
        towns: bool (n,), True for a node that gathers a province's urban places below the network's
            cities (county towns and small cities; see :func:`sim.network.china.china_network`), not
            one city: left out of city-size laws (Zipf, primacy) and of maps' city labels.
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
    province: list[str] | None = None
    names_zh: list[str] | None = None
    note: str = ""
    places: np.ndarray | None = None
    towns: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.names)
        self.places = np.ones(n) if self.places is None else np.asarray(self.places, dtype=np.float64)
        self.towns = np.zeros(n, bool) if self.towns is None else np.asarray(self.towns, dtype=bool)
        if self.places.shape != (n,) or self.towns.shape != (n,) or (self.places < 1).any():
            raise ValueError(f"CityNetwork.places/towns must be {n} entries, places >= 1")
        for attr in ("province", "names_zh"):
            values = getattr(self, attr)
            values = [""] * n if values is None else [str(v) for v in values]
            if len(values) != n:
                raise ValueError(f"CityNetwork.{attr} has {len(values)} entries for {n} cities")
            setattr(self, attr, values)

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
            source=self.source, origin=self.origin, province=list(self.province), names_zh=list(self.names_zh),
            note=self.note, places=self.places.copy(), towns=self.towns.copy(),
        )

    @property
    def cities(self) -> np.ndarray:
        """bool (n,): True for a node that is one city (not a towns node)."""
        return ~self.towns

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

    def with_city(self, name: str, x: float, y: float, population: float, link_to: int,
                  province: str | None = None, name_zh: str = "") -> CityNetwork:
        """A new network with one extra city (index ``n``), e.g. a new city founded beside the capital.

        Args:
            name: the new city's name, not used by another city.
            x, y: position on the plane, km (same plane as ``self.x``/``self.y``; for a
                geographic network lon/lat are recovered by inverting the projection).
            population: people, >= 0 (0 for a city not yet founded).
            link_to: index of the city it is linked to; the new city is also linked to
                that city's neighbours.  Edge lengths are great-circle km for geographic
                networks, straight-line km otherwise.
            province: its province; None (default) for the province of city ``link_to``.
            name_zh: its name in Chinese characters, "" if none.

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
        province = self.province[link_to] if province is None else str(province)  # type: ignore[index]
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
        attrs.update({k: v for k, v in (("province", province), ("name_zh", str(name_zh))) if v})
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
            origin=self.origin, province=[*self.province, province],  # type: ignore[misc]
            names_zh=[*self.names_zh, str(name_zh)], note=self.note,  # type: ignore[misc]
            places=np.append(self.places, 1.0), towns=np.append(self.towns, False),
        )


def city_tier(population: np.ndarray | float) -> np.ndarray:
    """China's 2014 city-size class of each population (people) as int8: 1 (>= 10M), 2 (>= 5M), 3 (>= 1M), 4."""
    p = np.asarray(population, dtype=np.float64)
    tier = np.full(p.shape, 4, dtype=np.int8)
    for t, bound in zip((3, 2, 1), TIER_THRESHOLDS[::-1]):
        tier[p >= bound] = t
    return tier

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
    province: list[str] | None = None,
    names_zh: list[str] | None = None,
    note: str = "",
    places: np.ndarray | None = None,
    towns: np.ndarray | None = None,
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
    tier = city_tier(population / (1.0 if places is None else np.asarray(places, dtype=np.float64)))
    straight = _pairwise_km(x, y, lon, lat)

    graph = nx.Graph()
    for i in range(n):
        attrs: dict[str, Any] = {"name": names[i], "population": float(population[i]), "x": float(x[i]),
                                 "y": float(y[i]), "tier": int(tier[i])}
        if lon is not None and lat is not None:
            attrs["lon"] = float(lon[i])
            attrs["lat"] = float(lat[i])
        for key, values in (("province", province), ("name_zh", names_zh)):
            if values is not None and values[i]:  # kept on the graph so a saved GraphML carries them
                attrs[key] = str(values[i])
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
        distance_km=_shortest_paths(graph, n), source=source, origin=origin, province=province, names_zh=names_zh,
        note=note, places=places, towns=towns,
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


