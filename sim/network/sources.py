"""Where cities come from: the registry of city sources that ``network.kind`` selects from.

A source is a builder ``(params, base_dir) -> CityNetwork``: ``params`` is the model's flat
parameter dict (``network_kind``, ``network_n_cities``, ``network_path``, ... as named in
``sim.params``), ``base_dir`` the folder relative paths in it are read from (the scenario
file's folder), or None.  The model, ``hukou-sim check`` and the scenario check all build
their network through :func:`network_from_params`, so a file that passes the check is the
file the run reads, checked the same way.

Adding a source is one builder and one :func:`register_source` call (plus its
``network.kind`` choice in ``sim.params``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from sim.errors import InputError

from .china import china_network
from .china_overrides import OVERRIDES_FILE
from .core import CityNetwork
from .files import load_network
from .synthetic import synthetic_network

CitySource = Callable[[Mapping[str, Any], Path | None], CityNetwork]
"""A builder of a city network from the flat parameters and the folder relative paths start from."""

SOURCES: dict[str, CitySource] = {}
"""``network.kind`` -> its builder, in registration order."""


def register_source(kind: str) -> Callable[[CitySource], CitySource]:
    """Decorator: make ``builder`` the source of ``network.kind = kind``."""
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError(f"a city source needs a non-empty kind, not {kind!r}")

    def register(builder: CitySource) -> CitySource:
        if kind in SOURCES and SOURCES[kind] is not builder:
            raise ValueError(f"city source {kind!r} is already registered ({SOURCES[kind].__qualname__})")
        SOURCES[kind] = builder
        return builder

    return register


def source_kinds() -> tuple[str, ...]:
    """The registered ``network.kind`` values."""
    return tuple(SOURCES)


def _with_defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    from sim import params as P  # the parameter table is the one place defaults live

    return {**P.defaults(), **params}


def network_from_params(params: Mapping[str, Any], base_dir: str | Path | None = None) -> CityNetwork:
    """The city network the parameters describe, built by the source registered for ``network_kind``.

    Parameters missing from ``params`` take their defaults from ``sim.params``.  Raises
    :class:`~sim.errors.InputError` (``file: field: what is wrong; what is allowed``) for an
    unknown kind and for anything its source rejects.
    """
    p = _with_defaults(params)
    kind = p["network_kind"]
    builder = SOURCES.get(kind) if isinstance(kind, str) else None
    if builder is None:
        raise InputError("network", "kind", f"{kind!r} is not allowed; must be one of "
                                            f"{', '.join(map(repr, SOURCES))}")
    return builder(p, None if base_dir is None else Path(base_dir))


def _resolve(path: str, base_dir: Path | None) -> str:
    """``path`` read relative to ``base_dir`` (the scenario file's folder) unless it is absolute."""
    if path and base_dir is not None and not Path(path).is_absolute():
        return str(base_dir / path)
    return path


@register_source("synthetic")
def _synthetic_source(p: Mapping[str, Any], base_dir: Path | None) -> CityNetwork:
    return synthetic_network(n_cities=p["network_n_cities"], zipf_exponent=p["network_zipf_exponent"],
                             largest_city=p["network_largest_city"], neighbours=p["network_neighbours"],
                             extent_km=p["network_extent_km"], seed=p["network_seed"])


@register_source("china")
def _china_source(p: Mapping[str, Any], base_dir: Path | None) -> CityNetwork:
    table = str(p.get("network_overrides", "") or "").strip()
    overrides = (OVERRIDES_FILE if not table else None if table.lower() == "none"
                 else _resolve(table, base_dir))
    return china_network(n_cities=p["network_n_cities"], neighbours=p["network_neighbours"], overrides=overrides,
                         towns=bool(p.get("network_towns", False)))


@register_source("file")
def _file_source(p: Mapping[str, Any], base_dir: Path | None) -> CityNetwork:
    path = p["network_path"]
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise InputError("network", "path", "missing; kind 'file' must come with the path of a .graphml or .csv file")
    return load_network(_resolve(str(path), base_dir), neighbours=p["network_neighbours"])


KINDS = source_kinds()
"""The built-in kinds (``source_kinds()`` also lists sources registered later)."""


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
    """The network of ``kind`` "synthetic", "china" or "file" (``path``; n_cities is then ignored).

    Keyword form of :func:`network_from_params`, kept for callers that have no parameter dict.
    """
    return network_from_params({
        "network_kind": kind, "network_n_cities": n_cities, "network_neighbours": neighbours,
        "network_path": path, "network_zipf_exponent": zipf_exponent, "network_largest_city": largest_city,
        "network_extent_km": extent_km, "network_seed": seed,
    })
