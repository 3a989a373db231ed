"""CityNetwork itself: adding a city, points at a great-circle distance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.errors import InputError
from sim.network import geometry
from sim.network import (
    CHINA_CENTRE,
    synthetic_network,
)

from .helpers import assert_input_error, check_invariants


class TestWithCity:
    def test_synthetic(self):
        net = synthetic_network(n_cities=20, seed=2)
        link = 0
        new = net.with_city("New City", net.x[0] + 100.0, net.y[0] - 50.0, 0.0, link)
        check_invariants(new)
        assert new.n == net.n + 1 and new.names[-1] == "New City"
        assert new.population[-1] == 0.0 and new.tier[-1] == 4
        expected = {link, *net.graph.neighbors(link)}
        assert set(new.graph.neighbors(net.n)) == expected
        assert new.distance_km[net.n, link] == pytest.approx(math.hypot(100.0, 50.0))
        # old pairs can only get closer through the new city
        assert np.all(new.distance_km[: net.n, : net.n] <= net.distance_km + 1e-9)
        # the original is unchanged
        assert net.n == 20 and net.graph.number_of_nodes() == 20 and net.distance_km.shape == (20, 20)

    def test_china_xiongan_beside_beijing(self, china):
        b = china.names.index("Beijing")
        x, y = china.point_near(b, 105.0, -2.0)  # 105 km south-south-west, where Xiongan is
        new = china.with_city("Xiongan", x, y, 0.0, b)
        check_invariants(new)
        assert new.lon is not None and new.lat is not None
        assert new.distance_km[-1, b] == pytest.approx(105.0, rel=1e-9)
        assert float(geometry._haversine(new.lon[-1], new.lat[-1], new.lon[b], new.lat[b])) == pytest.approx(105.0)
        assert new.lat[-1] == pytest.approx(39.05, abs=0.1) and new.lon[-1] == pytest.approx(115.9, abs=0.15)
        assert "Xiongan" in new.source
        assert new.graph.nodes[new.n - 1]["lon"] == new.lon[-1]

    def test_china_plane_offset_is_inverse_projected(self, china):
        b = china.names.index("Beijing")
        new = china.with_city("Plane", china.x[b] + 100.0, china.y[b], 1.0, b)
        # east-west plane km are stretched by cos(35 deg) / cos(lat) away from the projection's latitude
        stretch = math.cos(math.radians(CHINA_CENTRE[1])) / math.cos(math.radians(china.lat[b]))
        assert new.distance_km[-1, b] == pytest.approx(100.0 / stretch, rel=1e-3)
        assert new.lat[-1] == pytest.approx(china.lat[b])

    def test_point_near_planar(self):
        net = synthetic_network(n_cities=5)
        x, y = net.point_near(2, 10.0, math.pi / 2)
        assert (x, y) == pytest.approx((net.x[2], net.y[2] + 10.0))
        with pytest.raises(InputError):
            net.point_near(9, 10.0, 0.0)
        with pytest.raises(InputError):
            net.point_near(0, -1.0, 0.0)

    @pytest.mark.parametrize("kwargs, field", [
        ({"name": "City 1"}, "name"),
        ({"name": "  "}, "name"),
        ({"population": -5.0}, "population"),
        ({"population": float("nan")}, "population"),
        ({"link_to": 99}, "link_to"),
        ({"link_to": -1}, "link_to"),
        ({"x": float("inf")}, "x"),
    ])
    def test_bad_arguments(self, kwargs, field):
        net = synthetic_network(n_cities=5)
        args = {"name": "Fresh", "x": 1.0, "y": 2.0, "population": 10.0, "link_to": 0, **kwargs}
        with pytest.raises(InputError) as excinfo:
            net.with_city(**args)
        assert_input_error(excinfo, "with_city", field)

    def test_same_position_rejected(self):
        net = synthetic_network(n_cities=5)
        with pytest.raises(InputError):
            net.with_city("Twin", float(net.x[2]), float(net.y[2]), 1.0, 2)

