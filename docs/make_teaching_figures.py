"""Figures and numbers for docs/teaching.md, from real runs of the teaching demo's presets.

Run:  .venv/bin/python docs/make_teaching_figures.py [--seed 0]

Writes docs/figures/teaching/{cap,poverty,decentralization}.png and prints the figures the lesson
plans quote (also written to docs/figures/teaching/numbers.json).  Every run is the page's own
preset (sim.viz.app), 40 years from 1982 on the teaching scenario, with the same seed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from sim.viz import app, drawing
from sim.viz.citymetrics import snapshot

OUT = Path(__file__).resolve().parent / "figures" / "teaching"


def run(preset: str, seed: str, compare: str = "") -> app.Session:
    session = app.build_session(app.preset_settings(preset, seed=seed, compare=compare))
    while not session.finished:
        session.step()
    return session


def at(model, year: int) -> dict:
    df = model.datacollector.get_model_vars_dataframe().set_index("year")
    return df.loc[year].to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="0")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, dict] = {}

    # lesson 1: a cap on the largest cities, against no policy
    s = run("cap", args.seed, compare="neutral")
    (la, cap), (lb, neutral) = s.pairs()
    fig = drawing.new_figure(16, 4.6, dpi=100)
    for k, (label, model) in enumerate(s.pairs()):
        ax, cax = drawing.map_axes(fig, (k * 0.31, 0.0, 0.31, 1.0))
        drawing.draw_map(ax, model, "migrants", size_ref=s.size_ref, title=f"{label}\n{model.year}", cax=cax)
    drawing.plot_concentration(fig.add_axes((0.67, 0.14, 0.28, 0.74)), s.pairs(), horizon=s.horizon)
    fig.savefig(OUT / "cap.png")
    top4 = lambda m: float(np.sort(snapshot(m).population)[::-1][:4].sum())  # noqa: E731
    numbers["cap"] = {
        name: {"top4_residents_2022": top4(m), "largest_city_2022": at(m, 2022)["largest_city"],
               "zipf_2022": at(m, 2022)["zipf_exponent"], "primacy_2022": at(m, 2022)["primacy"],
               "urbanization_2022": at(m, 2022)["urbanization_rate"],
               "migrant_poverty_1995": at(m, 1995)["migrant_poverty_headcount"],
               "migrant_poverty_2005": at(m, 2005)["migrant_poverty_headcount"],
               "new_urban_poor_2000": at(m, 2000)["new_urban_poor"]}
        for name, m in (("cap", cap), ("neutral", neutral))}

    # lesson 2: where the new urban poverty comes from: poverty by group, with and without reform
    s = run("neutral", args.seed, compare="hukou_reform")
    fig = drawing.new_figure(13, 4.2, dpi=100)
    drawing.plot_poverty(fig.add_axes((0.05, 0.14, 0.42, 0.74)), s.pairs(), horizon=s.horizon)
    drawing.plot_urbanization(fig.add_axes((0.55, 0.14, 0.42, 0.74)), s.pairs(), horizon=s.horizon)
    fig.savefig(OUT / "poverty.png")
    numbers["poverty"] = {
        name: {str(y): {k: at(m, y)[k] for k in ("migrant_poverty_headcount", "villager_poverty_headcount",
                                               "rural_poverty_headcount", "urban_hukou_poverty_headcount",
                                               "new_urban_poor", "urbanization_rate", "hukou_urbanization_rate")}
               for y in (1982, 1990, 2000, 2010, 2022)}
        for name, (_, m) in zip(("neutral", "hukou_reform"), s.pairs())}

    # lesson 3: decentralization against migration
    s = run("decentralize", args.seed, compare="neutral")
    fig = drawing.new_figure(13, 4.2, dpi=100)
    drawing.plot_urbanization(fig.add_axes((0.05, 0.14, 0.42, 0.74)), s.pairs(), horizon=s.horizon)
    drawing.plot_rank_size(fig.add_axes((0.55, 0.14, 0.42, 0.74)), s.pairs())
    fig.savefig(OUT / "decentralization.png")
    numbers["decentralization"] = {
        name: {"urbanization_2022": at(m, 2022)["urbanization_rate"],
               "hukou_urbanization_2022": at(m, 2022)["hukou_urbanization_rate"],
               "largest_city_2022": at(m, 2022)["largest_city"], "zipf_2022": at(m, 2022)["zipf_exponent"],
               "smallest_half_residents_2022": float(np.sort(snapshot(m).population)[:6].sum()),
               "poverty_2022": at(m, 2022)["poverty_headcount"],
               "migrant_poverty_2000": at(m, 2000)["migrant_poverty_headcount"]}
        for name, (_, m) in zip(("decentralize", "neutral"), s.pairs())}

    (OUT / "numbers.json").write_text(json.dumps(numbers, indent=2, default=float))
    print(json.dumps(numbers, indent=2, default=float))
    print(f"wrote {', '.join(p.name for p in sorted(OUT.glob('*.png')))} to {OUT}")


if __name__ == "__main__":
    main()
