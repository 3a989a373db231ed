"""Matplotlib drawing shared by the teaching app and ``hukou-sim animate``.

Figures are built with :class:`matplotlib.figure.Figure` (never pyplot), so drawing is safe in the
web server's threads and leaves no global figure state behind.  Each ``plot_*`` function draws one
or more runs on an existing axes; ``runs`` is a list of ``(label, model)`` pairs, the first drawn
solid, the second dashed, so that side-by-side runs share one set of axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .citymetrics import CitySnapshot, largest, rank_size, snapshot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from sim.model import MigrationModel

Runs = Sequence[tuple[str, "MigrationModel"]]

# what the map can colour cities by: label, colormap, fixed top of the scale (share)
COLOURINGS = {
    "poverty": ("Poverty rate (share of residents below the line)", "magma_r", 0.6),
    "migrants": ("Migrant share (rural-hukou residents)", "viridis", 0.5),
}
LINESTYLES = ("-", "--")
POVERTY_GROUPS = (  # outcome column, label, colour
    ("migrant_poverty_headcount", "migrants in cities", "tab:red"),
    ("villager_poverty_headcount", "urban villagers", "tab:orange"),
    ("rural_poverty_headcount", "rural, at home", "tab:green"),
    ("urban_hukou_poverty_headcount", "urban hukou", "tab:blue"),
)
MAX_MARKER = 900.0  # points^2 for a city as big as the largest city at the start
LABELLED = 5  # cities named on the map: the largest ones


def new_figure(width: float, height: float, dpi: int = 90) -> Figure:
    """A figure with fixed margins (a layout engine would double the drawing time of every frame)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    fig.subplots_adjust(left=0.13, right=0.87, bottom=0.14, top=0.9)
    return fig


def map_axes(fig: Figure, rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)):
    """Axes for :func:`draw_map` and its colorbar inside ``rect`` (figure fractions)."""
    x0, y0, w, h = rect
    ax = fig.add_axes((x0 + 0.1 * w, y0 + 0.24 * h, 0.64 * w, 0.64 * h))
    cax = fig.add_axes((x0 + 0.1 * w, y0 + 0.08 * h, 0.64 * w, 0.03 * h))
    return ax, cax


def _nice(value: float) -> float:
    """The 1-2-5 round number nearest below ``value`` (for the size legend)."""
    if value <= 0:
        return 0.0
    exp = np.floor(np.log10(value))
    for m in (5.0, 2.0, 1.0):
        if m * 10**exp <= value:
            return m * 10**exp
    return 10**exp


def _people(n: float) -> str:
    return f"{n / 1e6:g}M" if n >= 1e6 else f"{n / 1e3:g}k"


def positions(model: "MigrationModel") -> tuple[np.ndarray, np.ndarray, str, str]:
    """Map coordinates: lon/lat for real networks, the stable km layout for synthetic ones."""
    net = model.network
    if net.lon is not None and net.lat is not None:
        return np.asarray(net.lon, float), np.asarray(net.lat, float), "longitude (°E)", "latitude (°N)"
    return np.asarray(net.x, float), np.asarray(net.y, float), "km", "km"


def marker_sizes(population: np.ndarray, size_ref: float) -> np.ndarray:
    """Marker areas (points^2) proportional to population; ``size_ref`` people get MAX_MARKER."""
    return np.maximum(MAX_MARKER * np.asarray(population, float) / max(size_ref, 1.0), 6.0)


def draw_map(ax: "Axes", model: "MigrationModel", colour_by: str = "poverty", size_ref: float | None = None,
             title: str | None = None, snap: CitySnapshot | None = None, cax: "Axes | None" = None):
    """Cities as circles (area ~ population, colour ~ poverty rate or migrant share) on light edges.

    Capped cities get a black ring, cities not founded yet a dashed outline.  The colour scale is
    fixed (0 to a set top), so colours compare across years and between maps; it is drawn in ``cax``
    if given, else beside ``ax``.  Returns the scatter."""
    if colour_by not in COLOURINGS:
        raise ValueError(f"colour_by must be one of {sorted(COLOURINGS)}, got {colour_by!r}")
    label, cmap, vmax = COLOURINGS[colour_by]
    snap = snap if snap is not None else snapshot(model)
    x, y, xlabel, ylabel = positions(model)
    values = snap.poverty_rate if colour_by == "poverty" else snap.migrant_share
    size_ref = float(size_ref if size_ref is not None else max(snap.population[model.network.cities].max(), 1.0))

    city = model.network.cities  # a province's towns node is many places, not a point on the map
    edges = [((x[a], y[a]), (x[b], y[b])) for a, b in model.network.graph.edges() if city[a] and city[b]]
    if edges:
        ax.add_collection(LineCollection(edges, colors="0.6", linewidths=0.6, alpha=0.45, zorder=1))
    active = snap.active & city
    sizes = marker_sizes(snap.population, size_ref)
    norm = Normalize(0.0, vmax)
    sc = ax.scatter(x[active], y[active], s=sizes[active], c=values[active], cmap=cmap, norm=norm,
                    edgecolors=np.where(snap.capped[active], "black", "white"),
                    linewidths=np.where(snap.capped[active], 2.0, 0.6), zorder=3)
    dormant = ~snap.active & city
    if dormant.any():
        ax.scatter(x[dormant], y[dormant], s=60, facecolors="none", edgecolors="0.3", linestyles="--",
                   linewidths=1.0, zorder=2)
    for i in largest(snap.population, LABELLED, active):
        ax.annotate(model.network.names[i], (x[i], y[i]), xytext=(0, 7 + np.sqrt(sizes[i]) / 2),
                    textcoords="offset points", ha="center", fontsize=8, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    if model.network.lat is not None:
        ax.set_aspect(1.0 / np.cos(np.deg2rad(np.nanmean(y))))
    else:
        ax.set_aspect("equal")
    pad_x = 0.08 * (np.ptp(x) or 1.0)
    pad_y = 0.12 * (np.ptp(y) or 1.0)
    ax.set_xlim(x.min() - pad_x, x.max() + pad_x)
    ax.set_ylim(y.min() - pad_y, y.max() + pad_y)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=10)

    # size legend: three round populations, plus the meaning of rings
    refs = sorted({_nice(size_ref * f) for f in (0.1, 0.4, 1.0)} - {0.0})
    handles = [Line2D([], [], ls="", marker="o", markersize=np.sqrt(MAX_MARKER * r / size_ref),
                      markerfacecolor="0.75", markeredgecolor="0.4", label=_people(r)) for r in refs]
    if snap.capped.any():
        handles.append(Line2D([], [], ls="", marker="o", markersize=8, markerfacecolor="white",
                              markeredgecolor="black", markeredgewidth=2.0, label="capped"))
    if (~active).any():
        handles.append(Line2D([], [], ls="", marker="o", markersize=8, markerfacecolor="none",
                              markeredgecolor="0.3", linestyle="none", label="not founded yet"))
    ax.legend(handles=handles, title="residents", loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=7,
              title_fontsize=7, labelspacing=1.6, borderpad=0.9, framealpha=0.8)
    cb = (ax.figure.colorbar(sc, cax=cax, orientation="horizontal", extend="max") if cax is not None
          else ax.figure.colorbar(sc, ax=ax, shrink=0.8, extend="max"))
    cb.set_label(label, fontsize=8)
    cb.ax.tick_params(labelsize=7)
    return sc


def _frames(runs: Runs):
    for k, (label, model) in enumerate(runs):
        yield LINESTYLES[k % len(LINESTYLES)], label, model, model.datacollector.get_model_vars_dataframe()


def _year_axis(ax: "Axes", runs: Runs, horizon: int | None) -> None:
    model = runs[0][1]
    end = model.start_year + (horizon if horizon is not None else max(int(model.time), 1))
    ax.set_xlim(model.start_year, max(end, model.start_year + 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never 1982.5
    ax.set_xlabel("year", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _run_legend(ax: "Axes", runs: Runs, loc: str = "upper right") -> None:
    """When two runs share the axes, say which line style is which."""
    if len(runs) < 2:
        return
    handles = [Line2D([], [], color="0.3", ls=LINESTYLES[k], label=label) for k, (label, _) in enumerate(runs)]
    ax.add_artist(ax.legend(handles=handles, loc=loc, fontsize=7))


def plot_poverty(ax: "Axes", runs: Runs, horizon: int | None = None) -> None:
    """Poverty headcount (share below the line) of each group over time."""
    for ls, _, _, df in _frames(runs):
        for column, label, colour in POVERTY_GROUPS:
            ax.plot(df["year"], df[column], ls=ls, color=colour, lw=1.6, label=label if ls == "-" else None)
    _year_axis(ax, runs, horizon)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share below poverty line", fontsize=8)
    ax.set_title("Poverty headcount by group", fontsize=10)
    _run_legend(ax, runs, loc="center right")
    ax.legend(loc="upper right", fontsize=7)


def plot_urbanization(ax: "Axes", runs: Runs, horizon: int | None = None) -> None:
    """Resident urbanization (where people live) against hukou urbanization (who may stay)."""
    for ls, _, _, df in _frames(runs):
        ax.plot(df["year"], df["urbanization_rate"], ls=ls, color="tab:purple", lw=1.6,
                label="living in cities" if ls == "-" else None)
        ax.plot(df["year"], df["hukou_urbanization_rate"], ls=ls, color="tab:gray", lw=1.6,
                label="holding urban hukou" if ls == "-" else None)
        if ls == "-":
            ax.fill_between(df["year"], df["hukou_urbanization_rate"], df["urbanization_rate"],
                            color="tab:purple", alpha=0.12, label="gap = floating migrants")
    _year_axis(ax, runs, horizon)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of population", fontsize=8)
    ax.set_title("Urbanization: resident vs hukou", fontsize=10)
    _run_legend(ax, runs, loc="lower right")
    ax.legend(loc="upper left", fontsize=7)


def plot_concentration(ax: "Axes", runs: Runs, horizon: int | None = None) -> None:
    """Zipf exponent (left axis, > 1 = flatter city sizes) and primacy (right axis)."""
    right = ax.twinx()
    for ls, _, _, df in _frames(runs):
        ax.plot(df["year"], df["zipf_exponent"], ls=ls, color="tab:blue", lw=1.6)
        right.plot(df["year"], df["primacy"], ls=ls, color="tab:red", lw=1.6)
    for axis in (ax, right):  # explicit limits: autoscaling misses data on twinned axes
        data = np.concatenate([line.get_ydata() for line in axis.get_lines()]).astype(float)
        data = data[np.isfinite(data)]
        if data.size:
            lo, hi = float(data.min()), float(data.max())
            pad = 0.08 * (hi - lo) or 0.05 * max(abs(hi), 1.0)
            axis.set_ylim(lo - pad, hi + pad)
    _year_axis(ax, runs, horizon)
    ax.set_ylabel("Zipf exponent", color="tab:blue", fontsize=8)
    right.set_ylabel("primacy (largest / 2nd)", color="tab:red", fontsize=8)
    right.tick_params(labelsize=7)
    ax.set_title("Concentration", fontsize=10)
    _run_legend(ax, runs, loc="upper left")


def plot_rank_size(ax: "Axes", runs: Runs) -> None:
    """City size against rank on log-log axes, now and (dotted) at the start."""
    for ls, label, model, _ in _frames(runs):
        snap = snapshot(model)
        ranks, sizes = rank_size(snap.population, snap.active)
        if sizes.size:
            ax.plot(ranks, sizes, ls=ls, marker="o", ms=3, color="tab:blue", lw=1.4,
                    label=f"{label}, {model.year}")
    model = runs[0][1]
    ranks0, sizes0 = rank_size(_initial_sizes(model))
    if sizes0.size:
        ax.plot(ranks0, sizes0, ls=":", color="0.5", lw=1.2, label=f"start, {model.start_year}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank", fontsize=8)
    ax.set_ylabel("residents (people)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, which="both")
    ax.set_title("Rank-size (log-log)", fontsize=10)
    ax.legend(loc="lower left", fontsize=7)


def _initial_sizes(model: "MigrationModel") -> np.ndarray:
    """City residents at step 0 (recorded by :func:`remember_initial_sizes`; else the network's sizes)."""
    return getattr(model, "_viz_initial_sizes", np.asarray(model.network.population, float))


def remember_initial_sizes(model: "MigrationModel") -> None:
    """Record step-0 residents (call right after building a model, before stepping it)."""
    model._viz_initial_sizes = snapshot(model).population.copy()


def status_line(model: "MigrationModel") -> str:
    """One line of headline figures for the current year."""
    m = model.metrics()
    return (f"{model.year}: {m['urbanization_rate']:.0%} live in cities, {m['hukou_urbanization_rate']:.0%} hold "
            f"urban hukou; poverty {m['poverty_headcount']:.1%} (migrants {m['migrant_poverty_headcount']:.1%}); "
            f"largest city {m['largest_city'] / 1e6:.1f}M")
