"""The census corrections to GeoNames, and the province and Chinese name of every city."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from sim.errors import InputError
from sim.network import china_network, load_network, network_from_params, synthetic_network
from sim.network.china import _PROVINCES, chinese_name
from sim.network.china_overrides import OVERRIDES_FILE, read_overrides

from .helpers import DATA, assert_input_error, check_invariants

HEADER = "name,province,geonameid,action,population,year,source\n"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with OVERRIDES_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def raw():
    return china_network(overrides=None)


class TestPackagedTable:
    def test_every_row_cites_its_source(self, rows):
        assert len(rows) >= 5
        for row in rows:
            assert len(row["source"]) > 80, row  # a citation, not a word
            if row["action"] == "population":
                assert row["year"] in ("2010", "2020") and "census" in row["source"]
                # the figure in the population column is the one the citation gives
                assert f"{int(row['population']):,}" in row["source"], row

    def test_wuzhong_gets_its_prefecture_figure_not_ningxias(self, china, raw):
        assert raw.population[raw.names.index("Wuzhong")] == 7_202_654  # Ningxia's 2020 census total
        i = china.names.index("Wuzhong")
        assert china.population[i] == 1_382_713 and china.tier[i] == 3 and china.province[i] == "Ningxia"

    def test_puyang_of_zhejiang_dropped_puyang_of_henan_kept(self, china, raw):
        assert raw.province[raw.names.index("Puyang")] == "Zhejiang"
        i = china.names.index("Puyang")
        assert china.province[i] == "Henan" and china.names_zh[i] == "濮阳"
        assert china.population[i] < 1e6
        assert not any(p == "Zhejiang" and n.startswith("Puyang") for n, p in zip(china.names, china.province))

    def test_chongqing_is_a_megacity_of_its_whole_urban_population(self, china, raw):
        assert raw.population[raw.names.index("Chongqing")] == 7_457_599
        i = china.names.index("Chongqing")
        assert china.population[i] == 22_264_819 and china.tier[i] == 1
        assert "Wanzhou" in raw.names and "Wanzhou" not in china.names  # counted in Chongqing
        full = china_network(10**6)
        assert "Wanxian" not in full.names  # nor does it come back under its former name
        # the larger figure gives Chongqing a larger merge radius (57 km): its districts merge into it
        full, full_raw = china_network(10**6), china_network(10**6, overrides=None)
        absorbed = full.graph.nodes[full.names.index("Chongqing")]["absorbed"].split("; ")
        assert len(absorbed) > len(full_raw.graph.nodes[full_raw.names.index("Chongqing")]["absorbed"].split("; "))

    def test_only_the_corrected_places_differ_in_the_top_250(self, china, raw):
        def by_id(net):
            return {net.graph.nodes[i]["geonameid"]: (net.names[i], net.population[i]) for i in range(net.n)}

        new, old = by_id(china), by_id(raw)
        changed = {new[g][0] for g in set(new) & set(old) if new[g][1] != old[g][1]}
        assert changed == {"Chongqing", "Wuzhong"}
        dropped = {old[g][0] for g in set(old) - set(new)}
        assert {"Puyang", "Wanzhou"} <= dropped  # and places pushed below rank 250 by Chongqing's rise
        assert len(dropped) <= 3


# --------------------------------------------------------------------------- a user's table


def table(tmp_path, body: str | bytes, header: str = HEADER):
    path = tmp_path / "overrides.csv"
    path.write_bytes(body if isinstance(body, bytes) else (header + body).encode())
    return path


GOOD = 'Wuzhong,Ningxia,,population,1382713,2020,"2020 census of Ningxia: Wuzhong 1,382,713"\n'

BAD = {
    "unknown city": ("Atlantis,Ningxia,,population,5,2020,made up\n", "line 2 name"),
    "city in the wrong province": ("Wuzhong,Gansu,,population,5,2020,x\n", "line 2 name"),
    "unknown province": ("Wuzhong,Ningsia,,population,5,2020,x\n", "line 2 province"),
    "geonameid of another place": ("Wuzhong,Ningxia,1796236,population,5,2020,x\n", "line 2 geonameid"),
    "geonameid not a number": ("Wuzhong,Ningxia,abc,population,5,2020,x\n", "line 2 geonameid"),
    "unknown action": ("Wuzhong,Ningxia,,rename,5,2020,x\n", "line 2 action"),
    "no source": ("Wuzhong,Ningxia,,population,5,2020,\n", "line 2 source"),
    "population not a number": ("Wuzhong,Ningxia,,population,many,2020,x\n", "line 2 population"),
    "population 1e308": ("Wuzhong,Ningxia,,population,1e308,2020,x\n", "line 2 population"),
    "population nan": ("Wuzhong,Ningxia,,population,nan,2020,x\n", "line 2 population"),
    "population zero": ("Wuzhong,Ningxia,,population,0,2020,x\n", "line 2 population"),
    "year not a census year": ("Wuzhong,Ningxia,,population,5,2019,x\n", "line 2 year"),
    "drop with a figure": ("Wuzhong,Ningxia,,drop,5,,x\n", "line 2 population"),
    "same place twice": (GOOD + GOOD, "line 3 name"),
    "empty name": (",Ningxia,,drop,,,x\n", "line 2 name"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_table_is_one_line(tmp_path, case):
    body, field = BAD[case]
    path = table(tmp_path, body)
    with pytest.raises(InputError) as excinfo:
        china_network(overrides=path)
    assert_input_error(excinfo, str(path), field)
    assert "\n" not in str(excinfo.value)


def test_missing_column_and_bad_encoding(tmp_path):
    path = table(tmp_path, "Wuzhong,Ningxia,drop\n", header="name,province,action\n")
    with pytest.raises(InputError) as excinfo:
        china_network(overrides=path)
    assert_input_error(excinfo, str(path), "column 'source'")
    path = table(tmp_path, HEADER.encode() + b"Wuzh\xffong,Ningxia,,drop,,,x\n")
    with pytest.raises(InputError) as excinfo:
        china_network(overrides=path)
    assert_input_error(excinfo, str(path), "encoding")
    with pytest.raises(InputError) as excinfo:
        china_network(overrides=tmp_path / "absent.csv")
    assert_input_error(excinfo, str(tmp_path / "absent.csv"), "path")


def test_ambiguous_name_needs_the_geonameid(tmp_path):
    from sim.network.china import _geonames_china

    places = list(_geonames_china())
    seen: dict[tuple, list] = {}
    for p in places:
        seen.setdefault((p["name"], p["admin1code"]), []).append(p)
    (name, code), twins = next((k, v) for k, v in seen.items() if len(v) > 1)
    province = _PROVINCES[code]
    t = tmp_path / "t.csv"
    t.write_text(HEADER + f"{name},{province},,drop,,,x\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        read_overrides(t, places, _PROVINCES)
    assert_input_error(excinfo, str(t), "line 2 geonameid")
    t.write_text(HEADER + f"{name},{province},{twins[1]['geonameid']},drop,,,x\n", encoding="utf-8")
    (only,) = read_overrides(t, places, _PROVINCES)
    assert only.geonameid == int(twins[1]["geonameid"])


def test_a_users_table_replaces_the_packaged_one(tmp_path, raw):
    path = table(tmp_path, GOOD)
    net = china_network(overrides=path)
    assert net.population[net.names.index("Wuzhong")] == 1_382_713
    assert net.population[net.names.index("Chongqing")] == raw.population[raw.names.index("Chongqing")]
    # through the scenario parameter, relative to the scenario's folder; 'none' = GeoNames as shipped
    via = network_from_params({"network_kind": "china", "network_n_cities": 250, "network_overrides": "overrides.csv"},
                              tmp_path)
    assert via.names == net.names
    none = network_from_params({"network_kind": "china", "network_n_cities": 250, "network_overrides": "none"})
    assert none.names == raw.names
    # an edited table is read again (the cache is keyed by modification time)
    path.write_text(HEADER + GOOD.replace("1382713", "1273792").replace("2020,", "2010,", 1), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    edited = china_network(overrides=path)
    assert edited.population[edited.names.index("Wuzhong")] == 1_273_792


def test_cli_check_refuses_an_unknown_city(tmp_path):
    table(tmp_path, "Atlantis,Ningxia,,drop,,,made up\n")
    toml = tmp_path / "s.toml"
    toml.write_text('name = "s"\n[network]\nkind = "china"\nn_cities = 20\noverrides = "overrides.csv"\n',
                    encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "sim", "check", str(toml)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert f"{tmp_path / 'overrides.csv'}: line 2 name: 'Atlantis' in Ningxia is not a GeoNames place" in line


# --------------------------------------------------------------------------- province and Chinese names


def test_china_province_and_chinese_names(china):
    check_invariants(china)
    assert set(china.province) <= set(_PROVINCES.values())
    expect = {"Shanghai": ("Shanghai", "上海"), "Guangzhou": ("Guangdong", "广州"),
              "Shenzhen": ("Guangdong", "深圳"),
              "Changchun": ("Jilin", "长春"), "Suzhou": ("Jiangsu", "苏州"), "Suzhou (Anhui)": ("Anhui", "宿州"),
              "Ürümqi": ("Xinjiang", "乌鲁木齐"), "Lüliang": ("Shanxi", "吕梁")}
    for name, (province, zh) in expect.items():
        i = china.names.index(name)
        assert (china.province[i], china.names_zh[i]) == (province, zh), name
    # nearly every city of the default network has a Chinese name in the packaged data
    assert sum(1 for z in china.names_zh if z) >= 0.9 * china.n
    # names are simplified characters (GB 2312 encodes them), never traditional or Japanese forms
    for z in china.names_zh:
        z.encode("gb2312")


def test_chinese_name_rules():
    assert chinese_name({"alternatenames": ["長春", "長春市", "长春", "长春市"]}) == "长春"
    assert chinese_name({"alternatenames": ["吕梁市", "Lüliang"]}) == "吕梁"
    assert chinese_name({"alternatenames": ["浦阳", "浦阳街道"]}) == "浦阳"
    assert chinese_name({"alternatenames": ["万州区"]}) == "万州区"
    assert chinese_name({"alternatenames": ["Changshu"]}) == ""
    assert chinese_name({}) == ""


def test_synthetic_and_file_defaults(tmp_path):
    syn = synthetic_network(n_cities=6)
    assert syn.province == [""] * 6 and syn.names_zh == [""] * 6
    plain = load_network(DATA / "cities.csv")
    assert plain.province == [""] * plain.n and plain.names_zh == [""] * plain.n
    path = tmp_path / "zh.csv"
    path.write_text("name,population,x,y,province,name_zh\nAlpha,5000,0,0,Hebei,甲\nBeta,100,10,0,,\n",
                    encoding="utf-8")
    net = load_network(path)
    assert net.province == ["Hebei", ""] and net.names_zh == ["甲", ""]
    check_invariants(net)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,population,x,y,province\nAlpha,5000,0,0,\"He\nbei\"\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        load_network(bad)
    assert_input_error(excinfo, str(bad), "node 'Alpha' province")


def test_graphml_round_trip_keeps_province_and_chinese_name(tmp_path, china):
    import networkx as nx

    small = china_network(12)
    path = tmp_path / "c.graphml"
    nx.write_graphml(small.graph, path)
    back = load_network(path)
    assert back.province == small.province and back.names_zh == small.names_zh
    np.testing.assert_array_equal(back.population, small.population)


def test_with_city_takes_the_province_of_the_city_it_links_to(china):
    i = china.names.index("Beijing")
    x, y = china.point_near(i, 100.0, 0.0)
    new = china.with_city("Xiong'an", x, y, 0.0, i)
    assert new.province[-1] == "Beijing" and new.names_zh[-1] == ""
    other = china.with_city("Xiong'an", x, y, 0.0, i, province="Hebei", name_zh="雄安")
    assert other.province[-1] == "Hebei" and other.names_zh[-1] == "雄安"
    assert other.graph.nodes[china.n]["name_zh"] == "雄安"
    assert china.n == len(china.province)  # unchanged
