"""Shared helpers for the runner tests: small real experiments on the `teaching` network."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def write_experiment(directory: Path, body: str, name: str = "exp.toml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body))
    return path


SMALL = """
name = "small"
description = "two scenarios x three replications on teaching, three years"
scenarios = [
    {{ scenario = "teaching", label = "neutral" }},
    {{ scenario = "teaching", label = "cap", overrides = {{ "policy.cap.enabled" = true, "policy.cap.start_year" = 1983 }} }},
]
baseline = "neutral"
replications = {reps}
steps = {steps}
base_seed = 7
[overrides]
"simulation.n_agents" = {agents}
"""


def small_experiment(directory: Path, reps: int = 3, steps: int = 3, agents: int = 500, name: str = "exp.toml") -> Path:
    return write_experiment(directory, SMALL.format(reps=reps, steps=steps, agents=agents), name)


def store_digest(path: Path) -> dict[str, list]:
    """Everything a store holds that a run determines (not timings, hosts, pids or attempts)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "runs": conn.execute("SELECT key, scenario, point, replication, seed, steps, status, error, params, "
                                 "version FROM runs ORDER BY key").fetchall(),
            "final": conn.execute("SELECT * FROM final ORDER BY key, output").fetchall(),
            "series": conn.execute("SELECT * FROM series ORDER BY key, output, step").fetchall(),
            "cities": conn.execute("SELECT * FROM cities ORDER BY key, rank").fetchall(),
        }
    finally:
        conn.close()


def hukou_sim(*args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Run `python -m sim ...` as a real subprocess, stdin closed (as in CI)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.run([PYTHON, "-m", "sim", *args], cwd=kw.pop("cwd", ROOT), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env, **kw)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return small_experiment(tmp_path)
