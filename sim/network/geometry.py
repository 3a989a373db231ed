"""Geometry of city networks: great-circle distances and the plane projection.

Units: lon/lat in degrees (WGS84), x/y and distances in km.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (km), used for great-circle distances and the projection."""


def _project(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection (degrees -> km) around (lon0, lat0)."""
    x = EARTH_RADIUS_KM * np.radians(np.asarray(lon, float) - lon0) * math.cos(math.radians(lat0))
    y = EARTH_RADIUS_KM * np.radians(np.asarray(lat, float) - lat0)
    return x, y


def _unproject(x: np.ndarray, y: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_project` (km -> degrees)."""
    lon = lon0 + np.degrees(np.asarray(x, float) / (EARTH_RADIUS_KM * math.cos(math.radians(lat0))))
    lat = lat0 + np.degrees(np.asarray(y, float) / EARTH_RADIUS_KM)
    return lon, lat


def _haversine(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    lam1, phi1, lam2, phi2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _pairwise_km(x: np.ndarray, y: np.ndarray, lon: np.ndarray | None, lat: np.ndarray | None) -> np.ndarray:
    """(n, n) straight-line distances in km: great-circle if lon/lat are known, else Euclidean on x, y."""
    if lon is not None and lat is not None:
        return _haversine(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])

