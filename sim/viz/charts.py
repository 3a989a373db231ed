"""Shared pieces of the teaching page's figures, and its CSV exports.

The Plotly layout defaults (fonts of at least 14 px, colours of the groups, the year axis) that
:mod:`sim.viz.frames` builds the plots from, where the cities sit on the map, which cities are named,
and the data behind the page as CSV.  Pure functions of a :class:`sim.viz.session.Session`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .session import Session

FONT = {"size": 16, "family": "DejaVu Sans, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"}
COLOURS = {"migrant_": "#d62728", "villager_": "#ff7f0e", "rural_": "#2ca02c", "urban_": "#1f77b4"}


def _layout(**extra: Any) -> dict[str, Any]:
    layout = {"font": FONT, "margin": {"l": 60, "r": 20, "t": 44, "b": 50}, "autosize": True,
              "paper_bgcolor": "white", "plot_bgcolor": "white", "hovermode": "closest",
              "legend": {"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 14}},
              "hoverlabel": {"font": {"size": 16}}}
    layout.update(extra)
    return layout


def nice_ceiling(x: float, step: float = 0.1) -> float:
    """``x`` rounded up to a multiple of ``step`` (at least one step): a colour scale's top."""
    if not np.isfinite(x) or x <= 0:
        return step
    return max(step, math.ceil(x / step - 1e-9) * step)


def _year_axis(session: Session) -> dict[str, Any]:
    start = session.start_year
    return {"range": [start - 0.5, start + session.horizon + 0.5], "tickformat": "d", "dtick": 5,
            "title": {"text": "year"}, "gridcolor": "#eee", "fixedrange": True}


# ------------------------------------------------------------------------------------------ map
def map_positions(network: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """(x, y, geographic): lon/lat for real networks, the km layout for synthetic ones."""
    if getattr(network, "lon", None) is not None and getattr(network, "lat", None) is not None:
        return np.asarray(network.lon, float), np.asarray(network.lat, float), True
    return np.asarray(network.x, float), np.asarray(network.y, float), False


def labelled_cities(session: Session, k: int = 12) -> list[int]:
    """The cities named on every map: the largest at the start in run A (the same on both maps)."""
    first = session.runs[0].records[0]
    n = min(k, int(first.active.sum()))
    order = np.argsort(-first.population, kind="stable")
    return [int(i) for i in order[first.active[order]][:n]]


# ------------------------------------------------------------------------------------ CSV export
def yearly_csv(session: Session) -> str:
    """Every run's outcome columns for every year up to the one shown, one row per run and year."""
    import pandas as pd

    rows = []
    for run in session.runs:
        for r in run.records[: session.shown + 1]:
            rows.append({"run": run.label, "seed": run.settings.seed, **r.metrics, "year": r.year})
    return pd.DataFrame(rows).to_csv(index=False)


def cities_csv(session: Session) -> str:
    """Every run's cities in the year shown: residents, migrants, hukou share, poverty, cap."""
    import pandas as pd

    rows = []
    for run in session.runs:
        r = run.records[session.shown]
        for i, name in enumerate(run.names):
            rows.append({"run": run.label, "year": r.year, "city": name, "residents": round(float(r.population[i])),
                         "migrants": round(float(r.migrants[i])),
                         "urban_hukou_share": round(float(r.hukou_share[i]), 4),
                         "poverty_rate": round(float(r.poverty_rate[i]), 4),
                         "cap": None if not np.isfinite(r.cap[i]) else round(float(r.cap[i])),
                         "founded": bool(r.active[i])})
    return pd.DataFrame(rows).to_csv(index=False)
