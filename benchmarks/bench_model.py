"""Speed of the model: the `china` scenario against the per-agent reference.

Run:  .venv/bin/python benchmarks/bench_model.py [--steps 40] [--seed 1]

Prints, for one process on one core:
  * the vectorised model: wall time of building and running `china` (250 cities,
    200,000 migrant agents, 40 yearly steps; the median of ``--repeat`` repetitions, with all of them listed)
    and its agent-steps per second;
  * the per-agent reference (``Migrant.choice_probabilities`` plus a draw, one agent at a time,
    plain Python) on the same state, in agent-decisions per second;
  * their ratio and the peak memory (max RSS) of the process.
Targets (issue 2): china run <= 6 s, peak memory <= 2 GB, vectorised >= 30x the reference.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says

import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim import migration  # noqa: E402
from sim.agents import Migrant  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference-agents", type=int, default=4000,
                        help="agents timed through the per-agent reference (it is slow)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="build-and-run repetitions; the median is reported (a shared machine's timings scatter)")
    args = parser.parse_args()

    scenario = sim.load_scenario("china")
    timings = []
    model = None
    for _ in range(max(args.repeat, 1)):
        del model  # one model at a time: the peak memory is one run's
        t0 = time.perf_counter()
        model = sim.MigrationModel.from_scenario(scenario, rng=args.seed)
        t_build = time.perf_counter() - t0
        t1 = time.perf_counter()
        model.run(args.steps)
        t_run = time.perf_counter() - t1
        timings.append((t_build + t_run, t_build, t_run))
    walls = sorted(w for w, _, _ in timings)
    _, t_build, t_run = sorted(timings)[len(timings) // 2]  # the median repetition
    n_agents = len(model.migrants)
    agent_steps = n_agents * args.steps
    model_rate = agent_steps / t_run

    # the same state: every agent's decision, vectorised, then through the reference
    model._refresh_market()
    rows = np.arange(n_agents)
    cand = model.candidates(rows)
    m = model.migrants
    noise = model.p["choice_noise"]
    t2 = time.perf_counter()
    u = migration.utilities(model.market, m.skill, m.health, m.origin, m.location, cand, noise)
    migration.choose(u, noise, model.rng)
    t_fast = time.perf_counter() - t2
    fast_rate = n_agents / t_fast

    agents = {a.index: a for a in model.agents_by_type[Migrant]}
    sample = model.rng.choice(n_agents, size=min(args.reference_agents, n_agents), replace=False)
    draws = model.rng.random(len(sample))
    t3 = time.perf_counter()
    for i, r in zip(sample, draws):
        probs = agents[int(i)].choice_probabilities(cand[i].tolist())
        int(np.searchsorted(np.cumsum(probs), r))
    t_ref = time.perf_counter() - t3
    ref_rate = len(sample) / t_ref

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"china scenario: {model.n_cities} cities, {n_agents:,} migrant agents, {args.steps} steps")
    print(f"  build                         {t_build:8.2f} s   (median repetition of {len(timings)})")
    print(f"  run                           {t_run:8.2f} s")
    print(f"  wall time (build + run)       {t_build + t_run:8.2f} s   target <= 6 s (median)")
    print(f"  wall time, all repetitions    {', '.join(f'{w:.2f}' for w in walls)} s")
    print(f"  model agent-steps per second  {model_rate:12,.0f}")
    print(f"  fast decision path            {fast_rate:12,.0f} agent-decisions/s")
    print(f"  per-agent reference           {ref_rate:12,.0f} agent-decisions/s ({len(sample):,} agents)")
    print(f"  ratio, decisions (fast/ref)   {fast_rate / ref_rate:8.0f} x")
    print(f"  ratio, whole model step / ref {model_rate / ref_rate:8.0f} x   target >= 30 x")
    print(f"  peak memory (max RSS)         {peak_mb:8.0f} MB   target <= 2048 MB")


if __name__ == "__main__":
    main()
