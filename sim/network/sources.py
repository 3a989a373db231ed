"""Where cities come from: the dispatch by ``network.kind``."""

from __future__ import annotations

from pathlib import Path

from sim.errors import InputError

from .china import china_network
from .core import CityNetwork
from .files import load_network
from .synthetic import synthetic_network

KINDS = ("synthetic", "china", "file")


def build_network(
    kind: str,
    n_cities: int,
    neighbours: int,
    path: str | Path = "",
    zipf_exponent: float = 1.0,
    largest_city: float = 20e6,
    extent_km: float = 2000.0,
    seed: int = 0,
) -> CityNetwork:
    """The network of ``kind`` "synthetic", "china" or "file" (``path``; n_cities is then ignored)."""
    if kind == "synthetic":
        return synthetic_network(n_cities=n_cities, zipf_exponent=zipf_exponent, largest_city=largest_city,
                                 neighbours=neighbours, extent_km=extent_km, seed=seed)
    if kind == "china":
        return china_network(n_cities=n_cities, neighbours=neighbours)
    if kind == "file":
        if not isinstance(path, (str, Path)) or not str(path).strip():
            raise InputError("network", "path", "missing; kind 'file' must come with the path of a .graphml or .csv file")
        return load_network(path, neighbours=neighbours)
    raise InputError("network", "kind", f"{kind!r} is not allowed; must be one of {', '.join(map(repr, KINDS))}")
