"""Regenerate the worked example of docs/robustness.md from real runs (figures in docs/figures/robustness/).

    .venv/bin/python docs/make_robustness.py            # the sweep over the posterior: ~5 minutes on 2 cores
    .venv/bin/python docs/make_robustness.py --abc      # also redo the teaching posterior (~15 minutes)
    .venv/bin/python docs/make_robustness.py --china-only   # only section 5 (China), from the stored runs of
        # hukou-sim calibrate --method abc --scenario china ... and hukou-sim sweep experiments/cap_vs_neutral_robust.toml

The posterior (docs/robustness/teaching.posterior.json) is made by
`hukou-sim calibrate --method abc --scenario teaching --targets docs/robustness/teaching_targets.toml ...`
(the exact command is ABC_ARGS below); the sweep is `hukou-sim sweep experiments/teaching_robust.toml`;
the tables and figures are the runner's report of that sweep.  This script only runs those and renders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.calibration.posterior import fig_posterior  # noqa: E402
from sim.calibration.validation import posterior_draws  # noqa: E402
from sim.cli import main as cli  # noqa: E402
from sim.runner import run_sweep, write_report  # noqa: E402

FIG = ROOT / "docs" / "figures" / "robustness"
POSTERIOR = ROOT / "docs" / "robustness" / "teaching.posterior.json"
EXPERIMENT = ROOT / "experiments" / "teaching_robust.toml"
STORE = ROOT / "results" / "teaching_robust.sqlite"
CHINA_POSTERIOR = ROOT / "scenarios" / "china_calibrated.posterior.json"
CHINA_STORE = ROOT / "results" / "cap_vs_neutral_robust.sqlite"
CHINA_ROWS = ("poverty_headcount", "migrant_poverty_headcount", "rural_poverty_headcount", "new_urban_poor",
              "gini_income", "urbanization_rate", "largest_city", "primacy", "gdp_per_capita")
CHINA_MARK = "\n## 5. On China: the main comparison over the posterior\n"
ABC_ARGS = ["calibrate", "--method", "abc", "--scenario", "teaching", "--agents", "5000",
            "--targets", "docs/robustness/teaching_targets.toml", "--holdout", "urbanization_2000",
            "--free", "migration.movement_control", "--free", "migration.home_attachment",
            "--free", "government.hukou_conversion_rate", "--free", "households.remittance_share",
            "--free", "economy.rural_productivity_growth=0.02:0.09", "--particles", "100", "--generations", "5",
            "--max-simulations", "1500", "--seed", "2026", "--workers", "2",
            "--store", "results/teaching-abc.sqlite", "--out", "docs/robustness/teaching.posterior.json"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--abc", action="store_true", help="redo the posterior first")
    ap.add_argument("--china-only", action="store_true",
                    help="only (re)write section 5 from the stored China posterior and robust sweep")
    args = ap.parse_args(argv)
    FIG.mkdir(parents=True, exist_ok=True)
    out = ROOT / "docs" / "robustness.md"
    if args.china_only:
        text = out.read_text(encoding="utf-8")
        out.write_text(text.split(CHINA_MARK)[0].rstrip("\n") + "\n" + china_section(), encoding="utf-8")
        print("wrote section 5 of docs/robustness.md")
        return 0
    if args.abc:
        code = cli(ABC_ARGS)
        if code:
            return code
    post = json.loads(POSTERIOR.read_text())
    fig_posterior(post, FIG / "posterior.png")
    summary = run_sweep(EXPERIMENT, STORE, backend="process", workers=2, progress=False)
    sweep_line = summary.line().replace(f"{ROOT}/", "")  # the store relative to the checkout
    print(sweep_line)
    report = write_report(STORE, ROOT / "results" / "teaching_robust-report")
    rdir = report.parent
    for png in ["robustness.png", *sorted(p.name for p in rdir.glob("discovery_*.png"))]:
        shutil.copy(rdir / png, FIG / png)
    rt = pd.read_csv(rdir / "robustness.csv")
    md = report.read_text()
    section = md[md.index("## Robustness over the posterior"):md.index("## Figures")]
    section = section.replace("](robustness.png)", "](figures/robustness/robustness.png)")
    section = section.replace("](discovery_", "](figures/robustness/discovery_")
    numbers = {"date": dt.date.today().isoformat(), "version": sim.__version__, "posterior": {
        k: post[k] for k in ("generations", "summary", "predictive", "stopped", "simulations", "settings")},
        "sweep": sweep_line, "robustness": rt.to_dict(orient="records")}
    (FIG / "numbers.json").write_text(json.dumps(numbers, indent=1, default=float) + "\n")
    out.write_text(render(post, section, sweep_line) + china_section(), encoding="utf-8")
    print(f"wrote docs/robustness.md and {FIG.relative_to(ROOT)}/")
    return 0


def china_section() -> str:
    """Section 5: the China posterior and cap_vs_neutral_robust, from their stored runs (or how to make them)."""
    if not (CHINA_POSTERIOR.exists() and CHINA_STORE.exists()):
        return (CHINA_MARK + "\nNot run yet: make the China posterior with `hukou-sim calibrate --method abc "
                "--scenario china` and sweep `experiments/cap_vs_neutral_robust.toml`, then run "
                "`python docs/make_robustness.py --china-only`.\n")
    post = json.loads(CHINA_POSTERIOR.read_text())
    report = write_report(CHINA_STORE, ROOT / "results" / "cap_vs_neutral_robust-report")
    rdir = report.parent
    for png in ["robustness.png", *sorted(p.name for p in rdir.glob("discovery_*.png"))]:
        shutil.copy(rdir / png, FIG / f"china_{png}")
    fig_posterior(post, FIG / "china_posterior.png")
    md = report.read_text()
    holds = md[md.index("**Conclusions that hold"):].split("\n\n")[0]
    flips = md[md.index("### Where does the answer flip?"):md.index("### Policy differences over the posterior")]
    rt = pd.read_csv(rdir / "robustness.csv")
    rows = []
    for _, r in rt[rt["output"].isin(CHINA_ROWS)].iterrows():
        rows.append(f"| {r['output']} | {r['scenario']} | {r['difference']:.4g} | [{r['draw_low']:.4g}, "
                    f"{r['draw_high']:.4g}] | [{r['mixed_low']:.4g}, {r['mixed_high']:.4g}] | {r['sign_share']:.0%} | "
                    f"{'R' if r['robust'] else ''} |")
    shown = rt[rt["output"].isin(CHINA_ROWS)]
    verdicts = []
    for sc, g in shown.groupby("scenario", sort=False):
        robust = [f"{'raises' if r['difference'] > 0 else 'lowers'} {r['output']}" for _, r in g.iterrows() if r["robust"]]
        open_ = [r["output"] for _, r in g.iterrows() if not r["robust"]]
        verdicts.append(f"* `{sc}`: in every draw but at most 5% it {', '.join(robust) or 'does nothing robustly'}; "
                        f"no robust sign for {', '.join(open_) or 'none of the outputs above'}.")
    last = post["generations"][-1]
    cal = json.loads((ROOT / "scenarios" / "china_calibrated.calibration.json").read_text())
    nm = math.sqrt(cal["loss"] / len(cal["fitted_targets"]))  # the point's RMS distance in band units
    return CHINA_TEXT.format(
        created=post["created"], nm=nm, particles=post["settings"]["particles"], gens=len(post["generations"]),
        sims=post["simulations"], eps=last["epsilon"], median=last["median_distance"], stopped=post["stopped"],
        max_gens=post["settings"]["generations"], max_sims=post["settings"]["max_simulations"],
        agents=post.get("overrides", {}).get("simulation.n_agents", "?"),
        params="\n".join(f"| `{k}` | {b['low']:g} – {b['high']:g} | {v['mean']:.4g} | [{v['q05']:.4g}, {v['q95']:.4g}] |"
                         for (k, v), b in zip(post["summary"].items(), post["parameters"])),
        rows="\n".join(rows), holds=holds.strip(), verdicts="\n".join(verdicts), flips=flips.split("\n", 1)[1].strip(),
        discovery="\n".join(f"![{p.stem}](figures/robustness/china_{p.name})" for p in sorted(rdir.glob("discovery_*.png"))))


CHINA_TEXT = CHINA_MARK + """
*From the stored runs of `hukou-sim calibrate --method abc --scenario china --agents {agents} --particles {particles}
--generations {max_gens} --max-simulations {max_sims}` (posterior written {created}) and `hukou-sim sweep experiments/cap_vs_neutral_robust.toml --report`
(30 posterior draws x 3 replications x 5 scenarios = 450 runs at 20,000 agents); rendered by
`python docs/make_robustness.py --china-only`.*

**The posterior.** {particles} particles, {gens} generations, {sims} simulations at {agents} agents (the
resolution that fits the time budget on 2 cores; stopped: {stopped}). The last tolerance is
{eps:.2f} band units (median distance of the final particles {median:.2f}): the draws miss the fitted targets
by about {median:.1f} bands on average (root mean square), against {nm:.2f} for the Nelder–Mead point of
`china_calibrated`.
This is a **wide** posterior: more generations would narrow it, and the conclusions below that hold across it
would most likely still hold (the narrower posterior lies inside this one); some that flip here might stop
flipping.

| parameter | prior box | posterior mean | 90% credible interval |
|---|---|---|---|
{params}

![China posterior](figures/robustness/china_posterior.png)

**The main comparison over it** (final year 2022; differences from `neutral`; *parameter*: 95% interval of
the draws' expected differences; *mixed*: 95% interval over all runs, parameter and stochastic uncertainty
together; R: the sign holds in at least 95% of draws):

| output | scenario | mean difference | parameter 95% | mixed 95% | draws with the sign | robust |
|---|---|---|---|---|---|---|
{rows}

{holds}

For the outputs in the table:

{verdicts}

### Where does the answer flip?

{flips}

{discovery}
"""


def render(post: dict, section: str, sweep_line: str) -> str:
    """docs/robustness.md: the fixed text (TEXT) with this run's numbers, tables and figures."""
    def eps(g: dict) -> str:
        return "∞" if g["epsilon"] is None else f"{g['epsilon']:.3f}"

    gens = "\n".join(f"| {g['generation']} | {eps(g)} | "
                     f"{g['accepted']} | {g['proposed']} | {g['acceptance']:.0%} | {g['ess']:.0f} | "
                     f"{g['median_distance']:.3f} |" for g in post["generations"])
    params = "\n".join(f"| `{k}` | {box['low']:g} – {box['high']:g} | {s['mean']:.4g} | "
                       f"[{s['q05']:.4g}, {s['q95']:.4g}] |"
                       for (k, s), box in zip(post["summary"].items(), post["parameters"]))
    pred = "\n".join(f"| {k} | {v['role']} | {v['observed']:.4g} | [{v['q05']:.4g}, {v['q95']:.4g}] | "
                     f"{'yes' if v['inside90'] else '**no**'} |" for k, v in post["predictive"].items())
    held = [v for v in post["predictive"].values() if v["role"] != "fitted"]
    draws = posterior_draws(post)
    keys = [p["key"] for p in post["parameters"]]
    corr = np.cov(draws[keys].to_numpy().T, aweights=draws["weight"])
    corr = corr / np.sqrt(np.outer(np.diag(corr), np.diag(corr)))  # weighted correlation
    tilted = sorted(((abs(corr[i, j]), i, j) for i in range(len(keys)) for j in range(i)), reverse=True)[:2]
    pairs = "; ".join(f"`{keys[i]}` and `{keys[j]}`, {corr[i, j]:+.2f}" for _, i, j in tilted)
    return TEXT.format(pairs=pairs, date=dt.date.today().isoformat(), version=sim.__version__, gens=gens, params=params,
                       pred=pred,
                       n_inside=sum(v["inside90"] for v in held), n_held=len(held), sims=post["simulations"],
                       particles=post["settings"]["particles"], stopped=post["stopped"], section=section.strip(),
                       sweep=sweep_line, abc=" ".join(ABC_ARGS), created=post["created"])


TEXT = """# Policy conclusions that survive what we don't know

*Generated by `python docs/make_robustness.py` on {date} with hukou-sim {version}; every number and figure
below comes from the runs it made (the worked example is on the 12-city `teaching` network, small enough to
redo in minutes; the same commands work on `china`).*

The main report (`hukou-sim sweep experiments/cap_vs_neutral.toml --report`) gives each policy difference
with a 95% interval over replications of **one** parameter set, the one `hukou-sim calibrate` found. Those
intervals measure only the model's own dice: they say nothing about the parameters we do not know (how
strongly people are attached to home, how strict the 1982 movement controls were, how many migrants cities
admit, how much of their earnings migrants send home). This
page shows how to ask instead: *which conclusions hold for every parameter set that fits China's record,
and which flip somewhere inside it?*

## 1. A posterior, not a point

    hukou-sim calibrate --method abc --scenario china     # ABC-SMC over the free parameters

runs approximate Bayesian computation with sequential Monte Carlo (ABC-SMC; Beaumont et al. 2009): it
starts from parameter sets drawn uniformly from each free parameter's search box (the *prior*), simulates
each, keeps those whose simulated targets are close to the observed ones, and repeats with a tighter
tolerance around the survivors. What remains, the **posterior**, is a cloud of weighted parameter sets,
every one of which reproduces the fitted targets about as well as the model can. Where the cloud is narrow
the data pin the parameter down; where it spreads over the whole box they do not.

*Distance.* For a simulated run, the root mean square over the fitted targets of (simulated − observed) /
band, the band being the target's tolerance (±3 points of urbanization, ±15% of the floating population…):
a distance of 1 means "on average at the edge of the bands". *Tolerance* (epsilon) of a generation: the
median (by default, `--alpha 0.5`) distance of the previous one.

What the command writes: `scenarios/<scenario>_calibrated.posterior.json` (format in `sim/posterior.py`):
the free parameters and their boxes, the targets, every generation's tolerance, acceptance and effective
sample size, the draws with their weights, per-parameter posterior means and 90% credible intervals, and a
posterior predictive check of every target. Every simulation goes through the runner's backends into an
SQLite store (`results/calibrate-<scenario>-abc.sqlite`, or `--store`): stop it at any moment (Ctrl-C, a
killed job, a lost cluster) and the same command resumes, without repeating any stored simulation and
proposing exactly the particles the uninterrupted run would have. `--backend dask --address tcp://…` runs
the same calibration on a cluster; the numbers are the same on any backend.

Options: `--particles` (default 200), `--generations` (6), `--alpha` (0.5), `--replications` per particle
(1), `--max-simulations` (5,000), `--min-acceptance` (0.02), `--free KEY[=LOW:HIGH]`, `--holdout TARGET`,
`--targets FILE` (a TOML file of `[[target]]` tables instead of the built-in targets), `--agents`, `--seed`.

**Why our own ABC-SMC and not a library.** The posterior must be resumable after SIGKILL without
repeating a stored simulation, run on our process pool or Dask cluster, and store every simulation in the
runner's SQLite store. pyABC (0.13) keeps its own SQLAlchemy history database beside ours, resumes only at
generation boundaries, draws its proposals from numpy's global random state and would add SQLAlchemy,
redis and GitPython. ELFI (0.8) has its own output pools, batch scheme and clients and pins matplotlib
3.8. sbi needs torch (no GPU here, a 1 GB download) and a neural density estimator whose training is not
reproducible across machines. The algorithm itself is short (`sim/calibration/abc.py`, numpy and scipy):
each generation's proposals come from `SeedSequence([seed, generation, batch])`, each run's seed from the
runner's `run_seed`, and a rerun recomputes the generations from the store.

### The worked example

The posterior below holds the teaching network (5 free parameters) against China's urbanization
(1990, 2010, 2020; 2000 held out), hukou urbanization (2020) and urban/rural income ratio (2014); the
targets in people are left out because the teaching network has 100 million people
(`docs/robustness/teaching_targets.toml`). Command (made {created}):

    hukou-sim {abc}

{particles} particles; {sims} simulations; stopped: {stopped}.

| generation | tolerance | accepted | proposed | acceptance | ESS | median distance |
|---|---|---|---|---|---|---|
{gens}

| parameter | search box (prior) | posterior mean | 90% credible interval |
|---|---|---|---|
{params}

![posterior](figures/robustness/posterior.png)

*How to read it.* Diagonal: each parameter's posterior (bars) against the flat prior (dashed), with the
90% credible interval shaded. Below the diagonal: the draws in each pair of parameters (area ∝ weight). A
marginal as flat as the prior means the targets say nothing about that parameter; a tilted cloud in a pair
means the data pin down a combination of the two, not each one (here the most tilted pairs, by weighted
correlation over the draws: {pairs}).

**Posterior predictive check.** Each accepted particle's own run is a draw from the posterior predictive
distribution; the table gives its 90% interval per target. {n_inside} of {n_held} held-out and check
targets lie inside it.

| target | role | observed | 90% predictive interval | inside |
|---|---|---|---|---|
{pred}

## 2. Experiments over the posterior

An experiment file can take its design points from a posterior:

    [design]
    kind = "posterior"
    file = "../scenarios/china_calibrated.posterior.json"   # relative to the experiment file
    draws = 40                                               # posterior draws; each is a design point

Each design point is a draw (systematic resampling by weight: a draw with weight w appears about 40·w
times), run under every scenario with `replications` replications. `experiments/cap_vs_neutral_robust.toml`
is the main comparison done this way (after `hukou-sim calibrate --method abc --scenario china`);
`experiments/teaching_robust.toml` is the example below: {sweep}

## 3. Reading the robustness table

The report of such a sweep (`hukou-sim report STORE`) has a section *Robustness over the posterior*. For
each policy difference from the baseline:

* **mean difference**: averaged over posterior draws and runs;
* **parameter sd**: how much the policy's expected effect varies across parameter sets that fit the data
  (the spread of the draw means, with the replications' own noise removed);
* **stochastic sd**: how much one run varies around its parameter set's expected effect (the model's dice);
* **parameter share**: the share of a single run's variance that is parameter uncertainty;
* **95% of draws (parameter)**: where 95% of the parameter sets put the expected effect;
* **95% of runs (mixed)**: where 95% of single runs fall, parameter and stochastic uncertainty together.
  Intervals that mix the two are labelled *mixed* wherever they appear (the report's first two tables
  pool every draw's runs, and say so);
* **draws with the sign**: the share of posterior draws whose expected effect has the sign of the mean.
  **Robust (R)** means at least 95%: the conclusion holds for essentially every parameter set that fits.

A conclusion can be robust with a wide interval (every draw agrees on the sign, not on the size) and
fragile with a narrow one-parameter-set interval (the main report's three significant figures). The report
then says, in words, which conclusions hold in at least 95% of draws and which flip.

**Where does the answer flip?** For a conclusion that flips (or one the experiment names with
`discovery = [{{scenario = "cap", output = "poverty_headcount", direction = "increase"}}]`), the report runs
PRIM (Friedman & Fisher 1999, as used for scenario discovery by Bryant & Lempert 2010; the EMA Workbench's
implementation) over the draws: it peels the parameter box down to the region where the conclusion holds
and reports it with its **coverage** (of all draws where it holds, the share inside the box) and **density**
(of the draws inside the box, the share where it holds). High density and coverage: "the cap raises
poverty exactly when home attachment is above x".

### The worked example's report section

{section}

## 4. Speed

`benchmarks/bench_calibration.py` measures simulations per hour per core at the calibration's resolution
(the model alone, through the calibration's store, and in ABC-SMC on a process pool); `docs/scaling.md`
has the figures.
"""


if __name__ == "__main__":
    sys.exit(main())
