"""Policy differences over a posterior: what holds for every parameter set that fits, and where it flips.

For an experiment with ``design = {kind = "posterior", ...}`` each design point is a posterior
draw, run with its replications under every scenario.  For each scenario (not the baseline) and
output this module:

* pairs each run with the baseline's run of the same draw and replication number (independent
  seeds, so the pair's difference has the variance of a single run's difference) and splits the
  variance of the difference into **parameter** uncertainty (between draws) and **stochastic**
  uncertainty (within draws), with :func:`sim.stats.decompose`;
* gives the share of posterior draws whose mean difference has the sign of the overall mean (a
  conclusion is called *robust* when that share is >= 95%);
* finds, for a difference whose sign flips, the region of the parameter space where it holds:
  scenario discovery with PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010), the EMA
  Workbench's implementation, reported as a box with its coverage (share of the draws where the
  outcome holds that fall in the box) and density (share of the draws in the box where it holds).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..stats import decompose

ROBUST = 0.95  # share of posterior draws in which a difference's sign must hold to call it robust


def draw_differences(final: pd.DataFrame, scenario: str, baseline: str, output: str) -> pd.DataFrame:
    """One row per (draw, replication) present in both scenarios: ``point``, ``replication``, ``diff``."""
    a = final[final["scenario"] == scenario][["point", "replication", output]]
    b = final[final["scenario"] == baseline][["point", "replication", output]]
    m = a.merge(b, on=["point", "replication"], suffixes=("", "_base"))
    return pd.DataFrame({"point": m["point"], "replication": m["replication"],
                         "diff": m[output] - m[f"{output}_base"]})


def robustness_table(final: pd.DataFrame, outputs: Sequence[str], order: Sequence[str], baseline: str) -> pd.DataFrame:
    """Per scenario (not the baseline) and output: the decomposition of its difference from the baseline."""
    rows = []
    for sc in order:
        if sc == baseline:
            continue
        for out in outputs:
            d = draw_differences(final, sc, baseline, out)
            dec = decompose(d["point"].to_numpy(), d["diff"].to_numpy())
            rows.append({"scenario": sc, "output": out, "difference": dec.mean, "parameter_sd": dec.parameter_sd,
                         "stochastic_sd": dec.stochastic_sd, "parameter_share": dec.parameter_share,
                         "draw_low": dec.draw_low, "draw_high": dec.draw_high, "mixed_low": dec.low,
                         "mixed_high": dec.high, "sign": dec.sign, "sign_share": dec.sign_share,
                         "significant_share": dec.significant_share, "draws": dec.draws, "reps": dec.reps,
                         "robust": bool(dec.sign != 0 and dec.sign_share >= ROBUST)})
    return pd.DataFrame(rows)


@dataclass
class DiscoveryBox:
    scenario: str
    output: str
    direction: str  # "increase" or "decrease"
    limits: list[tuple[str, float, float, float, float]]  # (parameter, low, high, box low, box high) restricted
    coverage: float
    density: float
    mass: float
    n_draws: int
    n_holds: int
    x: pd.DataFrame
    y: np.ndarray

    @property
    def statement(self) -> str:
        verb = "raises" if self.direction == "increase" else "lowers"
        return f"{self.scenario} {verb} {self.output}"


def discover(final: pd.DataFrame, parameters: Sequence[str], scenario: str, baseline: str, output: str,
             direction: str, boxes: dict[str, tuple[float, float]]) -> DiscoveryBox | None:
    """PRIM over the posterior draws: where does "``scenario`` raises/lowers ``output``" hold?

    The outcome of a draw is whether its mean difference (over replications) has the direction;
    the inputs are the draw's parameter values.  ``None`` when the outcome holds in all draws or
    none (nothing to discover) or fewer than 10 draws are available.
    """
    d = draw_differences(final, scenario, baseline, output)
    per_draw = d.groupby("point")["diff"].mean()
    params = final[final["scenario"] == scenario].groupby("point")[list(parameters)].first()
    x = params.reindex(per_draw.index).reset_index(drop=True).astype(float)
    y = (per_draw.to_numpy() > 0) if direction == "increase" else (per_draw.to_numpy() < 0)
    if len(y) < 10 or y.all() or not y.any():
        return None
    with warnings.catch_warnings():
        # the workbench warns about optional parallel back-ends it does not need here, and about
        # pandas deprecations inside it: not ours to fix
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        p = prim.Prim(x.copy(), y.copy(), mass_min=0.05)
        box = p.find_box()
        if box is None:
            return None
        # from PRIM's peeling trajectory, the densest box that still covers at least half of the draws
        # where the outcome holds (Bryant & Lempert's usual trade-off point; the analyst can pick another)
        traj = box.peeling_trajectory
        ok = traj[traj["coverage"] >= 0.5]
        best = int(ok.sort_values(["density", "coverage"], ascending=False).index[0]) if len(ok) else len(traj) - 1
        box.select(best)
    lims = box.box_lims[best]
    limits = []
    for k in parameters:
        lo, hi = float(lims.loc[0, k]), float(lims.loc[1, k])
        full_lo, full_hi = float(x[k].min()), float(x[k].max())
        if lo > full_lo + 1e-12 or hi < full_hi - 1e-12:
            limits.append((k, *boxes.get(k, (full_lo, full_hi)), lo, hi))
    return DiscoveryBox(scenario, output, direction, limits, float(box.coverage), float(box.density),
                        float(box.mass), len(y), int(y.sum()), x, y)


def choose_discoveries(table: pd.DataFrame, wanted: Sequence[dict[str, str]] | None,
                       limit: int = 4) -> list[tuple[str, str, str]]:
    """(scenario, output, direction) to explain: those the experiment names, else the differences
    whose sign flips in more than 5% of draws (the least robust first)."""
    if wanted:
        return [(w["scenario"], w["output"], w["direction"]) for w in wanted]
    flips = table[(table["sign"] != 0) & (table["sign_share"] < ROBUST)].sort_values("sign_share")
    return [(r.scenario, r.output, "increase" if r.sign > 0 else "decrease") for r in flips.head(limit).itertuples()]


# ----------------------------------------------------------------------------- figures
def fig_robustness(table: pd.DataFrame, outputs: Sequence[str], scenarios: Sequence[str], path: Path) -> Path:
    """Per output: each scenario's difference from the baseline; thick bar: 95% interval of the
    draw means (parameter uncertainty); thin bar: 95% interval over draws and runs (mixed)."""
    from .report import _colors, _figure, _label, _save

    ncols = min(3, len(outputs))
    nrows = math.ceil(len(outputs) / ncols)
    fig, axes = _figure(nrows, ncols, 4.6, 0.9 + 0.5 * len(scenarios) + 1.0)
    colors = _colors(list(scenarios))
    for ax, out in zip(axes, outputs):
        t = table[table["output"] == out].set_index("scenario")
        ys = np.arange(len(scenarios))[::-1]
        for y, sc in zip(ys, scenarios):
            if sc not in t.index:
                continue
            r = t.loc[sc]
            ax.plot([r["mixed_low"], r["mixed_high"]], [y, y], color=colors[sc], lw=1.2)
            ax.plot([r["draw_low"], r["draw_high"]], [y, y], color=colors[sc], lw=5, alpha=0.6, solid_capstyle="butt")
            ax.plot([r["difference"]], [y], "o", color="black", ms=4)
            ax.annotate(f"{r['sign_share']:.0%}", (r["mixed_high"], y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7)
        ax.axvline(0, color="black", lw=0.8, ls="--")
        ax.set_yticks(ys, list(scenarios))
        ax.set_xlabel(f"difference in {_label(out)}")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    fig.suptitle("Difference from the baseline over the posterior. Thick: 95% of draw means (parameter uncertainty); "
                 "thin: 95% of runs (mixed: parameter + stochastic); label: share of draws with the sign", fontsize=9)
    return _save(fig, path)


def fig_discovery(found: DiscoveryBox, path: Path) -> Path:
    """The draws in the two most restricted parameters, coloured by outcome, with PRIM's box."""
    from .report import _figure, _save

    fig, axes = _figure(1, 1, 5.5, 4.4)
    ax = axes[0]
    keys = [lim[0] for lim in found.limits][:2]
    if len(keys) < 2:
        keys = (keys + [c for c in found.x.columns if c not in keys])[:2]
    if len(keys) < 2:  # one free parameter: a strip
        k = keys[0]
        ax.scatter(found.x[k], found.y.astype(float) + np.linspace(-0.05, 0.05, len(found.y)), c=found.y,
                   cmap="coolwarm", s=14)
        ax.set_yticks([0, 1], ["does not hold", "holds"])
        ax.set_xlabel(k)
    else:
        kx, ky = keys
        ax.scatter(found.x[kx][~found.y], found.x[ky][~found.y], s=14, color="C0", label="does not hold")
        ax.scatter(found.x[kx][found.y], found.x[ky][found.y], s=14, color="C3", label="holds")
        lim = {lim[0]: lim[3:] for lim in found.limits}
        x0, x1 = lim.get(kx, (found.x[kx].min(), found.x[kx].max()))
        y0, y1 = lim.get(ky, (found.x[ky].min(), found.x[ky].max()))
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
            (x0, y0), x1 - x0, y1 - y0, fill=False, lw=1.5, ls="--", color="black", label="PRIM box"))
        ax.set_xlabel(kx)
        ax.set_ylabel(ky)
        ax.legend(fontsize=7)
    ax.set_title(f"Where '{found.statement}' holds: coverage {found.coverage:.0%}, density {found.density:.0%}",
                 fontsize=9)
    ax.grid(alpha=0.3)
    return _save(fig, path)


# ----------------------------------------------------------------------------- markdown
def markdown(table: pd.DataFrame, found: list[DiscoveryBox], baseline: str, posterior: dict[str, Any] | None,
             figures: list[tuple[str, Path]], out: Path) -> list[str]:
    from .report import _fmt, _md_table

    draws = int(table["draws"].max()) if len(table) else 0
    reps = float(table["reps"].mean()) if len(table) else 0
    src = (posterior or {}).get("file", "?")
    parts = ["## Robustness over the posterior", "",
             f"Each design point is a draw from the posterior `{src}` ({draws} draws, {reps:.0f} replications each); "
             "every draw is a parameter set that fits the calibration targets as well as ABC could tell. "
             f"For each policy difference from `{baseline}`: the posterior mean; the spread due to "
             "**parameters** (sd of the draw's expected difference across draws) and due to **chance** (sd of one "
             "run around its draw's mean); the 95% interval of the draw means (*parameter* uncertainty); the 95% "
             "interval over all runs (*mixed*: parameter and stochastic uncertainty together); and the share of "
             f"draws in which the difference has the sign of its mean. Robust (R) = that share is at least "
             f"{ROBUST:.0%}.", ""]
    rows = []
    for r in table.itertuples():
        rows.append([r.output, r.scenario, _fmt(r.difference), _fmt(r.parameter_sd), _fmt(r.stochastic_sd),
                     "–" if not np.isfinite(r.parameter_share) else f"{r.parameter_share:.0%}",
                     f"[{_fmt(r.draw_low)}, {_fmt(r.draw_high)}]", f"[{_fmt(r.mixed_low)}, {_fmt(r.mixed_high)}]",
                     "–" if not np.isfinite(r.sign_share) else f"{r.sign_share:.0%}", "R" if r.robust else ""])
    parts += [_md_table(["output", "scenario", "mean difference", "parameter sd", "stochastic sd", "parameter share",
                         "95% of draws (parameter)", "95% of runs (mixed)", "draws with the sign", "robust"], rows), ""]
    robust = table[table["robust"]]
    flips = table[~table["robust"] & (table["sign"] != 0)]
    parts += [f"**Conclusions that hold in at least {ROBUST:.0%} of posterior draws:** " + (
        "; ".join(f"{r.scenario} {'raises' if r.sign > 0 else 'lowers'} {r.output} ({r.sign_share:.0%} of draws)"
                  for r in robust.itertuples()) or "none") + ".", ""]
    def why(r: Any) -> str:
        if not np.isfinite(r.parameter_share):
            return ""
        return (f" (parameter share {r.parameter_share:.0%}: the flips are mostly "
                + ("the parameters" if r.parameter_share >= 0.5 else "the runs' own noise, not the parameters") + ")")

    parts += ["**Conclusions whose sign flips somewhere in the posterior:** " + (
        "; ".join(f"{r.scenario} {'raises' if r.sign > 0 else 'lowers'} {r.output} in {r.sign_share:.0%} of draws"
                  + why(r) for r in flips.itertuples()) or "none") + ".", ""]
    if found:
        parts += ["### Where does the answer flip? (scenario discovery, PRIM)", "",
                  "For each flipping conclusion, PRIM (EMA Workbench) peels the parameter space down to a box where "
                  "it holds. Coverage: share of the draws where it holds that lie in the box; density: share of "
                  "the draws in the box where it holds. Only restricted parameters are listed.", ""]
        for f in found:
            lims = "; ".join(f"`{k}` in [{_fmt(lo)}, {_fmt(hi)}] (posterior box {_fmt(a)}–{_fmt(b)})"
                             for k, a, b, lo, hi in f.limits) or "no restriction"
            parts += [f"- **{f.statement}** holds in {f.n_holds} of {f.n_draws} draws; box: {lims}; "
                      f"coverage {f.coverage:.0%}, density {f.density:.0%}, mass {f.mass:.0%}.", ""]
    for title, p in figures:
        parts += [f"### {title}", "", f"![{title}]({Path(p).relative_to(out)})", ""]
    return parts
