"""Helpers shared by the network tests: invariants every CityNetwork satisfies, error checks."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.errors import InputError
from sim.network import (
    CityNetwork,
    city_tier,
)


DATA = Path(__file__).parent.parent / "data"


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
    # labels aligned with names
    for labels in (net.province, net.names_zh):
        assert isinstance(labels, list) and len(labels) == n and all(isinstance(v, str) for v in labels)
    assert isinstance(net.note, str)
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
        assert data.get("province", "") == net.province[i] and data.get("name_zh", "") == net.names_zh[i]
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


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path

