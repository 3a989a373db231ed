"""A user's own city network from a GraphML or CSV file, every problem a one-line InputError."""

from __future__ import annotations

import csv
import io
import math
import unicodedata
import xml.etree.ElementTree as ET
from numbers import Real
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from sim.errors import InputError

from .checks import _int_param
from .core import CityNetwork, _assemble
from .geometry import _project

_COORDS = (("x", "y"), ("lon", "lat"))
_COORD_HELP = "every city must have x and y (km) or lon and lat (degrees)"

# Bounds on what a file may say.  Beyond them the arithmetic breaks (1e308 people overflow the
# scaling to the urban population; +-1e308 km overflow every distance) long before the file
# could be a real place, so they are refused with one line at check time and at run time alike.
MAX_CITIES = 5000
"""Most cities in a file: the bound of network.n_cities (distance_km is n x n floats)."""
POPULATION_RANGE = (1.0, 1e9)
"""Allowed city population (people): at least one person, at most 1e9 (network.largest_city's bound)."""
MAX_PLANE_KM = 100_000.0
"""Largest |x| or |y| (km) on the plane: 2.5 times round the Earth."""
MAX_EDGE_KM = 100_000.0
"""Longest allowed link (km)."""
MAX_NAME_CHARS = 200
"""Longest allowed city name (characters)."""


def _parse_number(value: Any) -> float | None:
    """A float from a number or numeric text; None if it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Node:
    """One city read from a file, before validation: name, where it is in the file, raw attributes."""

    __slots__ = ("attrs", "name", "where")

    def __init__(self, name: str, where: str, attrs: dict[str, Any]):
        self.name = name
        self.where = where
        self.attrs = attrs


def _validate_nodes(src: str, nodes: list[_Node], declared: set[str]) -> dict[str, Any]:
    """Check names, populations and coordinates; return arrays.

    ``declared``: attribute names that the file declares (CSV columns, GraphML data keys).
    A declared coordinate pair must be complete on every node.
    """
    if not nodes:
        raise InputError(src, "cities", "the file has no cities; must have at least 1 city")
    if len(nodes) > MAX_CITIES:
        raise InputError(src, "cities", f"the file has {len(nodes)} cities; must have at most {MAX_CITIES}")
    first: dict[str, str] = {}
    for node in nodes:
        if len(node.name) > MAX_NAME_CHARS:
            raise InputError(src, f"{node.where} name", f"is {len(node.name)} characters long; "
                                                        f"must be at most {MAX_NAME_CHARS}")
        # Cc: control characters; Zl, Zp: line/paragraph separators (they would split one-line messages)
        if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in node.name):
            raise InputError(src, f"node {node.name!r} name",  # repr escapes them: the message stays one line
                             f"contains control characters ({node.where}); must be text without line breaks, "
                             "tabs or other control characters")
        if node.name in first:
            raise InputError(src, f"node {node.name!r} name",
                             f"duplicate name ({first[node.name]} and {node.where}); city names must be unique")
        first[node.name] = node.where

    population = np.empty(len(nodes))
    for i, node in enumerate(nodes):
        raw = node.attrs.get("population")
        field = f"node {node.name!r} population"
        if _missing(raw):
            raise InputError(src, field, "missing; every city must have a population, a number > 0 (people)")
        v = _parse_number(raw)
        if v is None:
            raise InputError(src, field, f"{raw!r} is not a number; must be a number > 0 (people)")
        low, high = POPULATION_RANGE
        if not math.isfinite(v) or not low <= v <= high:
            raise InputError(src, field, f"{raw!r} is not allowed; must be a number from {low:g} to {high:g} (people)")
        population[i] = v

    systems = [pair for pair in _COORDS if any(key in declared for key in pair)]
    if not systems:
        raise InputError(src, "coordinates", f"missing; {_COORD_HELP}")
    coords: dict[str, np.ndarray] = {}
    limits = {"lon": 180.0, "lat": 90.0, "x": MAX_PLANE_KM, "y": MAX_PLANE_KM}
    for pair in systems:
        for key in pair:
            values = np.empty(len(nodes))
            unit = "degrees" if key in ("lon", "lat") else "km"
            for i, node in enumerate(nodes):
                raw = node.attrs.get(key)
                field = f"node {node.name!r} {key}"
                if _missing(raw):
                    raise InputError(src, field, f"missing; the file gives {pair[0]}/{pair[1]}, so every city "
                                                 f"must have {key}, a number ({unit})")
                v = _parse_number(raw)
                if v is None:
                    raise InputError(src, field, f"{raw!r} is not a number; must be a finite number ({unit})")
                if not math.isfinite(v) or abs(v) > limits[key]:
                    raise InputError(src, field, f"{raw!r} is not allowed; must be a number between "
                                                 f"-{limits[key]:g} and {limits[key]:g} ({unit})")
                values[i] = v
            coords[key] = values

    plane = ("x", "y") if "x" in coords else ("lon", "lat")
    pos = np.stack([coords[plane[0]], coords[plane[1]]], axis=1)
    seen: dict[tuple[float, float], str] = {}
    for node, (a, b) in zip(nodes, pos):
        if (a, b) in seen:
            raise InputError(src, f"node {node.name!r} {plane[0]}, {plane[1]}",
                             f"same position as {seen[(a, b)]!r}; cities must be at distinct places")
        seen[(a, b)] = node.name

    if "lon" in coords:
        lon, lat = coords["lon"], coords["lat"]
        origin: tuple[float, float] | None = (float(lon.min() + lon.max()) / 2, float(lat.min() + lat.max()) / 2)
        if "x" in coords:
            x, y = coords["x"], coords["y"]
        else:
            x, y = _project(lon, lat, *origin)  # type: ignore[misc]
    else:
        lon = lat = None
        origin = None
        x, y = coords["x"], coords["y"]
    labels = {key: [_optional_text(src, node, key) for node in nodes] for key in ("province", "name_zh")}
    return {"names": [n.name for n in nodes], "population": population, "x": x, "y": y, "lon": lon, "lat": lat,
            "origin": origin, "province": labels["province"], "names_zh": labels["name_zh"]}


def _optional_text(src: str, node: _Node, key: str) -> str:
    """An optional text attribute of a city (province, name_zh): "" when absent."""
    raw = node.attrs.get(key)
    if _missing(raw):
        return ""
    if isinstance(raw, bool) or not isinstance(raw, (str, Real)):
        raise InputError(src, f"node {node.name!r} {key}", f"{raw!r} is not allowed; must be a text")
    text = str(raw).strip()
    if len(text) > MAX_NAME_CHARS or any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text):
        raise InputError(src, f"node {node.name!r} {key}", f"{text[:40]!r}... is not allowed; must be a text of at "
                                                           f"most {MAX_NAME_CHARS} characters without line breaks")
    return text


def _edge_distance(src: str, field: str, raw: Any) -> float | None:
    if _missing(raw):
        return None
    v = _parse_number(raw)
    if v is None:
        raise InputError(src, field, f"{raw!r} is not a number; must be a number > 0 (km), or left empty "
                                     "to use the straight-line distance")
    if not math.isfinite(v) or not 0 < v <= MAX_EDGE_KM:
        raise InputError(src, field, f"{raw!r} is not allowed; must be a number > 0 and <= {MAX_EDGE_KM:g} (km)")
    return v


def _read_text(src: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(src, "encoding", f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                          "must be UTF-8 encoded text") from None
    except OSError as exc:
        raise InputError(src, "path", f"cannot be read ({exc.strerror or exc}); must be a readable file") from None


_Edge = tuple[str, str, Any, str]  # source name, target name, raw distance_km, label for messages


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_graphml(src: str, path: Path) -> tuple[list[_Node], set[str], list[_Edge]]:
    text = _read_text(src, path)
    allowed = ("must be a GraphML file (http://graphml.graphdrawing.org/): <graphml> with one <graph> "
               "of <node> elements (data keys name, population, and x, y or lon, lat) and optional <edge> elements")
    if not text.strip():
        raise InputError(src, "file", f"the file is empty; {allowed}")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(src, "file", f"not valid XML ({exc}); {allowed}") from None
    if _local(root.tag) != "graphml":
        raise InputError(src, "file", f"the root element is <{_local(root.tag)}>, not <graphml>; {allowed}")
    node_ids = {el.get("id") for el in root.iter() if _local(el.tag) == "node"}
    for count, el in enumerate((el for el in root.iter() if _local(el.tag) == "edge"), start=1):
        for end in ("source", "target"):
            ref = el.get(end)
            if ref not in node_ids:
                raise InputError(src, f"edge {count} {end}",
                                 f"{ref!r} is not the id of a <node> in the file; edges must join declared nodes")
    try:
        g = nx.parse_graphml(text)
    except Exception as exc:  # any parser failure is the file's fault
        raise InputError(src, "file", f"not readable as GraphML ({exc}); {allowed}") from None

    nodes: list[_Node] = []
    declared: set[str] = set()
    name_of: dict[Any, str] = {}
    for node_id, data in g.nodes(data=True):
        declared.update(data)
        raw_name = data.get("name", node_id)
        if isinstance(raw_name, bool) or not isinstance(raw_name, (str, Real)) or _missing(raw_name):
            raise InputError(src, f"node {node_id!r} name", f"{raw_name!r} is not allowed; must be a non-empty text "
                                                            "(or leave name out to use the node id)")
        name = str(raw_name).strip()
        name_of[node_id] = name
        nodes.append(_Node(name, f"node id {node_id!r}", dict(data)))
    edges = [(name_of[i], name_of[j], data.get("distance_km"), f"edge {name_of[i]!r}-{name_of[j]!r}")
             for i, j, data in g.edges(data=True)]
    return nodes, declared, edges


def _read_csv_rows(src: str, path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased, stripped) and non-blank rows as (line number, {column: text})."""
    text = _read_text(src, path)
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                numbered.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(src, f"line {reader.line_num}",
                         f"not readable as CSV ({exc}); must be comma-separated text") from None
    if not numbered:
        raise InputError(src, "file", f"the file is empty; must be a CSV {what}")
    columns = [c.strip().lower() for c in numbered[0][1]]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise InputError(src, f"column {twice[0]!r}", f"appears {columns.count(twice[0])} times in the header "
                                                      f"(line {numbered[0][0]}); each column must appear once")
    out = []
    for line, row in numbered[1:]:
        if len(row) > len(columns):
            raise InputError(src, f"line {line}", f"has {len(row)} values but the header has {len(columns)} "
                                                  "columns; each row must have one value per column")
        out.append((line, {c: (row[k].strip() if k < len(row) else "") for k, c in enumerate(columns)}))
    return columns, out


def _columns_text(columns: list[str]) -> str:
    return ", ".join(map(repr, columns))


def _read_csv(src: str, path: Path) -> tuple[list[_Node], set[str], list[_Edge], str]:
    """Nodes table and, if present, the ``<stem>_edges.csv`` links table next to it."""
    what = "table of cities with columns name, population, and x, y (km) or lon, lat (degrees)"
    columns, rows = _read_csv_rows(src, path, what)
    for col in ("name", "population"):
        if col not in columns:
            raise InputError(src, f"column {col!r}", f"missing (columns are {_columns_text(columns)}); "
                                                     f"must be a {what}")
    if not any(a in columns or b in columns for a, b in _COORDS):
        raise InputError(src, "columns 'x', 'y' or 'lon', 'lat'",
                         f"missing (columns are {_columns_text(columns)}); {_COORD_HELP}")
    for a, b in _COORDS:
        if (a in columns) != (b in columns):
            have, lack = (a, b) if a in columns else (b, a)
            raise InputError(src, f"column {lack!r}", f"missing although column {have!r} is there; {_COORD_HELP}")
    nodes = []
    for line, row in rows:
        if not row["name"]:
            raise InputError(src, f"line {line} name", "missing; every city must have a non-empty name")
        nodes.append(_Node(row["name"], f"line {line}", row))

    edges: list[_Edge] = []
    edge_path = path.with_name(f"{path.stem}_edges.csv")
    if edge_path.is_file():
        esrc = str(edge_path)
        ewhat = "table of links with columns source, target (city names) and optional distance_km"
        ecolumns, erows = _read_csv_rows(esrc, edge_path, ewhat)
        for col in ("source", "target"):
            if col not in ecolumns:
                raise InputError(esrc, f"column {col!r}", f"missing (columns are {_columns_text(ecolumns)}); "
                                                          f"must be a {ewhat}")
        known = {node.name for node in nodes}
        for count, (line, row) in enumerate(erows, start=1):
            for end in ("source", "target"):
                if row[end] not in known:
                    raise InputError(esrc, f"edge {count} {end}",
                                     f"{row[end]!r} (line {line}) is not a city of {path.name}; "
                                     "must be one of the names in the nodes file")
            edges.append((row["source"], row["target"], row.get("distance_km"), f"edge {count}"))
    return nodes, set(columns), edges, str(edge_path)


def load_network(path: str | Path, neighbours: int = 4) -> CityNetwork:
    """A user's city network from a GraphML (``.graphml``) or CSV (``.csv``) file.

    GraphML: nodes with data ``name`` (optional, defaults to the node id),
    ``population`` (people, > 0) and ``x``, ``y`` (km) and/or ``lon``, ``lat``
    (degrees); edges optional, with optional ``distance_km`` (km, > 0).

    CSV: a nodes table with columns ``name``, ``population`` and ``x``, ``y`` and/or
    ``lon``, ``lat``; optionally a links table next to it named ``<stem>_edges.csv``
    (``cities.csv`` -> ``cities_edges.csv``) with columns ``source``, ``target``
    (city names) and optional ``distance_km``.

    Without edges, each city is linked to its ``neighbours`` nearest cities.  A
    missing ``distance_km`` is the straight-line distance (great-circle if lon/lat
    are given, else Euclidean on x, y).  A graph in pieces is joined by the nearest
    pairs of cities.  Given x, y are used as the plane; with only lon/lat, x, y are
    an equirectangular projection around the middle of the cities' bounding box.
    Optional per city: ``province`` and ``name_zh`` (name in Chinese characters), texts,
    "" where absent.  A ``tier`` in the file is ignored and recomputed from population.

    Every problem with the file raises :class:`~sim.errors.InputError` naming the
    file, the field and what is allowed.
    """
    src = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".graphml", ".csv"):
        raise InputError(src, "file type", f"extension {p.suffix or '(none)'!r} is not supported; "
                                           "must be .graphml (GraphML) or .csv (table of cities)")
    if not p.exists():
        raise InputError(src, "path", "file not found; must be an existing .graphml or .csv file")
    if not p.is_file():
        raise InputError(src, "path", "not a regular file; must be an existing .graphml or .csv file")
    k = _int_param(src, "neighbours", neighbours, 1)

    if suffix == ".graphml":
        nodes, declared, raw_edges = _read_graphml(src, p)
        edge_src = src
    else:
        nodes, declared, raw_edges, edge_src = _read_csv(src, p)
    data = _validate_nodes(src, nodes, declared)
    index = {name: i for i, name in enumerate(data["names"])}
    edges: list[tuple[int, int, float | None]] = []
    for a, b, raw, where in raw_edges:
        if a == b:
            raise InputError(edge_src, where, f"joins {a!r} to itself; an edge must join two different cities")
        edges.append((index[a], index[b], _edge_distance(edge_src, f"{where} distance_km", raw)))
    return _assemble(data["names"], data["population"], data["x"], data["y"], data["lon"], data["lat"],
                     neighbours=k, source=src, origin=data["origin"], edges=edges, province=data["province"],
                     names_zh=data["names_zh"])

