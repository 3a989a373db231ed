"""Regenerate docs/validation.md and its figures in docs/figures/validation/ from real runs.

    .venv/bin/python docs/make_validation.py               # about 5 minutes on one core
    .venv/bin/python docs/make_validation.py --quick       # fewer runs, for checking the script
    .venv/bin/python docs/make_validation.py --workers 2 --store-dir results/validation   # 2 cores, resumable

The experiments are code in sim/calibration/validation/ (runs through the runner's experiment ->
backend -> store path, seeds from run_seed, intervals from sim.stats); this script only calls them,
draws the figures and renders the page.  Every number is measured in this run except the observed
figures (sim.calibration.targets) and the calibration report written by `hukou-sim calibrate`.
Raw numbers go to docs/figures/validation/results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.calibration import checks  # noqa: E402
from sim.calibration import validation as V  # noqa: E402
from sim.calibration.posterior import fig_posterior  # noqa: E402
from sim.calibration.validation.city_sizes import START_EXPONENTS, synthetic_label  # noqa: E402
from sim.calibration.validation.harris_todaro import NOISE_LEVELS, PARAMETER_SETS, TOLERANCE  # noqa: E402

FIG = ROOT / "docs" / "figures" / "validation"
OUT_MD = ROOT / "docs" / "validation.md"
TEXT = Path(__file__).with_name("validation_text.md")
REPORT = ROOT / "scenarios" / "china_calibrated.calibration.json"
POSTERIOR = ROOT / "scenarios" / "china_calibrated.posterior.json"
DATE = dt.date.today().isoformat()
STAMP = f"hukou-sim {sim.__version__}, {DATE}"
POSTERIOR_HEAD = "## 7. Posterior (ABC-SMC)\n\n"  # section 7 (the last) of TEXT
POSTERIOR_NOT_RUN = ("Not run yet: `{posterior_file}` does not exist. Make it with `hukou-sim calibrate --method abc "
                     "--scenario china` (docs/robustness.md), then rerun this script.\n")
BASE_SEED = 20240601  # validation runs; the calibration used seed 2024, so these are fresh draws


def commit() -> str:
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout
        dirty = subprocess.run([*git, "status", "--porcelain", "sim", "scenarios"], capture_output=True,
                               text=True).stdout
        return head.strip() + (" (with uncommitted changes to sim/ or scenarios/)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save(fig, name: str) -> str:
    fig.text(0.995, 0.005, STAMP, ha="right", va="bottom", fontsize=7, color="0.4")
    fig.savefig(FIG / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"figures/validation/{name}"


def rows(cells: list[list]) -> str:
    """Markdown table rows (the header and caption are in validation_text.md)."""
    return "\n".join("| " + " | ".join(str(c) for c in r) + " |" for r in cells)


def pm(iv: dict, fmt: str = "{:.3f}") -> str:
    """'mean ± half' of an interval dict from sim.calibration.validation (just the mean without one)."""
    half = "" if not math.isfinite(iv["half"]) else f" ± {fmt.replace('+', '').format(iv['half'])}"
    return fmt.format(iv["mean"]) + half


def plain(o):
    """numpy arrays and dataclasses (the sweep summary) as JSON, for results.json."""
    return o.tolist() if hasattr(o, "tolist") else vars(o) if hasattr(o, "__dict__") else str(o)


def word(sign: int, up: str, down: str) -> str:
    return up if sign > 0 else down if sign < 0 else "does not change significantly"


# =========================================================================== 1. Harris-Todaro
def harris_todaro(quick: bool, ex: V.Execution) -> tuple[dict, dict]:
    sets = PARAMETER_SETS[:3] if quick else PARAMETER_SETS
    noise_sets, levels = sets[:2], NOISE_LEVELS[1:4] if quick else NOISE_LEVELS[1:]
    res = V.harris_todaro([(*s, 0.0) for s in sets] + [(*s, z) for s in noise_sets for z in levels], BASE_SEED + 3,
                          execution=ex)
    runs, paths = res["runs"], res["paths"]
    zero, noisy = runs[runs.noise == 0], runs[runs.noise > 0]
    in_noise = runs[[(w, r) in set(zip(noisy.w_u, noisy.w_r)) for w, r in zip(runs.w_u, runs.w_r)]]  # noise 0 too
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for i, r in zero.iterrows():
        p = paths[paths.case == i]
        ax.plot(np.arange(len(p)), p.urban / r.star, lw=1.2,
                label=f"w_u={r.w_u:.0f}, E={r.jobs / 1e3:.0f}k, w_r={r.w_r:.0f}")
    ax.axhspan(0.98, 1.02, color="0.85", zorder=0, label="±2%")
    ax.axhline(1, color="k", lw=0.8)
    ax.set(xlabel="years", ylabel="urban labour force / (w_u·E/w_r)", title="Noise 0: convergence to Harris–Todaro")
    grid = np.linspace(0.001, 1.0, 200)
    for (w_u, w_r, jpr), colour in zip(noise_sets, ("C0", "C1")):
        pts = in_noise[(in_noise.w_u == w_u) & (in_noise.w_r == w_r)]
        star = pts.star.iloc[0] / pts.N.iloc[0]
        ax2.plot(grid, V.predicted_share(w_u, w_r, jpr, grid), color=colour, lw=1.2,
                 label=f"predicted, L*/N={star:.2f}")
        ax2.plot(pts.noise, pts.settled / pts.N, "o", color=colour, ms=5, label="simulated (mean of last 20 years)")
        ax2.axhline(star, color=colour, ls=":", lw=0.8)
    ax2.axhline(0.5, color="0.5", ls="--", lw=0.8, label="N/2 (logit indifference)")
    ax2.set(xlabel="choice noise σ", ylabel="urban share L_u / N", title="With noise: logit fixed point")
    ax.legend(fontsize=7)
    ax2.legend(fontsize=7)
    worst = zero.error_star.abs().max()
    return {"ht_worst": worst, "ht_inside": "inside" if worst <= TOLERANCE else "**outside**",
            "ht_worst_noise": noisy.error_predicted.abs().max(), "fig_ht": save(fig, "harris_todaro.png"),
            "rows1": rows([[f"{r.w_u:,.0f}", f"{r.jobs:,.0f}", f"{r.w_r:,.0f}", f"{r.star:,.0f}", f"{r.settled:,.0f}",
                            f"{r.error_star:+.2%}", "pass" if abs(r.error_star) <= TOLERANCE else "FAIL"]
                           for r in zero.itertuples()]),
            "rows2": rows([[f"({r.w_u:,.0f}, {r.jobs:,.0f}, {r.w_r:,.0f})", f"{r.noise:g}", f"{r.star:,.0f}",
                            f"{r.predicted:,.0f}", f"{r.settled:,.0f}", f"{r.error_predicted:+.2%}",
                            f"{r.error_star:+.1%}"]
                           for r in in_noise.sort_values(["w_u", "noise"]).itertuples()])}, runs.to_dict("records")


# =========================================================================== 2. city-size laws
def city_sizes(policy: V.Replications, quick: bool, ex: V.Execution) -> tuple[dict, dict]:
    reps, steps = (2, 60) if quick else (3, 100)
    runs = V.zipf_runs(reps, steps, BASE_SEED + 1, execution=ex)
    trends = V.zipf_trends(runs)
    names = {synthetic_label(z): f"synthetic, 60 cities, ζ₀ = {z}" for z in START_EXPONENTS}
    names["china_calibrated"] = "china_calibrated (250 cities), neutral"
    cap = V.cap_effect(policy.final)
    labels = {"zipf_exponent": "ζ (250 cities)", "primacy": "primacy",
              "top_city_share": "largest city's share of urban pop.", "hhi": "HHI"}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for (label, colour) in zip(trends, ("C0", "C1", "C2", "k")):
        for p in runs.series(label, "zipf_exponent"):
            axes[0].plot(runs.years(label), p, color=colour, lw=0.8, alpha=0.7)
        axes[0].plot([], [], color=colour, label=names[label].split(" (")[0].replace(", 60 cities,", ""))
    axes[0].axhline(1, color="0.5", ls="--", lw=0.8)
    axes[0].set(xlabel="year", ylabel="ζ (Gabaix–Ibragimov)", title="Caps off, no policy")
    for ax, col in ((axes[1], "zipf_exponent"), (axes[2], "primacy")):
        for name, colour in (("neutral", "C0"), ("cap", "C3")):
            for p in policy.series(name, col):
                ax.plot(policy.years(name), p, color=colour, lw=0.8, alpha=0.8)
            ax.plot([], [], color=colour, label=name)
        ax.axvline(2014, color="0.5", ls=":", lw=0.8)
        ax.set(xlabel="year", title=f"{'ζ' if col == 'zipf_exponent' else col}: neutral vs cap")
    for ax in axes:
        ax.legend(fontsize=7)
    sign = {r.measure: r.difference["sign"] for r in cap.itertuples()}
    fmt = {m: "{:.5f}" if m == "hhi" else "{:.4f}" for m in labels}
    return {"city_reps": reps, "city_steps": steps, "trends": trends, "fig_city": save(fig, "city_sizes.png"),
            "rows3": rows([[names[k], f"{t['start']:.3f}", f"{t['middle']:.3f}", f"{t['end']:.3f}",
                            pm(t["change"], "{:+.3f}"), f"{t['trend_per_decade']:+.4f}", t["verdict"]]
                           for k, t in trends.items()]),
            "max_trend": max(abs(t["trend_per_decade"]) for t in trends.values()),
            "rows4": rows([[labels[r.measure], pm(r.neutral, fmt[r.measure]), pm(r.cap, fmt[r.measure]),
                            pm(r.difference, fmt[r.measure].replace("{:", "{:+"))] for r in cap.itertuples()]),
            "cap_top": word(sign["top_city_share"], "rises", "falls"), "cap_hhi": word(sign["hhi"], "rises", "falls"),
            "cap_zeta": word(sign["zipf_exponent"], "rises (flatter)", "falls"),
            "cap_primacy": word(sign["primacy"], "rises", "falls")}, {"trends": trends, "cap": cap.to_dict("records")}


# =========================================================================== 3. real network
def real_network() -> tuple[dict, dict]:
    r = V.real_network()
    cell = (lambda z: f"{z['zeta']:.3f} ± {z['se']:.3f} (n = {z['n']})")
    zrows = [[f"≥ {z['min_size']:,.0f}", f"{z['reference']:.2f} (n ≈ {z['reference_n']})", cell(z["raw"]),
              cell(z["dedup"]), cell(z["network"])] for z in r["zeta"]]
    p = r["primacy"]
    zrows.append(["primacy", f"{p['reference']:.2f}", f"{p['raw']:.3f}", f"{p['dedup']:.3f}", f"{p['network']:.3f}"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for key, label in (("raw", "raw GeoNames CN"), ("dedup", "de-duplicated"), ("network", "china network")):
        s = np.sort(r["sizes"][key])[::-1]
        ax.loglog(s, np.arange(1, len(s) + 1) - 0.5, ".", ms=3, label=f"{label} ({len(s)})")
    for z in r["zeta"]:
        ax.axvline(z["min_size"], color="0.7", lw=0.6)
    ax.set(xlabel="population", ylabel="rank − ½", title="Chinese cities, GeoNames")
    ax.legend(fontsize=8)
    out = {k: v for k, v in r.items() if k != "sizes"}
    return {"net": out, "mismatches": len(r["mismatches"]), "n_dedup": len(r["sizes"]["dedup"]),
            "mismatch_names": ", ".join(m[0] for m in r["mismatches"]) or "none",
            "fig_rank": save(fig, "rank_size.png"),
            "rows5": rows(zrows)}, out


# =========================================================================== 4. calibration
CAL_PANELS = (("urbanization_rate", "resident urbanization", 100, "%"),
              ("hukou_urbanization_rate", "hukou urbanization", 100, "%"),
              ("floating_population", "floating population", 1e-6, "million"),
              ("urban_rural_income_ratio", "urban/rural income ratio", 1, ""),
              ("population", "population", 1e-6, "million"),
              ("rural_poverty_headcount", "rural poverty (official line)", 100, "%"),
              ("rural_mean_income", "rural income per person", 1, "yuan, 2010 prices"),
              ("rural_wage_income_share", "off-farm share of rural income", 100, "%"),
              ("gini_income", "national Gini", 1, ""))
IN_MILLIONS = ("floating_population", "population")


def calibration(quick: bool, ex: V.Execution) -> tuple[dict, dict]:
    rep = V.read_report(REPORT)
    reps = 3 if quick else 5
    runs = V.calibration_runs(rep, reps, BASE_SEED, execution=ex)
    chk = V.target_check(rep, runs)
    trows = []
    for r in chk.itertuples():
        sc, unit = (100, " %") if r.unit == "share" else (1e-6, "M") if r.column in IN_MILLIONS else (1, "")
        f = ((lambda x: f"{x * sc:,.1f}{unit}") if sc != 1 else (lambda x: f"{x:,.0f}") if r.unit == "yuan/year"
             else (lambda x: f"{x:.2f}"))
        trows.append([r.target, r.role, f(r.observed), r.band_text, f(r.default),
                      f(r.fit_run) if math.isfinite(r.fit_run) else "", f"{f(r.mean)} ± {r.ci * sc:,.2f}",
                      f(r.own_agents), f"{r.z:+.2f}", "pass" if r.passes else "**FAIL**"])
    prow = [[f"`{p['key']}`", f"{p['start']:g}", f"{p['fitted']:g}", f"{p['low']:g} – {p['high']:g}", p["why"]]
            for p in rep["free_parameters"]]
    fig, axes = plt.subplots(2, 5, figsize=(19, 7.6), layout="constrained")
    axes = axes.ravel()
    axes[-1].set_visible(False)
    colours = {"fitted": "k", "held out": "C3", "check": "C2"}
    for ax, (col, title, sc, unit) in zip(axes, CAL_PANELS):
        a, years = runs["calibrated"].series("calibrated", col) * sc, runs["calibrated"].years("calibrated")
        ax.plot(years, runs["default"].series("default", col).mean(axis=0) * sc, color="0.6", lw=1, ls="--",
                label="uncalibrated china")
        ax.fill_between(years, a.min(axis=0), a.max(axis=0), color="C0", alpha=0.3)
        ax.plot(years, a.mean(axis=0), color="C0", lw=1.3, label="china_calibrated")
        for t in chk[chk.column == col].itertuples():
            ax.errorbar(t.year, t.observed * sc, yerr=t.band * sc, fmt="o", color=colours[t.role], ms=4, capsize=3)
        ax.set(title=title, xlabel="year", ylabel=unit)
    for role, colour in colours.items():
        axes[0].plot([], [], "o", color=colour, label="fitted target ± band" if role == "fitted" else role)
    axes[0].legend(fontsize=7)
    misses = "\n".join(f"* **{r.target}** (z = {r.z:+.2f}): {r.reason or 'outside its band at fresh seeds'}."
                       for r in chk[~chk.passes].itertuples()) or "Every target is inside its band at the fresh seeds."
    edges = "\n".join(f"* `{p['key']}` = {p['fitted']:g} sits at {p['position']:.0%} of its box {p['low']:g}–"
                      f"{p['high']:g}. {p['reason']}" for p in V.edges(rep)) or \
        "No fitted parameter lies within 10% of either end of its search box."
    n = V.passed(chk)
    return {"rep": rep, "cal_agents": f"{rep['settings']['overrides'].get('simulation.n_agents', 40000):,}",
            "cal_seeds": ", ".join(map(str, rep["seeds"])), "cal_minutes": rep["seconds"] / 60,
            "cal_start": (f"Nelder-Mead started from the values of scenario `{rep['settings']['start']['scenario']}` "
                          f"(a warm start; they scored {rep['history'][0]['loss']:.3f})"
                          if rep["settings"].get("start") else
                          f"the default parameters scored {rep['history'][0]['loss']:.3f}"),
            "cal_held_out": ", ".join(rep["held_out"]), "cal_reps": reps, "default_reps": 2,
            "own_agents": sim.load_scenario("china_calibrated").values["n_agents"],
            "rows6": rows(prow), "rows7": rows(trows),
            "passed": {k: f"{a}/{b}" for k, (a, b) in n.items()}, "fig_cal": save(fig, "calibration.png"),
            "misses": misses, "edges": edges}, chk.to_dict("records")


# =========================================================================== 5. published results
def published(policy, au: dict) -> tuple[dict, dict]:
    cmp = V.published_comparison(policy.final, au)
    nums = [[r["measure"], pm(r["neutral - cap"], "{:+.3f}"), pm(r["hukou_reform - neutral"], "{:+.3f}")]
            for r in cmp["numbers"]]
    claims = [[c["source"], c["claim"], c["comparison"], c["result"], f"**{c['verdict']}**", c["reason"]]
              for c in cmp["claims"]]
    reps = int((policy.final.scenario == "neutral").sum())
    return {"policy_reps": reps, "rows8": rows(nums), "rows9": rows(claims)}, \
        {**cmp, "inverted_u": {k: v for k, v in au.items() if k not in ("size", "income")}}


# =========================================================================== 6. sensitivity
def sensitivity(ex: V.Execution) -> tuple[dict, dict]:
    res = V.sensitivity(ROOT / "experiments" / "sensitivity.toml", ex, keep=FIG)
    tables, drivers = [], []
    for i, (o, df) in enumerate(res["indices"].items()):
        clear = ", ".join(f"`{r.parameter}` (ST {r.ST:.2f} ± {r.ST_conf:.2f})" for r in res["drivers"][o].itertuples())
        drivers.append(f"* **{o}**: " + (clear or "no parameter's total index is clearly above 0.05"))
        sobol = [[f"`{r.parameter}`", f"{r.S1:.2f} ± {r.S1_conf:.2f}", f"{r.ST:.2f} ± {r.ST_conf:.2f}"]
                 for r in df.itertuples()]
        tables.append(f"**{o}** ({sim.COLUMNS[o][1]})\n\n| parameter | first-order S1 (95% CI) | total ST (95% CI) |\n"
                      f"|---|---|---|\n{rows(sobol)}\n\n*Table {10 + i}. Sobol indices of {o}, scenario "
                      f"{res['scenario']} ({STAMP}.)*\n")
    d, over = res["spec"]["design"], res["spec"]["overrides"]
    return {"sens": res, "sens_params": len(d["parameters"]), "sens_points": d["samples"] * (len(d["parameters"]) + 2),
            "sens_reps": res["spec"].get("replications", 1), "sens_cities": over.get("network.n_cities", "all"),
            "sens_agents": over.get("simulation.n_agents", "?"), "sens_drivers": "\n".join(drivers),
            "sens_tables": "\n".join(tables)}, \
        {"failed": res["failed"], "minutes": res["minutes"], "indices": {o: df.to_dict("records") for o, df in
                                                                         res["indices"].items()}}


# =========================================================================== 7. posterior
def posterior(path: Path) -> tuple[dict, dict]:
    chk = V.posterior_check(path)
    if chk is None:
        return {"posterior_file": os.path.relpath(path, ROOT)}, {"run": False}
    data, summ = chk["data"], V.posterior_summary(chk["data"])
    fig = fig_posterior(data, FIG / "posterior.png").relative_to(ROOT / "docs")
    gens = [[g["generation"], "∞" if g["epsilon"] is None else f"{g['epsilon']:.3f}", g["accepted"], g["proposed"],
             f"{g['ess']:.0f}"] for g in data["generations"]]
    prow = [[f"`{r.key}`", f"{r.low:g} – {r.high:g}", f"{r.mean:.4g}", f"[{r.q05:.4g}, {r.q95:.4g}]",
             f"{r.box_share90:.0%}"] for r in summ.itertuples()]
    pred = [[k, p["role"], f"{p['observed']:.4g}", f"{p['q05']:.4g}", f"{p['q50']:.4g}", f"{p['q95']:.4g}",
             "inside" if p["inside90"] else "**outside**", f"{p['within_band_share']:.0%}"]
            for k, p in chk["predictive"].items()]
    return {"post": data, "post_check": chk, "posterior_file": os.path.relpath(path, ROOT), "fig_posterior": fig,
            "n_generations": len(data["generations"]),
            "post_ess": summ.attrs["ess"], "rows20": rows(gens), "rows21": rows(prow), "rows22": rows(pred)}, \
        {"run": True, "held_out_inside90": chk["held_out_inside90"], "checks_inside90": chk["checks_inside90"],
         "summary": summ.to_dict("records")}


# =========================================================================== main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs (to check the script, not for committing)")
    ap.add_argument("--workers", type=int, default=1, help="worker processes for the replicated runs (default 1)")
    ap.add_argument("--store-dir", type=Path, help="keep the runs' stores here, so an interrupted run resumes; stores "
                    "are keyed by scenario values and package version, not by the code: empty the folder after "
                    "changing sim/ (default: temporary stores, every run afresh)")
    ap.add_argument("--posterior", type=Path, default=POSTERIOR, help=f"posterior file of section 7 (default "
                                                                       f"{POSTERIOR.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    FIG.mkdir(parents=True, exist_ok=True)
    ex = V.Execution(args.store_dir, "process" if args.workers > 1 else "serial", args.workers)
    t0 = time.perf_counter()
    values, raw = {}, {}

    def section(name: str, result: tuple[dict, dict]) -> None:
        values.update(result[0])
        raw[name] = result[1]
        print(f"[{time.perf_counter() - t0:6.1f}s] {name} done", flush=True)

    cal = checks.calibrated_overrides("china_calibrated")
    section("real_network", real_network())
    section("harris_todaro", harris_todaro(args.quick, ex))
    section("calibration", calibration(args.quick, ex))
    policy = V.policy_runs(cal, 3 if args.quick else 5, BASE_SEED + 2, execution=ex)
    section("city_sizes", city_sizes(policy, args.quick, ex))
    section("published", published(policy, V.inverted_u(cal, BASE_SEED)))
    section("sensitivity", sensitivity(ex))
    section("posterior", posterior(args.posterior.resolve()))
    minutes = (time.perf_counter() - t0) / 60
    template = TEXT.read_text(encoding="utf-8")
    if not raw["posterior"]["run"]:  # section 7 (the last) says how to make the posterior instead
        template = template[:template.index(POSTERIOR_HEAD) + len(POSTERIOR_HEAD)] + POSTERIOR_NOT_RUN
    text = template.format(
        date=DATE, version=sim.__version__, commit=commit(), minutes=minutes, stamp=STAMP,
        quick=" (--quick: fewer runs; do not commit)" if args.quick else "", **values)
    OUT_MD.write_text(text, encoding="utf-8")
    (FIG / "results.json").write_text(json.dumps({"date": DATE, "version": sim.__version__, "quick": args.quick, **raw},
                                                 indent=1, default=plain) + "\n", encoding="utf-8")
    print(f"wrote {OUT_MD.relative_to(ROOT)} and {FIG.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
