"""Helpers of the hostile-input, concurrency and fault tests (issue 11).

Every case ends in success or in exactly one line ``hukou-sim: error: ...`` with exit status 2:
never a traceback, never a hang (real subprocesses run under a timeout)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DATA = ROOT / "tests" / "data"


def write(directory: Path, name: str, body: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(textwrap.dedent(body))
    return path


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m sim ARGS`` as a real subprocess, stdin closed, under a timeout (a hang fails)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.run([PYTHON, "-m", "sim", *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """The CLI in this process (fast); an uncaught exception -- a traceback -- fails the test."""
    from sim.cli import main
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line(rc: int, err: str, needle: str | None = None) -> str:
    lines = err.strip().splitlines()
    assert rc == 2, (rc, err)
    assert len(lines) == 1 and lines[0].startswith("hukou-sim: error: "), err
    assert "Traceback" not in err
    if needle is not None:
        assert needle.lower() in lines[0].lower(), lines[0]
    return lines[0]


def listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


EXPERIMENT = (
    'name = "{name}"\n'
    'scenarios = [\n'
    '    {{ scenario = "teaching", label = "neutral" }},\n'
    '    {{ scenario = "teaching", label = "cap", '
    'overrides = {{ "policy.cap.enabled" = true, "policy.cap.start_year" = 1983 }} }},\n'
    ']\n'
    'replications = {reps}\n'
    'steps = {steps}\n'
    'base_seed = 11\n'
    '[overrides]\n'
    '"simulation.n_agents" = {agents}\n'
)


def experiment(directory: Path, reps: int = 2, steps: int = 2, agents: int = 300, name: str = "rel",
               file: str = "exp.toml") -> Path:
    return write(directory, file, EXPERIMENT.format(name=name, reps=reps, steps=steps, agents=agents))


def digest(path: Path) -> dict[str, list]:
    """What a store holds that the runs determine (not timings, hosts or pids)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "runs": conn.execute("SELECT key, scenario, point, replication, seed, steps, status, error, params "
                                 "FROM runs ORDER BY key").fetchall(),
            "final": conn.execute("SELECT * FROM final ORDER BY key, output").fetchall(),
            "series": conn.execute("SELECT * FROM series ORDER BY key, output, step").fetchall(),
            "cities": conn.execute("SELECT * FROM cities ORDER BY key, rank").fetchall(),
        }
    finally:
        conn.close()


def stored(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def wait_for(cond, timeout: float = 240.0, every: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(every)
    return False


def sweep_proc(exp: Path, store: Path, *extra: str) -> subprocess.Popen:
    """A sweep in its own process group (so a test can Ctrl-C or kill it like a terminal would)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.Popen([PYTHON, "-m", "sim", "sweep", str(exp), "--store", str(store), "--quiet", *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


@pytest.fixture(scope="session")
def reference_store(tmp_path_factory) -> tuple[Path, Path]:
    """The long experiment of the concurrency tests, swept once serially: what every store must equal."""
    from sim.runner import run_sweep
    d = tmp_path_factory.mktemp("reference")
    exp = experiment(d, reps=6, steps=8, agents=30000, name="conc")
    store = d / "reference.sqlite"
    s = run_sweep(exp, store, backend="serial", progress=False)
    assert (s.succeeded, s.failed) == (12, 0)
    return exp, store
