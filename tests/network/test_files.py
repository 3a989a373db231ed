"""User files (GraphML, CSV): loading and every malformed case as a one-line InputError."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.network import geometry
from sim.network import (
    build_network,
    load_network,
    synthetic_network,
)

from .helpers import DATA, assert_input_error, check_invariants, write_csv


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
        expected = float(geometry._haversine(116.39723, 39.9075, 114.47861, 38.04139))
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
        d = float(geometry._haversine(121.45806, 31.22222, 120.59538, 31.30408))
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
    # hostile numbers (issue 11): each bounded by the file's own rules, never by an overflow later
    "csv population 1e308": ("c.csv", GOOD_HEADER + "A,1e308,0,0\nB,1e308,10,0\n", {}, "node 'A' population"),
    "csv population 1e400 (inf)": ("c.csv", GOOD_HEADER + "A,1e400,0,0\n", {}, "node 'A' population"),
    "csv population -inf": ("c.csv", GOOD_HEADER + "A,-inf,0,0\n", {}, "node 'A' population"),
    "csv population above 1e9": ("c.csv", GOOD_HEADER + "A,2e9,0,0\n", {}, "node 'A' population"),
    "csv population below one person": ("c.csv", GOOD_HEADER + "A,0.5,0,0\n", {}, "node 'A' population"),
    "csv x 1e308": ("c.csv", GOOD_HEADER + "A,5,1e308,0\nB,5,-1e308,0\n", {}, "node 'A' x"),
    "csv y -1e308": ("c.csv", GOOD_HEADER + "A,5,0,-1e308\n", {}, "node 'A' y"),
    "csv x beyond 100000 km": ("c.csv", GOOD_HEADER + "A,5,100001,0\n", {}, "node 'A' x"),
    "csv x inf": ("c.csv", GOOD_HEADER + "A,5,inf,0\n", {}, "node 'A' x"),
    "csv y nan": ("c.csv", GOOD_HEADER + "A,5,0,nan\n", {}, "node 'A' y"),
    "csv lon 1e308": ("c.csv", "name,population,lon,lat\nA,5,1e308,0\n", {}, "node 'A' lon"),
    "csv lat -inf": ("c.csv", "name,population,lon,lat\nA,5,0,-inf\n", {}, "node 'A' lat"),
    "csv lon nan with x y": ("c.csv", "name,population,x,y,lon,lat\nA,5,0,0,nan,0\n", {}, "node 'A' lon"),
    "csv edge distance 1e308": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                {"c_edges.csv": "source,target,distance_km\nA,B,1e308\n"}, "edge 1 distance_km"),
    "csv edge distance nan": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                              {"c_edges.csv": "source,target,distance_km\nA,B,nan\n"}, "edge 1 distance_km"),
    "csv edge distance zero": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                               {"c_edges.csv": "source,target,distance_km\nA,B,0\n"}, "edge 1 distance_km"),
    "csv duplicate column": ("c.csv", "name,population,x,y,x\nA,5,0,0,1\n", {}, "column 'x'"),
    "csv duplicate column in edges": ("c.csv", GOOD_HEADER + GOOD_ROWS,
                                      {"c_edges.csv": "source,target,target\nA,B,C\n"}, "column 'target'"),
    "csv duplicate names differing only in case are distinct": None,
    "csv name with line separator": ("c.csv", GOOD_HEADER + "Two\u2028lines,5,3,3\n", {},
                                     "node 'Two\\u2028lines' name"),
    "csv name too long": ("c.csv", GOOD_HEADER + "N" * 201 + ",5,3,3\n", {}, "line 2 name"),
    "csv NUL byte": ("c.csv", GOOD_HEADER + "A\x00,5,3,3\n", {}, "node 'A\\x00' name"),
    "csv edges not utf-8": ("c.csv", GOOD_HEADER + GOOD_ROWS, {"c_edges.csv": b"source,target\n\xffA,B\n"},
                            "encoding"),
    "graphml not utf-8": ("g.graphml", graphml(gnode("a", "A")).encode().replace(b">A<", b">\xff<"), {}, "encoding"),
    "graphml population 1e308": ("g.graphml", graphml(gnode("a", "A", population="1e308")), {},
                                 "node 'A' population"),
    "graphml population nan": ("g.graphml", graphml(gnode("a", "A", population="NaN")), {}, "node 'A' population"),
    "graphml x -1e308": ("g.graphml", graphml(gnode("a", "A", x="-1e308") + gnode("b", "B", x="1e308")), {},
                         "node 'A' x"),
    "graphml y inf": ("g.graphml", graphml(gnode("a", "A", y="INF")), {}, "node 'A' y"),
    "graphml edge distance 1e308": (
        "g.graphml", graphml(TWO_NODES, '<edge source="a" target="b"><data key="d">1e308</data></edge>'), {},
        "edge 'A'-'B' distance_km"),
}
del MALFORMED["csv duplicate names differing only in case are distinct"]


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_file_raises_input_error(tmp_path, case):
    name, content, extra, field = MALFORMED[case]
    path = tmp_path / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    for other, text in extra.items():
        (tmp_path / other).write_bytes(text if isinstance(text, bytes) else text.encode())
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


def test_too_many_cities(tmp_path):
    from sim.network.files import MAX_CITIES

    path = write_csv(tmp_path / "many.csv", ["name", "population", "x", "y"],
                     [[f"C{i}", 1000, i % 1000, i // 1000] for i in range(MAX_CITIES + 1)])
    with pytest.raises(InputError) as excinfo:
        load_network(path)
    assert_input_error(excinfo, str(path), "cities")
    assert f"at most {MAX_CITIES}" in str(excinfo.value)


def test_file_bounds_match_the_parameter_table():
    from sim import params as P
    from sim.network import files

    assert files.MAX_CITIES == P.BY_KEY["network.n_cities"].high
    assert files.POPULATION_RANGE[1] == P.BY_KEY["network.largest_city"].high


def test_extremes_inside_the_bounds_load_with_finite_distances(tmp_path):
    path = write_csv(tmp_path / "edge.csv", ["name", "population", "x", "y"],
                     [["A", 1e9, 100_000, 0], ["B", 1e9, -100_000, 0], ["C", 1, 0, -100_000], ["D", 1, 0, 1e-9]])
    net = load_network(path)
    check_invariants(net)
    assert np.isfinite(net.distance_km).all() and net.distance_km.max() >= 200_000
    geo = write_csv(tmp_path / "poles.csv", ["name", "population", "lon", "lat"],
                    [["N", 5, 180, 90], ["S", 5, -180, -90], ["O", 5, 0, 0]])
    check_invariants(load_network(geo))


def test_each_message_is_one_line(tmp_path):
    for case, (name, content, extra, _) in MALFORMED.items():
        folder = tmp_path / str(abs(hash(case)))
        folder.mkdir()
        path = folder / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        for other, text in extra.items():
            (folder / other).write_bytes(text if isinstance(text, bytes) else text.encode())
        with pytest.raises(InputError) as excinfo:
            load_network(path)
        assert "\n" not in str(excinfo.value) and "\u2028" not in str(excinfo.value), case
