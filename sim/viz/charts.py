"""Plotly figures for the teaching page, as plain dicts (``{"data": [...], "layout": {...}}``).

Pure functions of a :class:`sim.viz.session.Session`'s records.  The page hands the dicts to
plotly.js in the browser (``Plotly.react``), which redraws only what changed: a year's update is a
few kilobytes of numbers, not a rebuilt image.  Axes are shared between side-by-side runs (same
ranges on both), and colour scales are fitted to the data recorded so far.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .lesson import POVERTY_GROUPS, poverty_lines, poverty_value
from .session import Session, YearRecord

FONT = {"size": 16, "family": "DejaVu Sans, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"}
COLOURS = {"migrant_": "#d62728", "villager_": "#ff7f0e", "rural_": "#2ca02c", "urban_": "#1f77b4"}
COLOURINGS = {  # key: (words, colour scale, record attribute)
    "poverty": ("Poverty rate (official line)", "YlOrRd", "poverty_rate"),
    "migrants": ("Migrant share (rural hukou)", "Viridis", "migrant_share"),
    "hukou": ("Urban-hukou share", "Blues", "hukou_share"),
}
MAX_MARKER_PX = 60.0  # circle diameter of a city as big as the largest at the start


def _layout(**extra: Any) -> dict[str, Any]:
    layout = {"font": FONT, "margin": {"l": 60, "r": 20, "t": 44, "b": 50}, "autosize": True,
              "paper_bgcolor": "white", "plot_bgcolor": "white", "hovermode": "closest",
              "legend": {"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 14}},
              "hoverlabel": {"font": {"size": 16}}}
    layout.update(extra)
    return layout


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "x": 0.01, "xanchor": "left", "font": {"size": 18}}


def nice_ceiling(x: float, step: float = 0.1) -> float:
    """``x`` rounded up to a multiple of ``step`` (at least one step): a colour scale's top."""
    if not np.isfinite(x) or x <= 0:
        return step
    return max(step, math.ceil(x / step - 1e-9) * step)


def _year_axis(session: Session) -> dict[str, Any]:
    start = session.start_year
    return {"range": [start - 0.5, start + session.horizon + 0.5], "tickformat": "d", "dtick": 5,
            "title": {"text": "year"}, "gridcolor": "#eee", "fixedrange": True}


def _span(values: Sequence[float], floor: float | None = 0.0, pad: float = 0.06) -> list[float]:
    arr = np.asarray([v for v in values if np.isfinite(v)], float)
    if arr.size == 0:
        return [0.0, 1.0]
    lo, hi = float(arr.min()), float(arr.max())
    if floor is not None:
        lo = min(lo, floor)
    width = (hi - lo) or max(abs(hi), 1.0) * 0.1
    return [lo - pad * width if floor is None else lo, hi + pad * width]


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


def colour_top(session: Session, colour: str) -> float:
    """Top of the map's colour scale: the largest value recorded so far on any map, rounded up."""
    attr = COLOURINGS[colour][2]
    top = max(float(np.max(getattr(r, attr)[r.active], initial=0.0)) for run in session.runs
              for r in run.records)
    return min(nice_ceiling(top), 1.0)


def map_figure(session: Session, k: int, colour: str, labels: Sequence[str], named: Sequence[int]) -> dict:
    """Cities as circles (area ~ residents, colour ~ ``colour``), capped ones ringed, on their links."""
    run = session.runs[k]
    rec = session.now(k)
    x, y, geographic = map_positions(run.model.network)
    words, scale, attr = COLOURINGS[colour]
    values = getattr(rec, attr)
    top = colour_top(session, colour)
    act = rec.active
    size = MAX_MARKER_PX * np.sqrt(np.maximum(rec.population, 0) / max(session.size_ref, 1.0))
    size = np.maximum(size, 6.0)
    hover = [f"<b>{labels[i]}</b><br>residents {rec.population[i] / 1e6:.2f}M<br>migrants "
             f"{rec.migrants[i] / 1e6:.2f}M<br>urban hukou {rec.hukou_share[i]:.0%}<br>poverty "
             f"{rec.poverty_rate[i]:.0%}" + (f"<br>cap {rec.cap[i] / 1e6:.2f}M" if rec.capped[i] else "")
             for i in range(len(labels))]
    idx = np.flatnonzero(act)
    edges_x: list[float | None] = []
    edges_y: list[float | None] = []
    for a, b in run.model.network.graph.edges():
        edges_x += [float(x[a]), float(x[b]), None]
        edges_y += [float(y[a]), float(y[b]), None]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": edges_x, "y": edges_y, "hoverinfo": "skip",
         "line": {"color": "rgba(120,120,120,0.35)", "width": 1}, "showlegend": False},
        {"type": "scatter", "mode": "markers", "x": x[idx].tolist(), "y": y[idx].tolist(),
         "text": [hover[i] for i in idx], "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
         "marker": {"size": size[idx].round(1).tolist(), "color": values[idx].round(4).tolist(),
                    "colorscale": scale, "cmin": 0.0, "cmax": top, "opacity": 0.9,
                    "line": {"color": ["black" if c else "white" for c in rec.capped[idx]],
                             "width": [4 if c else 1 for c in rec.capped[idx]]},
                    "colorbar": {"title": {"text": words, "side": "right", "font": {"size": 14}},
                                 "tickformat": ".0%", "thickness": 16, "len": 0.9, "tickfont": {"size": 14}}}},
    ]
    shown = [i for i in named if act[i]]
    traces.append({"type": "scatter", "mode": "text", "x": x[shown].tolist(), "y": y[shown].tolist(),
                   "text": [labels[i] for i in shown], "textposition": "top center", "hoverinfo": "skip",
                   "textfont": {"size": 15, "color": "#111"}, "showlegend": False, "cliponaxis": False})
    planned = np.flatnonzero(~act)
    if planned.size:
        traces.append({"type": "scatter", "mode": "markers+text", "x": x[planned].tolist(),
                       "y": y[planned].tolist(), "text": [f"{labels[i]} (planned)" for i in planned],
                       "textposition": "bottom center", "hoverinfo": "skip", "showlegend": False,
                       "marker": {"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "#444", "width": 2}}})
    # room for the largest circles at the edges (synthetic cities sit right on the layout's border)
    pad_x = (0.06 if geographic else 0.14) * (np.ptp(x) or 1.0)
    pad_y = (0.08 if geographic else 0.14) * (np.ptp(y) or 1.0)
    axis = {"visible": False, "fixedrange": False}
    layout = _layout(
        title=_title(run.label),
        margin={"l": 8, "r": 8, "t": 44, "b": 8},
        xaxis={**axis, "range": [float(x.min() - pad_x), float(x.max() + pad_x)]},
        yaxis={**axis, "range": [float(y.min() - pad_y), float(y.max() + 1.5 * pad_y)], "scaleanchor": "x",
               "scaleratio": 1.0 / math.cos(math.radians(float(np.mean(y)))) if geographic else 1.0},
        dragmode="pan",
    )
    return {"data": traces, "layout": layout, "year": rec.year}


def outline_traces(lon: Sequence[float | None], lat: Sequence[float | None]) -> list[dict]:
    """Province outlines as one line trace drawn under the cities."""
    if not lon:
        return []
    return [{"type": "scatter", "mode": "lines", "x": list(lon), "y": list(lat),
             "hoverinfo": "skip", "showlegend": False, "line": {"color": "#9aa7b8", "width": 1}}]


# --------------------------------------------------------------------------------- time series
def _series(history: Sequence[YearRecord], fn) -> tuple[list[int], list[float | None]]:
    ys = [fn(r) for r in history]
    return [r.year for r in history], [None if not np.isfinite(v) else round(float(v), 5) for v in ys]


def poverty_figure(session: Session, k: int, line: str) -> dict:
    """Poverty headcount of each group over time, at the chosen line; same y range for every run."""
    label = getattr(poverty_lines().get(line), "label", line)
    top = max((poverty_value(r.metrics, g, line) for run in session.runs for r in run.records
               for g, _ in POVERTY_GROUPS), default=0.0)
    traces = []
    for group, words in POVERTY_GROUPS:
        xs, ys = _series(session.history(k), lambda r, g=group: poverty_value(r.metrics, g, line))
        traces.append({"type": "scatter", "mode": "lines", "name": words, "x": xs, "y": ys,
                       "line": {"color": COLOURS[group], "width": 3},
                       "hovertemplate": f"{words} %{{x}}: %{{y:.1%}}<extra></extra>"})
    layout = _layout(title=_title(f"Poverty by group · {session.runs[k].label}"),
                     xaxis=_year_axis(session),
                     yaxis={"range": [0, nice_ceiling(top if np.isfinite(top) else 1.0)], "tickformat": ".0%",
                            "title": {"text": f"below: {label}"[:48]}, "gridcolor": "#eee", "fixedrange": True})
    return {"data": traces, "layout": layout, "year": session.year}


def urbanization_figure(session: Session, k: int) -> dict:
    """Resident urbanization against hukou urbanization; the gap is the floating population."""
    hist = session.history(k)
    xs, live = _series(hist, lambda r: r.metrics.get("urbanization_rate", np.nan))
    _, hukou = _series(hist, lambda r: r.metrics.get("hukou_urbanization_rate", np.nan))
    top = max((r.metrics.get("urbanization_rate", 0.0) for run in session.runs for r in run.records), default=1.0)
    traces = [
        {"type": "scatter", "mode": "lines", "name": "holding urban hukou", "x": xs, "y": hukou,
         "line": {"color": "#555", "width": 3}, "hovertemplate": "urban hukou %{x}: %{y:.0%}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "living in cities (gap = migrants)", "x": xs, "y": live,
         "fill": "tonexty", "fillcolor": "rgba(148,103,189,0.18)", "line": {"color": "#9467bd", "width": 3},
         "hovertemplate": "living in cities %{x}: %{y:.0%}<extra></extra>"},
    ]
    layout = _layout(title=_title(f"Urbanization · {session.runs[k].label}"), xaxis=_year_axis(session),
                     yaxis={"range": [0, nice_ceiling(top)], "tickformat": ".0%", "title": {"text": "share of people"},
                            "gridcolor": "#eee", "fixedrange": True})
    return {"data": traces, "layout": layout, "year": session.year}


def concentration_figure(session: Session, k: int) -> dict:
    """Zipf exponent (left) and primacy (right) over time, same ranges for every run."""
    hist = session.history(k)
    xs, zipf = _series(hist, lambda r: r.metrics.get("zipf_exponent", np.nan))
    _, primacy = _series(hist, lambda r: r.metrics.get("primacy", np.nan))
    every = [r for run in session.runs for r in run.records]
    traces = [
        {"type": "scatter", "mode": "lines", "name": "Zipf exponent (left)", "x": xs, "y": zipf,
         "line": {"color": "#1f77b4", "width": 3}, "hovertemplate": "Zipf %{x}: %{y:.2f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "primacy (right)", "x": xs, "y": primacy, "yaxis": "y2",
         "line": {"color": "#d62728", "width": 3, "dash": "dot"},
         "hovertemplate": "primacy %{x}: %{y:.2f}<extra></extra>"},
    ]
    layout = _layout(title=_title(f"Concentration · {session.runs[k].label}"), xaxis=_year_axis(session),
                     yaxis={"range": _span([r.metrics.get("zipf_exponent", np.nan) for r in every], None),
                            "title": {"text": "Zipf exponent"}, "gridcolor": "#eee", "fixedrange": True},
                     yaxis2={"range": _span([r.metrics.get("primacy", np.nan) for r in every], None),
                             "overlaying": "y", "side": "right", "title": {"text": "primacy"}, "showgrid": False,
                             "fixedrange": True},
                     margin={"l": 60, "r": 60, "t": 44, "b": 50})
    return {"data": traces, "layout": layout, "year": session.year}


def rank_figure(session: Session, k: int) -> dict:
    """Residents against rank on log axes, now and (dotted) at the start; same ranges for every run."""
    rec, first = session.now(k), session.runs[k].records[0]
    traces = []
    for r, name, style in ((first, f"start, {first.year}", {"color": "#999", "width": 2, "dash": "dot"}),
                           (rec, f"{rec.year}", {"color": "#1f77b4", "width": 3})):
        sizes = np.sort(r.population[r.active & (r.population > 0)])[::-1]
        traces.append({"type": "scatter", "mode": "lines+markers", "name": name,
                       "x": list(range(1, sizes.size + 1)), "y": sizes.round(0).tolist(), "line": style,
                       "marker": {"size": 7}, "hovertemplate": "rank %{x}: %{y:.3s} people<extra></extra>"})
    pops = [float(p) for run in session.runs for r in run.records for p in r.population[r.active] if p > 0]
    n = max(int(r.active.sum()) for run in session.runs for r in run.records)
    layout = _layout(title=_title(f"Rank-size (log-log) · {session.runs[k].label}"),
                     # log axes label their minor ticks at 3/4 of the tick font: 19 px keeps those >= 14 px
                     xaxis={"type": "log", "range": [-0.05, math.log10(max(n, 2)) + 0.05], "title": {"text": "rank"},
                            "gridcolor": "#eee", "fixedrange": True, "tickfont": {"size": 19}},
                     yaxis={"type": "log", "range": [math.log10(min(pops)) - 0.1, math.log10(max(pops)) + 0.1],
                            "title": {"text": "residents"}, "gridcolor": "#eee", "fixedrange": True,
                            "tickfont": {"size": 19}})
    return {"data": traces, "layout": layout, "year": session.year}


# -------------------------------------------------------------------------------- difference B-A
DIFF_SERIES = (  # label, function of a record, colour
    ("migrant poverty", lambda r, line: poverty_value(r.metrics, "migrant_", line), COLOURS["migrant_"]),
    ("all poverty", lambda r, line: poverty_value(r.metrics, "", line), "#444"),
    ("living in cities", lambda r, line: r.metrics.get("urbanization_rate", np.nan), "#9467bd"),
    ("urban hukou", lambda r, line: r.metrics.get("hukou_urbanization_rate", np.nan), "#555"),
)


def difference_figure(session: Session, line: str) -> dict:
    """B − A over time, in percentage points, for poverty and urbanization."""
    a, b = session.history(0), session.history(1)
    traces = []
    allv: list[float] = []
    for words, fn, colour in DIFF_SERIES:
        ys = [(fn(rb, line) - fn(ra, line)) * 100 for ra, rb in zip(a, b)]
        allv += [v for v in ys if np.isfinite(v)]
        traces.append({"type": "scatter", "mode": "lines", "name": words, "x": [r.year for r in a],
                       "y": [round(v, 3) if np.isfinite(v) else None for v in ys],
                       "line": {"color": colour, "width": 3},
                       "hovertemplate": f"{words} %{{x}}: %{{y:+.1f}} points<extra></extra>"})
    every = [(fn(rb, line) - fn(ra, line)) * 100 for words, fn, _ in DIFF_SERIES
             for ra, rb in zip(session.runs[0].records, session.runs[1].records)]
    top = max([abs(v) for v in every if np.isfinite(v)] + [1.0])
    layout = _layout(title=_title("Difference B − A (percentage points)"), xaxis=_year_axis(session),
                     yaxis={"range": [-top * 1.1, top * 1.1], "title": {"text": "B − A, points"}, "zeroline": True,
                            "zerolinecolor": "#333", "zerolinewidth": 2, "gridcolor": "#eee", "fixedrange": True})
    return {"data": traces, "layout": layout, "year": session.year}


def difference_map(session: Session, labels: Sequence[str], named: Sequence[int]) -> dict:
    """Residents of each city in B minus A (red = more in B, blue = fewer), circles sized by A."""
    ra, rb = session.now(0), session.now(1)
    x, y, geographic = map_positions(session.runs[0].model.network)
    n = min(len(ra.population), len(rb.population))
    diff = rb.population[:n] - ra.population[:n]
    every = [float(np.max(np.abs(b.population[:n] - a.population[:n]), initial=0.0))
             for a, b in zip(session.runs[0].records, session.runs[1].records)]
    top = max(max(every), 1.0)
    size = np.maximum(MAX_MARKER_PX * np.sqrt(np.maximum(ra.population[:n], 0) / max(session.size_ref, 1.0)), 6.0)
    hover = [f"<b>{labels[i]}</b><br>B − A: {diff[i] / 1e3:+,.0f}k residents<br>A {ra.population[i] / 1e6:.2f}M, "
             f"B {rb.population[i] / 1e6:.2f}M" for i in range(n)]
    traces = [
        {"type": "scatter", "mode": "markers", "x": x[:n].tolist(), "y": y[:n].tolist(), "text": hover,
         "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
         "marker": {"size": size.round(1).tolist(), "color": diff.round(0).tolist(), "colorscale": "RdBu",
                    "cmin": -top, "cmax": top, "line": {"color": "#333", "width": 1},
                    "colorbar": {"title": {"text": "residents B − A (red: more in B)", "side": "right",
                                           "font": {"size": 14}},
                                 "thickness": 16, "tickfont": {"size": 14}, "tickformat": ".2s"}}},
        {"type": "scatter", "mode": "text", "x": x[list(named)].tolist(), "y": y[list(named)].tolist(),
         "text": [labels[i] for i in named], "textposition": "top center", "hoverinfo": "skip",
         "textfont": {"size": 15}, "showlegend": False, "cliponaxis": False},
    ]
    pad_x = (0.06 if geographic else 0.14) * (np.ptp(x) or 1.0)
    pad_y = (0.08 if geographic else 0.14) * (np.ptp(y) or 1.0)
    axis = {"visible": False}
    layout = _layout(title=_title("Residents, B − A"), margin={"l": 8, "r": 8, "t": 44, "b": 8},
                     xaxis={**axis, "range": [float(x.min() - pad_x), float(x.max() + pad_x)]},
                     yaxis={**axis, "range": [float(y.min() - pad_y), float(y.max() + 1.5 * pad_y)],
                            "scaleanchor": "x",
                            "scaleratio": 1.0 / math.cos(math.radians(float(np.mean(y)))) if geographic else 1.0},
                     dragmode="pan")
    return {"data": traces, "layout": layout, "year": ra.year}


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
