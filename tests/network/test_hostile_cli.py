"""Hostile graph files through the command line: one line, exit 2, at check time and at run time alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEADER = "name,population,x,y\n"

# file content, field named in the message
HOSTILE = {
    "population 1e308": (HEADER + "A,1e308,0,0\nB,1e308,10,0\n", "node 'A' population"),
    "coordinates +-1e308": (HEADER + "A,100,1e308,0\nB,100,-1e308,0\n", "node 'A' x"),
    "missing column": ("name,population,x\nA,100,0\n", "column 'y'"),
    "not utf-8": (b"name,population,x,y\n\xff,5,1,1\n", "encoding"),
}


def hukou(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def write_scenario(folder: Path, content: str | bytes) -> Path:
    graph = folder / "graph.csv"
    graph.write_bytes(content if isinstance(content, bytes) else content.encode())
    toml = folder / "scenario.toml"
    toml.write_text('name = "hostile"\n[network]\nkind = "file"\npath = "graph.csv"\n'
                    '[simulation]\nn_agents = 300\nsteps = 2\n', encoding="utf-8")
    return toml


def assert_one_line(r: subprocess.CompletedProcess, graph: Path, field: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"{graph}: {field}: " in lines[0], lines[0]
    assert "must" in lines[0]


@pytest.mark.slow  # two interpreter starts per case
@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_check_and_run_refuse_with_the_same_line(tmp_path, case):
    content, field = HOSTILE[case]
    toml = write_scenario(tmp_path, content)
    checked = hukou("check", str(toml), cwd=tmp_path)
    assert_one_line(checked, tmp_path / "graph.csv", field)
    ran = hukou("run", str(toml), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line(ran, tmp_path / "graph.csv", field)
    assert ran.stderr == checked.stderr
    assert not (tmp_path / "out" / "timeseries.csv").exists()


def test_check_builds_a_china_network_too(tmp_path):
    toml = tmp_path / "china.toml"
    toml.write_text('name = "c"\n[network]\nkind = "china"\nn_cities = 30\n', encoding="utf-8")
    r = hukou("check", str(toml), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout
