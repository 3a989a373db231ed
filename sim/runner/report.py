"""The report of a results store: Markdown with PNG figures, readable without the code.

Per scenario and output: the mean across replications with a 95% t-interval; each scenario's
difference from the baseline with a Welch 95% interval (replications of different scenarios
have independent seeds); time series with 95% bands; log-log rank-size plots of final city
sizes; a poverty-versus-concentration trade-off chart; and for Sobol experiments, first-order
and total indices with their bootstrap 95% intervals (SALib).
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..outcomes import COLUMNS
from .poverty_report import poverty_section, section_columns
from .results import Results

KEY_OUTPUTS = ("urbanization_rate", "poverty_headcount", "new_urban_poor", "gini_income", "zipf_exponent",
               "top_city_share", "primacy", "gdp_per_capita")
CONCENTRATION = ("top_city_share", "hhi", "primacy")


# ----------------------------------------------------------------------------- statistics
# one statistics module for the whole package (sim.stats); re-exported here for the report's callers
from ..stats import CONFIDENCE, t_interval, welch_interval  # noqa: E402,F401


def summary_table(final: pd.DataFrame, outputs: list[str], order: list[str]) -> pd.DataFrame:
    """Per scenario and output: n, mean, sd and the 95% interval across runs."""
    rows = []
    for sc in order:
        sub = final[final["scenario"] == sc]
        for out in outputs:
            n, mean, sd, lo, hi = t_interval(sub[out])
            rows.append({"scenario": sc, "output": out, "n": n, "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def difference_table(final: pd.DataFrame, outputs: list[str], order: list[str], baseline: str) -> pd.DataFrame:
    """Per scenario (not the baseline) and output: difference from the baseline and its 95% interval."""
    base = final[final["scenario"] == baseline]
    rows = []
    for sc in order:
        if sc == baseline:
            continue
        sub = final[final["scenario"] == sc]
        for out in outputs:
            d, lo, hi = welch_interval(sub[out], base[out])
            rows.append({"scenario": sc, "output": out, "difference": d, "ci_low": lo, "ci_high": hi,
                         "n": int(sub[out].notna().sum()), "n_baseline": int(base[out].notna().sum())})
    return pd.DataFrame(rows)


def sobol_indices(final: pd.DataFrame, experiment: dict[str, Any], scenario: str, output: str) -> pd.DataFrame | None:
    """First-order and total Sobol indices of ``output`` with 95% bootstrap intervals, from the
    design points' means across replications; ``None`` when points are missing or the output is constant."""
    from SALib.analyze import sobol

    design = experiment["design"]
    names = list(design.get("parameter_order") or design["parameters"])  # must be the sample's column order
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(map(float, design["parameters"][k])) for k in names]}
    sub = final[final["scenario"] == scenario]
    y = sub.groupby("point")[output].mean().reindex(range(int(design["n_points"])))
    if y.isna().any() or float(np.nanvar(y.to_numpy())) == 0.0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        si = sobol.analyze(problem, y.to_numpy(dtype=float), calc_second_order=False, conf_level=CONFIDENCE,
                           seed=int(design.get("seed", 0)))
    return pd.DataFrame({"parameter": names, "S1": si["S1"], "S1_conf": si["S1_conf"],
                         "ST": si["ST"], "ST_conf": si["ST_conf"]})


# ----------------------------------------------------------------------------- figures
def _figure(nrows: int, ncols: int, w: float = 5.0, h: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    return fig, axes


def _label(out: str) -> str:
    unit = COLUMNS.get(out, ("", ""))[0]
    return f"{out.replace('_', ' ')} ({unit})" if unit and unit != "-" else out.replace("_", " ")


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def _colors(order: list[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {sc: cmap(i % 10) for i, sc in enumerate(order)}


def _interval_panels(frame: pd.DataFrame, value: str, outputs: list[str], rows: list[str], colors: dict,
                     marker: str):
    """One panel per output: a point with its 95% interval for each of ``rows`` (scenarios)."""
    ncols = min(4, len(outputs))
    nrows = math.ceil(len(outputs) / ncols)
    fig, axes = _figure(nrows, ncols, 4.2, 0.5 + 0.45 * len(rows) + 1.2)
    for ax, out in zip(axes, outputs):
        t = frame[frame["output"] == out].set_index("scenario").reindex(rows)
        ys = np.arange(len(rows))[::-1]
        for y, sc in zip(ys, rows):
            v, lo, hi = t.loc[sc, [value, "ci_low", "ci_high"]]
            err = [[v - lo], [hi - v]] if np.isfinite(lo) else None
            ax.errorbar([v], [y], xerr=err, fmt=marker, color=colors[sc], capsize=4, label=sc)
        ax.set_yticks(ys, rows)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    return fig, axes


def fig_means(table: pd.DataFrame, outputs: list[str], order: list[str], path: Path) -> Path:
    fig, axes = _interval_panels(table, "mean", outputs, order, _colors(order), "o")
    for ax, out in zip(axes, outputs):
        ax.set_xlabel(_label(out))
        ax.set_title(COLUMNS.get(out, ("", out))[1], fontsize=8, wrap=True)
    fig.suptitle("Final-year mean per scenario with 95% confidence interval across replications")
    return _save(fig, path)


def fig_differences(diff: pd.DataFrame, outputs: list[str], order: list[str], baseline: str, path: Path) -> Path:
    others = [s for s in order if s != baseline]
    fig, axes = _interval_panels(diff, "difference", outputs, others, _colors(order), "s")
    for ax, out in zip(axes, outputs):
        ax.axvline(0.0, color="black", lw=0.8, ls="--", label=f"no difference from {baseline}")
        ax.set_xlabel(f"difference in {_label(out)}")
        ax.set_title(out.replace("_", " "), fontsize=9)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Difference from the baseline '{baseline}' in the final year, with 95% Welch confidence interval")
    return _save(fig, path)


def fig_timeseries(ts: pd.DataFrame, outputs: list[str], order: list[str], path: Path) -> Path:
    ncols = min(2, len(outputs))
    nrows = math.ceil(len(outputs) / ncols)
    fig, axes = _figure(nrows, ncols, 6.0, 3.6)
    colors = _colors(order)
    for ax, out in zip(axes, outputs):
        for sc in order:
            sub = ts[ts["scenario"] == sc]
            if sub.empty:
                continue
            rows = [(year, *t_interval(g[out])[1:]) for year, g in sub.groupby("year")]
            yr, mean, _, lo, hi = map(np.asarray, zip(*rows))
            ax.plot(yr, mean, color=colors[sc], label=sc)
            ok = np.isfinite(lo)
            if ok.any():
                ax.fill_between(yr[ok], lo[ok], hi[ok], color=colors[sc], alpha=0.2, lw=0)
        ax.set_xlabel("year")
        ax.set_ylabel(_label(out))
        ax.set_title(COLUMNS.get(out, ("", out))[1], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, title="scenario (band: 95% CI)", title_fontsize=7)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    fig.suptitle("Time series: mean across replications with 95% confidence band")
    return _save(fig, path)


def fig_rank_size(cities: pd.DataFrame, order: list[str], path: Path) -> Path:
    fig, axes = _figure(1, 1, 7.0, 5.0)
    ax = axes[0]
    colors = _colors(order)
    for sc in order:
        sub = cities[(cities["scenario"] == sc) & (cities["size"] > 0)]
        if sub.empty:
            continue
        wide = sub.pivot_table(index="rank", columns=["point", "replication"], values="size")
        mean = wide.mean(axis=1)
        ax.plot(wide.index, mean, color=colors[sc], label=f"{sc} (mean of {wide.shape[1]} runs)")
        if wide.shape[1] > 1:
            lo, hi = wide.quantile(0.025, axis=1), wide.quantile(0.975, axis=1)
            ax.fill_between(wide.index, lo, hi, color=colors[sc], alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank of city by population (1 = largest)")
    ax.set_ylabel("final city population (people)")
    ax.set_title("Rank-size of final city populations (log-log); band: 2.5-97.5% of runs")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _save(fig, path)


def fig_tradeoff(final: pd.DataFrame, table: pd.DataFrame, xcol: str, order: list[str], path: Path) -> Path:
    fig, axes = _figure(1, 1, 7.0, 5.0)
    ax = axes[0]
    colors = _colors(order)
    ycol = "poverty_headcount"
    for sc in order:
        sub = final[final["scenario"] == sc]
        ax.scatter(sub[xcol], sub[ycol], s=10, alpha=0.3, color=colors[sc])
        tx = table[(table["scenario"] == sc) & (table["output"] == xcol)].iloc[0]
        ty = table[(table["scenario"] == sc) & (table["output"] == ycol)].iloc[0]
        xe = [[tx["mean"] - tx["ci_low"]], [tx["ci_high"] - tx["mean"]]] if np.isfinite(tx["ci_low"]) else None
        ye = [[ty["mean"] - ty["ci_low"]], [ty["ci_high"] - ty["mean"]]] if np.isfinite(ty["ci_low"]) else None
        ax.errorbar([tx["mean"]], [ty["mean"]], xerr=xe, yerr=ye, fmt="o", ms=8, capsize=4, color=colors[sc],
                    mec="black", label=f"{sc}: mean, 95% CI (dots: runs)")
    ax.set_xlabel(f"concentration: {_label(xcol)}")
    ax.set_ylabel(_label(ycol))
    ax.set_title("Poverty vs concentration in the final year (lower left is better on both)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def fig_sobol(indices: dict[str, pd.DataFrame], scenario: str, path: Path) -> Path:
    outs = list(indices)
    ncols = min(2, len(outs))
    nrows = math.ceil(len(outs) / ncols)
    fig, axes = _figure(nrows, ncols, 6.0, 3.8)
    for ax, out in zip(axes, outs):
        df = indices[out]
        x = np.arange(len(df))
        ax.bar(x - 0.2, df["S1"], 0.4, yerr=df["S1_conf"], capsize=3, label="first-order S1")
        ax.bar(x + 0.2, df["ST"], 0.4, yerr=df["ST_conf"], capsize=3, label="total ST")
        ax.set_xticks(x, [p.split(".", 1)[-1] for p in df["parameter"]], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("Sobol index (share of variance)")
        ax.set_title(f"{_label(out)}", fontsize=9)
        ax.axhline(0, color="black", lw=0.6)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, title="error bars: 95% bootstrap CI", title_fontsize=7)
    for ax in axes[len(outs):]:
        ax.set_visible(False)
    fig.suptitle(f"Sobol sensitivity indices, scenario '{scenario}' (final year)")
    return _save(fig, path)


# ----------------------------------------------------------------------------- markdown
def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    v = float(v)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.4g}"
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(store: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.md``, ``summary.csv``, ``differences.csv`` and PNG figures into ``out``
    (default: ``<store without .sqlite>-report/``); return the path of ``report.md``."""
    store = Path(store)
    out = Path(out) if out is not None else store.with_name(store.stem + "-report")
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "out", "exists and is not a directory")
    with Results(store) as res:
        exp = res.experiment
        runs = res.runs()
        final = res.final()
        ts = res.timeseries()
        cities = res.cities()
        order = [s for s in res.scenario_order if s in set(runs["scenario"])] or sorted(runs["scenario"].unique())
        baseline = res.baseline
    if final.empty:
        raise InputError(str(store), "runs", "no successful runs stored yet; nothing to report")
    out.mkdir(parents=True, exist_ok=True)
    outputs = [o for o in (exp.get("outputs") or []) if o in final.columns]
    # every poverty line by group and measure has its own section; the main tables keep the headline columns
    poverty_md = poverty_section(final, order, baseline) if baseline in order and len(order) > 1 else ""
    outputs = [o for o in outputs if o not in section_columns()] or outputs
    key = [o for o in KEY_OUTPUTS if o in outputs] or outputs[:8]
    table = summary_table(final, outputs, order)
    table.to_csv(out / "summary.csv", index=False)
    figures: list[tuple[str, Path]] = []
    import matplotlib
    with matplotlib.rc_context({"font.size": 9}):
        figures.append(("Means with 95% confidence intervals", fig_means(table, key, order, out / "means_ci.png")))
        diff = None
        if baseline in order and len(order) > 1:
            diff = difference_table(final, outputs, order, baseline)
            diff.to_csv(out / "differences.csv", index=False)
            figures.append((f"Difference from {baseline}",
                            fig_differences(diff, key, order, baseline, out / "diff_from_baseline.png")))
        figures.append(("Time series with 95% bands", fig_timeseries(ts, key, order, out / "timeseries.png")))
        figures.append(("Rank-size of final city populations", fig_rank_size(cities, order, out / "rank_size.png")))
        xcol = next((c for c in CONCENTRATION if c in outputs), None)
        if xcol and "poverty_headcount" in outputs:
            figures.append(("Poverty vs concentration", fig_tradeoff(final, table, xcol, order, out / "tradeoff.png")))
        sobol_md = []
        if exp.get("design", {}).get("kind") == "sobol":
            for sc in order:
                indices = {}
                for o in key:
                    si = sobol_indices(final, exp, sc, o)
                    if si is not None:
                        indices[o] = si
                if not indices:
                    sobol_md.append(f"Scenario `{sc}`: Sobol indices not computed (design points missing or "
                                    "outputs constant).")
                    continue
                p = fig_sobol(indices, sc, out / f"sobol_{sc}.png")
                figures.append((f"Sobol indices, {sc}", p))
                for o, si in indices.items():
                    si.assign(scenario=sc, output=o).to_csv(out / f"sobol_{sc}_{o}.csv", index=False)
                    sobol_md.append(f"**{sc}: {o}**\n\n" + _md_table(
                        ["parameter", "S1 [95% CI]", "ST [95% CI]"],
                        [[r.parameter, f"{_fmt(r.S1)} [{_fmt(r.S1 - r.S1_conf)}, {_fmt(r.S1 + r.S1_conf)}]",
                          f"{_fmt(r.ST)} [{_fmt(r.ST - r.ST_conf)}, {_fmt(r.ST + r.ST_conf)}]"]
                         for r in si.itertuples()]))
        robust_md = None
        if exp.get("design", {}).get("kind") == "posterior" and diff is not None:
            robust_md = _robustness(final, exp, outputs, key, order, baseline, out)
    md = _markdown(exp, store, runs, table, diff, order, baseline, outputs, figures, sobol_md, out, robust_md,
                   poverty_md)
    path = out / "report.md"
    _write_text(path, md)
    return path


def _robustness(final, exp, outputs, key, order, baseline, out) -> list[str]:
    """The posterior section: uncertainty split, sign shares, PRIM boxes (see :mod:`.robustness`)."""
    from . import robustness as R

    rt = R.robustness_table(final, outputs, order, baseline)
    rt.to_csv(out / "robustness.csv", index=False)
    design = exp["design"]
    params = list(design.get("parameter_order") or design["parameters"])
    boxes = {k: tuple(map(float, v)) for k, v in design["parameters"].items()}
    found = []
    for sc, o, direction in R.choose_discoveries(rt[rt["output"].isin(key)], exp.get("discovery")):
        f = R.discover(final, params, sc, baseline, o, direction, boxes)
        if f is not None:
            found.append(f)
    figs = [("Policy differences over the posterior",
             R.fig_robustness(rt, key, [s for s in order if s != baseline], out / "robustness.png"))]
    for i, f in enumerate(found):
        figs.append((f"Scenario discovery: {f.statement}", R.fig_discovery(f, out / f"discovery_{i}.png")))
    return R.markdown(rt, found, baseline, exp.get("posterior"), figs, out)


def _markdown(exp, store, runs, table, diff, order, baseline, outputs, figures, sobol_md, out,
              robust_md=None, poverty_md="") -> str:
    from .. import __version__

    design = exp.get("design", {})
    mixed = design.get("kind") == "posterior"
    n_ok = int((runs["status"] == "ok").sum())
    n_failed = int((runs["status"] == "failed").sum())
    parts = [f"# Experiment `{exp.get('name')}`", "", exp.get("description", ""), "",
             f"Store `{store}`: {n_ok} successful and {n_failed} failed runs "
             f"({exp.get('replications')} replications per scenario and design point planned; "
             f"design: {design.get('kind')}, {design.get('n_points')} point(s)). "
             f"Report by hukou-sim {__version__}; runs by "
             f"{', '.join(sorted(runs['version'].unique()))}.", ""]
    if design.get("kind") not in (None, "none"):
        parts += ["Means below pool every design point of a scenario: their spread covers the design as well "
                  "as the replications.", ""]
    per = runs.groupby("scenario")["status"].value_counts().unstack(fill_value=0)
    parts += ["## Runs", "", _md_table(["scenario", "ok", "failed"],
                                        [[s, str(per.loc[s].get("ok", 0)), str(per.loc[s].get("failed", 0))]
                                         for s in order if s in per.index]), ""]
    if n_failed:
        errs = runs[runs["status"] == "failed"].head(20)
        parts += ["Failed runs (first 20):", ""] + [
            f"- {r.scenario} point {r.point} replication {r.replication}: `{r.error}`" for r in errs.itertuples()] + [""]
    parts += ["## Final-year means with 95% confidence intervals" + (" (mixed)" if mixed else ""), "",
              "Student-t interval for the mean across runs (replications are independent: each has its own seed)."
              + (" The runs pool every posterior draw: these intervals **mix parameter and stochastic uncertainty** "
                 "and treat draws as replications; see *Robustness over the posterior* for the split."
                 if mixed else ""),
              "",
              _md_table(["output", "unit"] + order,
                        [[o, COLUMNS.get(o, ("", ""))[0]] +
                         [_cell(table, sc, o, "mean") for sc in order] for o in outputs]), ""]
    if diff is not None:
        others = [s for s in order if s != baseline]
        parts += [f"## Difference from the baseline `{baseline}`" + (" (mixed)" if mixed else ""), "",
                  "Scenario mean minus baseline mean, with a Welch 95% interval (unequal variances). "
                  "Intervals excluding 0 are marked *."
                  + (" Mixed: parameter and stochastic uncertainty pooled." if mixed else ""), "",
                  _md_table(["output", "unit"] + others,
                            [[o, COLUMNS.get(o, ("", ""))[0]] + [_cell(diff, sc, o, "difference") for sc in others]
                             for o in outputs]), ""]
    if poverty_md:
        parts += [poverty_md + ("\n\n*Mixed: parameter and stochastic uncertainty pooled.*" if mixed else ""), ""]
    if robust_md:
        parts += robust_md
    parts += ["## Figures", ""]
    for title, p in figures:
        parts += [f"### {title}", "", f"![{title}]({Path(p).relative_to(out)})", ""]
    if sobol_md:
        parts += ["## Sobol sensitivity indices", "",
                  "First-order (S1) and total (ST) indices of the final-year outputs, from the means of each "
                  "design point across replications (SALib, Saltelli estimator; 95% bootstrap intervals).", ""]
        parts += [s + "\n" for s in sobol_md]
    parts += ["Tables as CSV: `summary.csv`" + (", `differences.csv`" if diff is not None else "") + ".", ""]
    return "\n".join(parts)


def _cell(df: pd.DataFrame, sc: str, out: str, col: str) -> str:
    row = df[(df["scenario"] == sc) & (df["output"] == out)]
    if row.empty:
        return "–"
    r = row.iloc[0]
    star = ""
    if col == "difference" and np.isfinite(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0):
        star = " *"
    return f"{_fmt(r[col])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]{star}"
