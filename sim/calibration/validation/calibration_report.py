"""The calibration, checked: the report ``hukou-sim calibrate`` wrote, and the calibrated scenario
re-run at fresh seeds against every target (fitted, held out, check), beside the uncalibrated
``china`` scenario and one run at the scenario's own agent count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ...scenario import load_scenario
from .. import targets as T
from .runs import Execution, Replications, mean_interval, replicate

PATH_COLUMNS = ("urbanization_rate", "hukou_urbanization_rate", "floating_population", "urban_rural_income_ratio",
                "population")
EDGE_SHARE = 0.1  # a fitted value within 10% of either end of its search box is "at the edge"

# Why a target misses its band / a parameter sits at its box's edge: the model's reasons, as far
# as we know them (reported beside the measured misses; a miss without a reason says so).
MISS_REASONS = {
    "floating_population_2010": "the census count grew 70% from 2010 to 2020 and the model's grows less: rural "
        "migrants follow urbanization less hukou urbanization, and urban-to-urban movers follow the graduates, "
        "whose numbers rose most before 2010. The model has in-place urbanization (villagers who keep rural hukou, "
        "registered in place from 2014), so hukou urbanization in the 2010s no longer drains the floating "
        "population; it lacks migrants' children and parents joining them and moves between rural places, which "
        "the census counts. The fit trades this year against 2020",
    "rural_poverty_1990": "rural poverty falls a little too slowly in the 1990s: the mean rural income is on "
        "target, so the bottom of the 1990 distribution is too dense",
    "rural_poverty_2000": "as 1990: the rural poverty path is too flat in the 1990s and steep after 2000",
    "rural_poverty_2010": "the fit trades the 2010 rate against 1990, 2000 and 2019",
    "rural_poverty_2012": "as 2010",
    "rural_wage_share_2000": "the off-farm share rises a little too slowly in the 1990s: township and village "
        "jobs per person at home follow the NBS count, but migration's remittances start late",
    "rural_income_2000": "as the wage share: rural incomes grow a little too slowly in the 1990s",
    "hukou_urbanization_2020": "conversion by points plus the dated reforms converts a little too few",
    "gini_2003": "the model has no capital or property income, so the top of the distribution is thin",
    "gini_2012": "as 2003: urban wage dispersion stands in for the missing top incomes and overshoots in the "
        "2010s",
    "gini_2015": "as 2012", "gini_2020": "as 2003",
}
EDGE_REASONS = {
    "economy.native_income_dispersion": "Only urban incomes can carry the national Gini to its observed 0.47: "
        "the model has wages, farm income, rents and transfers but no capital or property income, so the "
        "fit asks urban wage dispersion to do the work of the missing top incomes. The edge is real in "
        "that sense: a wider box would let it go further; the model change that removes it is a top-income "
        "(property) component.",
    "migration.movement_control": "The dated reforms lift the 1982 controls in 1984, 1985, 1993 and 2003; "
        "a low starting level says the early controls mattered less for the census-year urbanization "
        "than for the reform dates.",
    "policy.tiered_hukou.intensity": "Zero is the lower end of a rate. With villages registered in place from 2014 "
        "and the cities' own admission rate, the 2020 census counts (hukou urbanization 45.4% and a floating "
        "population of 376 million, both fitted) leave no room for extra admissions of migrants by city size: each "
        "one admitted leaves the floating population, which the census shows growing 70% from 2010 to 2020. In this "
        "model the rise of hukou urbanization after 2014 came from registration in place and ordinary admissions; "
        "the tiered reform still widens migrants' access to services (permit_access), which is not fitted.",
    "households.farm_productivity_dispersion": "Land was allotted per person within each village, so farm income "
        "per person differs little within a hinterland; the spread of rural incomes comes from off-farm work, "
        "remittances and illness. The box starts at 0.05, close to the natural zero, and the value sits just inside "
        "the lowest tenth of it, not against its end.",
}


def read_report(path: str | Path) -> dict[str, Any]:
    """The calibration report (JSON) written by ``hukou-sim calibrate``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def role_of(target: T.Target, held_out: set[str]) -> str:
    return "held out" if target.name in held_out else ("fitted" if target.role == "fit" else "check")


def calibration_runs(report: dict[str, Any], replications: int, base_seed: int, default_replications: int = 2,
                     agents: int | None = None, own_agents_run: bool = True, scenario: str = "china_calibrated",
                     default: str = "china", execution: Execution = Execution()) -> dict[str, Replications]:
    """Runs of the calibrated scenario up to the last target year: ``calibrated`` (``replications``
    at the fit's agent count, or ``agents``), ``own_agents`` (one run at the scenario's own agent
    count) and ``default`` (the uncalibrated scenario, ``default_replications`` runs)."""
    targets = T.target_set(report["held_out"])
    steps = targets.last_year - int(load_scenario(scenario).values["start_year"])
    n = agents or report["settings"]["overrides"].get("simulation.n_agents", 40000)
    outputs = [*PATH_COLUMNS, *(t.column for t in targets.all)]
    out = {"calibrated": replicate("calibration", [{"scenario": scenario, "label": "calibrated"}], replications,
                                   base_seed, outputs, steps=steps, overrides={"simulation.n_agents": n},
                                   execution=execution),
           "default": replicate("calibration-default", [{"scenario": default, "label": "default"}],
                                default_replications, base_seed, outputs, steps=steps,
                                overrides={"simulation.n_agents": n}, execution=execution)}
    if own_agents_run:
        out["own_agents"] = replicate("calibration-own-agents", [{"scenario": scenario, "label": "own_agents"}], 1,
                                      base_seed, outputs, steps=steps, execution=execution)
    return out


def _at(runs: Replications, label: str, year: int, column: str) -> pd.Series:
    ts = runs.timeseries
    sel = ts[(ts["scenario"] == label) & (ts["year"] == year)].sort_values("replication")
    return sel[column]


def target_check(report: dict[str, Any], runs: dict[str, Replications]) -> pd.DataFrame:
    """One row per target: role, observed, band, the default scenario's mean, the fit run's value
    (from the report), the calibrated mean with its 95% interval over fresh seeds, the own-agents
    run, z = (simulated - observed) / band, and ``passes`` (|z| <= 1)."""
    targets = T.target_set(report["held_out"])
    held = set(report["held_out"])
    fit_rows = {r["target"]: r for r in report["targets"]}
    rows = []
    for t in targets.all:
        vals = _at(runs["calibrated"], "calibrated", t.year, t.column).to_numpy(float)
        m = mean_interval(vals)
        own = (float(_at(runs["own_agents"], "own_agents", t.year, t.column).iloc[0])
               if "own_agents" in runs else float("nan"))
        fr = fit_rows.get(t.name)
        rows.append({"target": t.name, "column": t.column, "year": t.year, "role": role_of(t, held),
                     "unit": t.unit, "observed": t.value, "band": t.band, "band_text": t.describe_band(),
                     "default": float(_at(runs["default"], "default", t.year, t.column).mean()),
                     "fit_run": fr["simulated"] if fr else float("nan"), "mean": m["mean"], "ci": m["half"],
                     "values": vals.tolist(), "own_agents": own, "z": t.z(m["mean"]), "passes": t.passes(m["mean"]),
                     "reason": MISS_REASONS.get(t.name, "")})
    return pd.DataFrame(rows)


def passed(check: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(passed, total) per role."""
    return {role: (int(check.loc[check["role"] == role, "passes"].sum()), int((check["role"] == role).sum()))
            for role in ("fitted", "held out", "check")}


def edges(report: dict[str, Any], share: float = EDGE_SHARE) -> list[dict[str, Any]]:
    """Fitted parameters within ``share`` of either end of their search box, with the reason if known."""
    out = []
    for p in report["free_parameters"]:
        where = (p["fitted"] - p["low"]) / (p["high"] - p["low"])
        if where < share or where > 1 - share:
            out.append({**p, "position": where, "reason": EDGE_REASONS.get(p["key"], "")})
    return out
