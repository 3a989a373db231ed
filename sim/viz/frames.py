"""What the teaching page's board (``board.vue``) draws, as JSON-ready dicts.

Two kinds of data go to the browser:

* a **spec** per session (:func:`spec`), sent once: the map's geometry (city positions, links,
  province outlines, names), the colour scales, and the plots' layouts and trace styles;
* a **frame** per run year (:func:`frame`), a few kilobytes: each run's cities (residents, migrants,
  hukou share, poverty at every line), the year's outcome numbers, the "what just happened" sentence
  and the key numbers at every poverty line, and the axis and colour-scale ranges so far.

The browser keeps every frame it was sent, so stepping back, jumping to a year already run,
switching the poverty line or the map colouring redraw from what it has, and a step forward whose
year the server has computed ahead draws at once.  Frames are pure functions of the session's records
up to their year (the ranges too: they cover the years up to the one shown, not the years computed
ahead), so the page shows the same numbers however far ahead the server has run.
"""

from __future__ import annotations

import math
import traceback
from typing import Any, Sequence

import numpy as np

from . import charts, lesson
from .session import Session, YearRecord

MAP_COLOURINGS = {  # key: (words, plotly colour scale name, light to dark)
    "poverty": ("Poverty rate", "YlOrRd"),
    "migrants": ("Migrant share (rural hukou)", "Viridis"),
    "hukou": ("Urban-hukou share", "Blues"),
}
SERIES = ("urbanization_rate", "hukou_urbanization_rate", "zipf_exponent", "primacy")
GROUPS = ("",) + tuple(g for g, _ in lesson.POVERTY_GROUPS)


# ------------------------------------------------------------------------------------------ helpers
def _num(x: float, digits: int) -> float | None:
    """A JSON-safe number: rounded, None for NaN or infinity (JSON has neither)."""
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def _nums(a: np.ndarray, digits: int) -> list[float | None]:
    return [_num(v, digits) for v in np.asarray(a, float)]


def _people(a: np.ndarray) -> list[int | None]:
    return [int(round(v)) if math.isfinite(v) else None for v in np.asarray(a, float)]


def _colour_scale(name: str) -> list[list[float]]:
    """Plotly's named colour scale as ``[[position 0..1, r, g, b], ...]`` (the browser interpolates)."""
    import plotly.colors as pc

    colours = getattr(pc.sequential, name, None) or getattr(pc.diverging, name)
    rgb, _ = pc.convert_colors_to_same_type(list(colours), colortype="rgb")
    n = len(rgb) - 1
    return [[round(i / n, 4), *map(float, pc.unlabel_rgb(c))] for i, c in enumerate(rgb)]


def lines_reported(session: Session) -> list[str]:
    """Keys of the poverty lines the runs report (official first)."""
    metrics = session.runs[0].records[0].metrics
    return [k for k in lesson.poverty_lines() if k == "official" or lesson.poverty_column("", k) in metrics]


def city_labels(session: Session, k: int) -> list[str]:
    """City names for the map (with Chinese characters on the China map); cached on the run."""
    from .chinamap import city_labels as names_of

    run = session.runs[k]
    if not hasattr(run, "_labels"):
        try:
            run._labels = names_of(run.model.network)
        except Exception:  # names are a nicety: never let them break the page
            traceback.print_exc()
            run._labels = list(run.names)
    return run._labels


# ------------------------------------------------------------------------------------------ spec
def _path(xs: Sequence[float | None], ys: Sequence[float | None]) -> str:
    """An SVG path through the points, a new line after each None."""
    parts: list[str] = []
    pen = "M"
    for x, y in zip(xs, ys):
        if x is None or y is None:
            pen = "M"
            continue
        parts.append(f"{pen}{x:.2f} {y:.2f}")
        pen = "L"
    return "".join(parts)


def map_geometry(session: Session) -> dict[str, Any]:
    """Where the cities are drawn: x to the right, y down, in km (synthetic) or longitude degrees scaled
    by cos(latitude) (China, an equirectangular projection true to scale at the cities' mean latitude)."""
    net = session.runs[0].model.network
    x, y, geographic = charts.map_positions(net)
    kx = math.cos(math.radians(float(np.mean(y)))) if geographic else 1.0
    px, py = x * kx, -y
    outline = ""
    if geographic:
        from .chinamap import province_outlines

        lon, lat = province_outlines()
        outline = _path([None if v is None else v * kx for v in lon], [None if v is None else -v for v in lat])
    edges = "".join(f"M{px[a]:.2f} {py[a]:.2f}L{px[b]:.2f} {py[b]:.2f}" for a, b in net.graph.edges())
    pad_x = (0.06 if geographic else 0.14) * (float(np.ptp(px)) or 1.0)
    pad_y = (0.08 if geographic else 0.14) * (float(np.ptp(py)) or 1.0)
    return {"x": _nums(px, 3), "y": _nums(py, 3), "geographic": geographic, "outline": outline, "edges": edges,
            # room above the cities for their names, and at the sides for the largest circles
            "bounds": [float(px.min() - pad_x), float(px.max() + pad_x), float(py.min() - 1.5 * pad_y),
                       float(py.max() + pad_y)]}


def plot_specs(session: Session) -> dict[str, dict[str, Any]]:
    """Each plot's layout and trace styles; ``key`` names the series a trace shows (``{line}``: the poverty
    line shown), ``ranges`` the frame's scale entry each axis follows."""
    xaxis = {**charts._year_axis(session), "title": {"text": ""}}  # years need no title; the legend sits there
    grid = {"gridcolor": "#eee", "fixedrange": True}
    specs: dict[str, dict[str, Any]] = {}
    specs["poverty"] = {
        "title": "Poverty by group",
        "layout": charts._layout(xaxis=xaxis, yaxis={**grid, "tickformat": ".0%",
                                                     "title": {"text": "share below the line"}}),
        "traces": [{"name": words, "key": f"pov.{{line}}.{group}", "line": {"color": charts.COLOURS[group], "width": 3},
                    "hovertemplate": f"{words} %{{x}}: %{{y:.1%}}<extra></extra>"}
                   for group, words in lesson.POVERTY_GROUPS],
        "ranges": {"yaxis": "y.poverty.{line}"}}
    specs["urbanization"] = {
        "title": "Urbanization",
        "layout": charts._layout(xaxis=xaxis, yaxis={**grid, "tickformat": ".0%", "title": {"text": "share of people"}}),
        "traces": [{"name": "holding urban hukou", "key": "hukou_urbanization_rate",
                    "line": {"color": "#555", "width": 3},
                    "hovertemplate": "urban hukou %{x}: %{y:.0%}<extra></extra>"},
                   {"name": "living in cities (gap = migrants)", "key": "urbanization_rate", "fill": "tonexty",
                    "fillcolor": "rgba(148,103,189,0.18)", "line": {"color": "#9467bd", "width": 3},
                    "hovertemplate": "living in cities %{x}: %{y:.0%}<extra></extra>"}],
        "ranges": {"yaxis": "y.urbanization"}}
    specs["concentration"] = {
        "title": "Concentration",
        "layout": charts._layout(xaxis=xaxis, yaxis={**grid, "title": {"text": "Zipf exponent"}},
                                 yaxis2={"overlaying": "y", "side": "right", "title": {"text": "primacy"},
                                         "showgrid": False, "fixedrange": True},
                                 margin={"l": 60, "r": 60, "t": 44, "b": 50}),
        "traces": [{"name": "Zipf exponent (left)", "key": "zipf_exponent", "line": {"color": "#1f77b4", "width": 3},
                    "hovertemplate": "Zipf %{x}: %{y:.2f}<extra></extra>"},
                   {"name": "primacy (right)", "key": "primacy", "yaxis": "y2",
                    "line": {"color": "#d62728", "width": 3, "dash": "dot"},
                    "hovertemplate": "primacy %{x}: %{y:.2f}<extra></extra>"}],
        "ranges": {"yaxis": "y.zipf", "yaxis2": "y.primacy"}}
    specs["rank"] = {
        "title": "Rank-size (log-log)",
        # log axes label their minor ticks at 3/4 of the tick font: 19 px keeps those >= 14 px
        "layout": charts._layout(xaxis={**grid, "type": "log", "title": {"text": "rank"}, "tickfont": {"size": 19}},
                                 yaxis={**grid, "type": "log", "title": {"text": "residents"},
                                        "tickfont": {"size": 19}},
                                 # sizes fall with rank: the top right corner is free for the legend
                                 legend={"x": 0.98, "xanchor": "right", "y": 0.98, "yanchor": "top",
                                         "bgcolor": "rgba(255,255,255,0.8)", "font": {"size": 14}}),
        "traces": [{"name": "start", "key": "rank.start", "mode": "lines+markers", "marker": {"size": 7},
                    "line": {"color": "#999", "width": 2, "dash": "dot"},
                    "hovertemplate": "rank %{x}: %{y:.3s} people<extra></extra>"},
                   {"name": "now", "key": "rank.now", "mode": "lines+markers", "marker": {"size": 7},
                    "line": {"color": "#1f77b4", "width": 3},
                    "hovertemplate": "rank %{x}: %{y:.3s} people<extra></extra>"}],
        "ranges": {"xaxis": "x.rank", "yaxis": "y.rank"}}
    specs["difference"] = {
        "title": "Difference B − A (percentage points)",
        "layout": charts._layout(xaxis=xaxis, yaxis={**grid, "title": {"text": "B − A, points"}, "zeroline": True,
                                                     "zerolinecolor": "#333", "zerolinewidth": 2}),
        "traces": [{"name": words, "key": key, "diff": 100, "line": {"color": colour, "width": 3},
                    "hovertemplate": f"{words} %{{x}}: %{{y:+.1f}} points<extra></extra>"}
                   for words, key, colour in (("migrant poverty", "pov.{line}.migrant_", charts.COLOURS["migrant_"]),
                                              ("all poverty", "pov.{line}.", "#444"),
                                              ("living in cities", "urbanization_rate", "#9467bd"),
                                              ("urban hukou", "hukou_urbanization_rate", "#555"))],
        "ranges": {"yaxis": "y.diff.{line}"}}
    return specs


def spec(session: Session, token: str) -> dict[str, Any]:
    """Everything about a session's page that does not change with the year (sent once)."""
    labels = city_labels(session, 0)
    named = charts.labelled_cities(session, 14 if len(labels) > 12 else 5)
    lines = lesson.poverty_lines()
    reported = lines_reported(session)
    first = session.runs[0].records[0]
    return {
        "token": token,
        "start": session.start_year,
        "end": session.start_year + session.horizon,
        "runs": [{"label": run.label, "description": f"Running: {run.label}" if len(session.runs) > 1 else
                  f"Running: {run.label} (seed {session.settings.seed.strip()})"} for run in session.runs],
        "map": {**map_geometry(session), "names": labels, "named": named, "size_ref": float(session.size_ref),
                "colourings": {k: {"title": words, "scale": _colour_scale(scale)}
                               for k, (words, scale) in MAP_COLOURINGS.items()},
                "diverging": _colour_scale("RdBu")},
        "lines": {k: lines[k].label for k in reported},
        "numbers": [[name, meaning] for name, _, meaning in lesson.key_numbers(first, "official")],
        "plots": plot_specs(session),
    }


# ------------------------------------------------------------------------------------------ frames
def _combine(values: list[str]) -> str:
    """One key number for the page: the value, or ``A x · B y (B − A)`` side by side."""
    if len(values) == 1:
        return values[0]
    a, b = values[0], values[1]
    return f"A {a} · B {b} ({_difference(a, b)})"


def _difference(a: str, b: str) -> str:
    try:
        if a.endswith("%") and b.endswith("%"):
            return f"{float(b[:-1]) - float(a[:-1]):+.1f} pts"
        return f"{float(b) - float(a):+.2f}"
    except ValueError:
        return ""


def _series(rec: YearRecord, lines: Sequence[str]) -> dict[str, float | None]:
    out = {f"pov.{line}.{group}": _num(lesson.poverty_value(rec.metrics, group, line), 5)
           for line in lines for group in GROUPS}
    out.update({key: _num(rec.metrics.get(key, np.nan), 5) for key in SERIES})
    return out


def _extremes(recs: Sequence[YearRecord], lines: Sequence[str]) -> dict[str, tuple[float, float]]:
    """(lowest, highest) of what the ranges follow, over the runs' records of one year."""
    out: dict[str, tuple[float, float]] = {}

    def add(key: str, values) -> None:
        arr = np.asarray([v for v in np.ravel(values) if np.isfinite(v)], float)
        if arr.size:
            out[key] = (float(arr.min()), float(arr.max()))

    for line in lines:
        add(f"map.poverty.{line}", [r.poverty_rate_at(line)[r.active] for r in recs])
        add(f"y.poverty.{line}", [lesson.poverty_value(r.metrics, g, line) for r in recs for g, _ in
                                  lesson.POVERTY_GROUPS])
    add("map.migrants", [r.migrant_share[r.active] for r in recs])
    add("map.hukou", [r.hukou_share[r.active] for r in recs])
    for key in SERIES:
        add(key, [r.metrics.get(key, np.nan) for r in recs])
    add("pop", [r.population[r.active & (r.population > 0)] for r in recs])
    add("n", [float(r.active.sum()) for r in recs])
    if len(recs) == 2:
        a, b = recs
        n = min(a.population.size, b.population.size)
        add("diff.map", np.abs(b.population[:n] - a.population[:n]))
        for line in lines:
            diffs = [(f(b) - f(a)) * 100 for f in (
                lambda r: lesson.poverty_value(r.metrics, "migrant_", line),
                lambda r: lesson.poverty_value(r.metrics, "", line),
                lambda r: r.metrics.get("urbanization_rate", np.nan),
                lambda r: r.metrics.get("hukou_urbanization_rate", np.nan))]
            add(f"diff.y.{line}", np.abs(diffs))
    return out


def _merge(old: dict[str, tuple[float, float]], new: dict[str, tuple[float, float]]) -> dict:
    out = dict(old)
    for key, (lo, hi) in new.items():
        if key in out:
            out[key] = (min(out[key][0], lo), max(out[key][1], hi))
        else:
            out[key] = (lo, hi)
    return out


def _span(lo: float, hi: float, pad: float = 0.06) -> list[float]:
    width = (hi - lo) or max(abs(hi), 1.0) * 0.1
    return [lo - pad * width, hi + pad * width]


def scales(extremes: dict[str, tuple[float, float]], lines: Sequence[str]) -> dict[str, Any]:
    """Colour-scale tops and axis ranges from the extremes of every year so far (both runs share them)."""
    top = lambda key, default=0.0: extremes.get(key, (0.0, default))[1]  # noqa: E731
    out: dict[str, Any] = {}
    for line in lines:
        out[f"map.poverty.{line}"] = min(charts.nice_ceiling(top(f"map.poverty.{line}")), 1.0)
        out[f"y.poverty.{line}"] = [0.0, charts.nice_ceiling(top(f"y.poverty.{line}", 1.0))]
        diff = max(top(f"diff.y.{line}"), 1.0) * 1.1
        out[f"y.diff.{line}"] = [-diff, diff]
    out["map.migrants"] = min(charts.nice_ceiling(top("map.migrants")), 1.0)
    out["map.hukou"] = min(charts.nice_ceiling(top("map.hukou")), 1.0)
    out["y.urbanization"] = [0.0, charts.nice_ceiling(top("urbanization_rate", 1.0))]
    out["y.zipf"] = _span(*extremes.get("zipf_exponent", (0.0, 1.0)))
    out["y.primacy"] = _span(*extremes.get("primacy", (0.0, 1.0)))
    n = top("n", 2.0)
    out["x.rank"] = [-0.05, math.log10(max(n, 2.0)) + 0.05]
    lo, hi = extremes.get("pop", (1.0, 10.0))
    out["y.rank"] = [math.log10(max(lo, 1.0)) - 0.1, math.log10(max(hi, 1.0)) + 0.1]
    out["diff.map"] = max(top("diff.map"), 1.0)
    return {k: [_num(v, 6) for v in val] if isinstance(val, list) else _num(val, 6) for k, val in out.items()}


def _city_frame(rec: YearRecord, lines: Sequence[str]) -> dict[str, Any]:
    return {"pop": _people(rec.population), "migrants": _people(rec.migrants), "hukou": _nums(rec.hukou_share, 4),
            "migrant_share": _nums(rec.migrant_share, 4),
            "poverty": {line: _nums(rec.poverty_rate_at(line), 4) for line in lines},
            "cap": [int(round(c)) if math.isfinite(c) else None for c in rec.cap],
            "active": [bool(a) for a in rec.active]}


def frame(session: Session, t: int) -> dict[str, Any]:
    """Year ``t`` (steps from the start) of every run; built once and kept (see :func:`ensure`)."""
    ensure(session, t)
    return session.frames[t]


def ensure(session: Session, upto: int) -> list[dict[str, Any]]:
    """Build the frames of every year up to ``upto`` (computed years only); returns all frames built."""
    with session.lock:
        upto = min(upto, session.computed)
        lines = lines_reported(session)
        while len(session.frames) <= upto:
            t = len(session.frames)
            recs = [run.records[t] for run in session.runs]
            extremes = _merge(session.extremes[-1] if session.extremes else {}, _extremes(recs, lines))
            runs = []
            for k, (run, rec) in enumerate(zip(session.runs, recs)):
                history = run.records[max(t - 1, 0): t + 1]
                names = city_labels(session, k)
                runs.append({"sentence": {line: lesson.what_happened(history, names, line) for line in lines},
                             "cities": _city_frame(rec, lines), "series": _series(rec, lines),
                             "rank": _people(np.sort(rec.population[rec.active & (rec.population > 0)])[::-1])})
            numbers = {}
            for line in lines:
                rows = [lesson.key_numbers(rec, line) for rec in recs]
                numbers[line] = [_combine([row[i][1] for row in rows]) for i in range(len(rows[0]))]
            session.extremes.append(extremes)
            session.frames.append({"t": t, "year": recs[0].year, "runs": runs, "numbers": numbers,
                                   "scale": scales(extremes, lines)})
        return session.frames
