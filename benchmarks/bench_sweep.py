"""Sweep throughput: serial vs a 2-worker process pool vs Dask, and the cap-vs-neutral wall time.

    .venv/bin/python benchmarks/bench_sweep.py            # throughput figures (about 3 minutes)
    .venv/bin/python benchmarks/bench_sweep.py --full     # also time experiments/cap_vs_neutral.toml

Targets (issue 3): 2 workers >= 1.7x serial; Dask within 10% of the process pool on the same
machine; cap_vs_neutral <= 5 minutes on 2 cores.  Each measurement runs a fresh store, so no run
is skipped.  On a machine shared with other work the figures are noisy: run it on an idle one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# Single-threaded numpy everywhere, as in the pool's and Dask's workers: otherwise the serial
# baseline borrows the second core through BLAS threads and the comparison is unfair.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.runner import run_sweep  # noqa: E402
from sim.runner.experiment import experiment_from_dict  # noqa: E402

# 32 runs of a few seconds each: long enough that pool and cluster start-up (2-5 s) do not dominate
BENCH = {
    "name": "bench",
    "scenarios": ["neutral", "cap"],
    "replications": 16,
    "steps": 40,
    "base_seed": 3,
    "overrides": {"simulation.n_agents": 40000, "network.n_cities": 150},
}


def timed(backend: str, workers: int | None, tmp: Path) -> tuple[float, int]:
    exp = experiment_from_dict(BENCH, "<bench>")
    store = tmp / f"{backend}-{workers}-{time.monotonic_ns()}.sqlite"
    start = time.perf_counter()
    s = run_sweep(exp, store, backend=backend, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    assert s.failed == 0, s.line()
    return seconds, s.succeeded


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also time experiments/cap_vs_neutral.toml")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (other work on the machine adds noise)")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = {}
        for backend, workers in (("serial", None), ("process", 2), ("dask", 2)):
            sec, n = timed(backend, workers, tmp)
            rows[(backend, workers)] = (sec, n)
            print(f"{backend:<8} workers={workers or 1}: {n} runs in {sec:6.1f} s = {n / sec:.3f} runs/s "
                  f"({n / sec / (workers or 1):.3f} runs/s per worker)", flush=True)
        s1 = rows[("serial", None)][1] / rows[("serial", None)][0]
        p2 = rows[("process", 2)][1] / rows[("process", 2)][0]
        d2 = rows[("dask", 2)][1] / rows[("dask", 2)][0]
        print(f"speed-up of 2 process workers over serial: {p2 / s1:.2f}x (target >= 1.7x)")
        print(f"dask throughput relative to the process pool: {d2 / p2:.2f} (target >= 0.90)")
        if args.full:
            start = time.perf_counter()
            s = run_sweep(ROOT / "experiments" / "cap_vs_neutral.toml", tmp / "cvn.sqlite", backend="process",
                          workers=2, progress=False)
            sec = time.perf_counter() - start
            print(f"cap_vs_neutral: {s.succeeded} runs ({s.failed} failed) in {sec / 60:.2f} min on 2 workers "
                  f"(target <= 5 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
