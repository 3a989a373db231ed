"""Speed of the teaching demo: is play fluid on the `teaching` scenario?

Run:  .venv/bin/python benchmarks/bench_demo.py [--steps 40] [--seed 0]

Prints:
  * model step time on `teaching` (12 cities, 5,000 agents), drawing excluded: median and max
    over ``--steps`` yearly steps, for one model and for the side-by-side pair (cap and neutral);
    target (issue 4): a step <= 50 ms;
  * a full page update, i.e. what one press of Step costs the server: the model step plus building
    and rendering (PNG) the map and the four plots, median over a few steps.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-steps", type=int, default=5, help="steps timed with drawing")
    args = parser.parse_args()

    from sim.viz import app

    def step_times(settings) -> list[float]:
        session = app.build_session(settings)
        times = []
        for _ in range(args.steps):
            t = time.perf_counter()
            session.step()
            times.append((time.perf_counter() - t) * 1000)
        return times

    seed = str(args.seed)
    one = step_times(app.preset_settings("cap", seed=seed))
    two = step_times(app.preset_settings("cap", seed=seed, compare="neutral"))
    print(f"teaching, {args.steps} steps, seed {args.seed} (drawing excluded; target <= {TARGET_MS:.0f} ms)")
    print(f"  one model (cap):            median {statistics.median(one):6.1f} ms   max {max(one):6.1f} ms")
    print(f"  side by side (cap+neutral): median {statistics.median(two):6.1f} ms   max {max(two):6.1f} ms")
    verdict = "meets" if statistics.median(two) <= TARGET_MS else "MISSES"
    print(f"  -> side-by-side median {verdict} the {TARGET_MS:.0f} ms target")

    session = app.build_session(app.preset_settings("cap", seed=seed))
    page = []
    for _ in range(args.page_steps):
        t = time.perf_counter()
        session.step()
        figures = [app._fig_map(session, session.runs[0], "poverty")]
        figures += [app._fig_plot(session, which) for which in ("poverty", "urbanization", "concentration", "rank")]
        for fig in figures:
            fig.savefig(io.BytesIO(), format="png")
        page.append((time.perf_counter() - t) * 1000)
    print(f"  full page update (step + map + 4 plots as PNG): median {statistics.median(page):6.0f} ms "
          f"over {args.page_steps} steps")


if __name__ == "__main__":
    main()
