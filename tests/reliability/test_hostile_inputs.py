"""Hostile input, explicit cases: each class of bad input ends in one line and exit 2, nothing written.

The cases run the CLI in this process (an uncaught exception fails the test with its
traceback); the few that involve a network peer or a device run it as a real subprocess
under a timeout.  ``CASES`` maps a class of bad input to (files to write, argv, expected word).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from sim import params as P

from .conftest import DATA, assert_one_line, cli, experiment, listing, run_main, write

GRAPH_OK = (DATA / "cities.csv").read_text()
SC_FILE = 'name = "f"\n[network]\nkind = "file"\npath = "{path}"\n[simulation]\nn_agents = 200\nsteps = 2\n'


def _exp(body: str) -> str:
    return 'name = "h"\nscenarios = ["teaching"]\nsteps = 2\n[overrides]\n"simulation.n_agents" = 200\n' + body


# nine parameters that each take 0.01 .. 0.10: ten values each make a grid of 10^9 points
_GRID_KEYS = [p.key for p in P.PARAMS if p.type is float and p.low is not None and p.low <= 0.01
              and p.high is not None and p.high >= 0.1][:9]


# class of bad input -> ({file name: content}, argv, a word the one line must contain)
CASES: dict[str, tuple[dict[str, str | bytes], list[str], str]] = {
    # ---- scenario files
    "scenario not UTF-8": ({"s.toml": b'name = "x"\n[economy]\nbase_wage = 1\n# \xff\xfe\n'}, ["check", "s.toml"],
                           "UTF-8"),
    "scenario TOML syntax": ({"s.toml": "[economy\nbase_wage = 1\n"}, ["check", "s.toml"], "TOML"),
    "scenario unknown top-level field": ({"s.toml": "colour = 1\n"}, ["check", "s.toml"], "colour"),
    "scenario unknown section": ({"s.toml": "[weather]\nrain = 1\n"}, ["check", "s.toml"], "weather"),
    "scenario unknown key in a section of sections (allowed list not empty)": (
        {"s.toml": "[policy]\nfoo = 1\n"}, ["check", "s.toml"], "[policy.cap]"),
    "scenario unknown parameter": ({"s.toml": "[economy]\nbase_wag = 1\n"}, ["check", "s.toml"], "base_wage"),
    "scenario string for a number": ({"s.toml": '[economy]\nbase_wage = "lots"\n'}, ["check", "s.toml"],
                                     "economy.base_wage"),
    "scenario nan": ({"s.toml": "[economy]\nbase_wage = nan\n"}, ["check", "s.toml"], "economy.base_wage"),
    "scenario inf": ({"s.toml": "[economy]\nbase_wage = inf\n"}, ["check", "s.toml"], "economy.base_wage"),
    "scenario absurd 1e308": ({"s.toml": "[population]\ntotal_population = 1e308\n"}, ["check", "s.toml"],
                              "total_population"),
    "scenario bool for an integer": ({"s.toml": "[simulation]\nsteps = true\n"}, ["check", "s.toml"], "steps"),
    "scenario steps beyond the schema": ({"s.toml": "[simulation]\nsteps = 100000\n"}, ["check", "s.toml"], "500"),
    "scenario urban_share = 0": ({"s.toml": "[population]\nurban_share = 0.0\n"}, ["check", "s.toml"],
                                 "urban_share"),
    "scenario shares over 1": ({"s.toml": "[population]\ninitial_migrant_share = 0.7\nvillager_share = 0.7\n"},
                               ["check", "s.toml"], "villager_share"),
    "scenario extends itself": ({"s.toml": 'extends = "s.toml"\n'}, ["check", "s.toml"], "cycle"),
    "scenario extends a missing file": ({"s.toml": 'extends = "nothere.toml"\n'}, ["check", "s.toml"], "nothere"),
    "scenario is a directory": ({"d.toml/x": ""}, ["check", "d.toml"], "d.toml"),
    "scenario name not a string": ({"s.toml": "name = 3\n"}, ["check", "s.toml"], "name"),
    # ---- graph files (the graph file's own numbers are validated by the network package)
    "graph file missing": ({"s.toml": SC_FILE.format(path="none.csv")}, ["check", "s.toml"], "none.csv"),
    "graph file wrong extension": ({"s.toml": SC_FILE.format(path="g.txt"), "g.txt": GRAPH_OK},
                                   ["check", "s.toml"], "g.txt"),
    "graph file without population column": ({"s.toml": SC_FILE.format(path="g.csv"), "g.csv": "name,x,y\nA,0,0\n"},
                                             ["check", "s.toml"], "population"),
    "graph file negative population": ({"s.toml": SC_FILE.format(path="g.csv"),
                                        "g.csv": "name,population,x,y\nA,-5,0,0\nB,100,1,1\n"},
                                       ["check", "s.toml"], "population"),
    "graph file not numbers": ({"s.toml": SC_FILE.format(path="g.csv"),
                                "g.csv": "name,population,x,y\nA,many,0,0\nB,100,1,1\n"},
                               ["check", "s.toml"], "population"),
    "graph path empty with kind file": ({"s.toml": '[network]\nkind = "file"\n'}, ["check", "s.toml"], "network.path"),
    "bad graph in a run's scenario: line before the output folder": (
        {"s.toml": SC_FILE.format(path="none.csv")}, ["run", "s.toml", "--out", "o"], "none.csv"),
    # ---- experiment files
    "experiment not UTF-8": ({"e.toml": b'name = "x\xff"\nscenarios = ["teaching"]\n'}, ["sweep", "e.toml"], "UTF-8"),
    "experiment TOML syntax": ({"e.toml": "name = \n"}, ["sweep", "e.toml"], "TOML"),
    "experiment unknown field": ({"e.toml": _exp("colour = 1\n")}, ["sweep", "e.toml"], "colour"),
    "experiment without scenarios": ({"e.toml": 'name = "x"\n'}, ["sweep", "e.toml"], "scenarios"),
    "experiment bad name": ({"e.toml": 'name = "../x"\nscenarios = ["teaching"]\n'}, ["sweep", "e.toml"], "name"),
    "experiment replications 0": ({"e.toml": _exp("").replace("steps = 2", "replications = 0")},
                                  ["sweep", "e.toml"], "replications"),
    "experiment replications absurd": ({"e.toml": _exp("").replace("steps = 2", "replications = 10000000000000")},
                                       ["sweep", "e.toml"], "replications"),
    "experiment nan override": ({"e.toml": _exp('"economy.base_wage" = nan\n')}, ["sweep", "e.toml"], "base_wage"),
    "experiment same label twice": ({"e.toml": 'name = "x"\nscenarios = ["teaching", "teaching"]\n'},
                                    ["sweep", "e.toml"], "twice"),
    "Sobol with one parameter": ({"e.toml": _exp('[design]\nkind = "sobol"\nsamples = 8\n'
                                                 '[design.parameters]\n"migration.choice_noise" = [0.1, 0.9]\n')},
                                 ["sweep", "e.toml"], "at least two"),
    "Sobol with no parameter": ({"e.toml": _exp('[design]\nkind = "sobol"\nsamples = 8\n')},
                                ["sweep", "e.toml"], "two"),
    "grid of 10^9 points": ({"e.toml": _exp('[design]\nkind = "grid"\n[design.parameters]\n' + "".join(
        f'"{k}" = [{", ".join(str(v / 100) for v in range(1, 11))}]\n' for k in _GRID_KEYS))},
        ["sweep", "e.toml"], "1,000,000,000"),
    "LHS of 10^9 points": ({"e.toml": _exp('[design]\nkind = "lhs"\nsamples = 1000000000\n[design.parameters]\n'
                                           '"migration.choice_noise" = [0.1, 0.9]\n')}, ["sweep", "e.toml"],
                           "10,000,000"),
    "Sobol of 2^30 samples": ({"e.toml": _exp('[design]\nkind = "sobol"\nsamples = 1073741824\n[design.parameters]\n'
                                              '"migration.choice_noise" = [0.1, 0.9]\n"migration.revision_rate" = '
                                              '[0.1, 0.9]\n')}, ["sweep", "e.toml"], "10,000,000"),
    "design bounds reversed": ({"e.toml": _exp('[design]\nkind = "lhs"\nsamples = 4\n[design.parameters]\n'
                                               '"migration.choice_noise" = [0.9, 0.1]\n')}, ["sweep", "e.toml"],
                               "low < high"),
    "bad graph in a sweep's scenario: before the store": (
        {"s.toml": SC_FILE.format(path="none.csv"), "e.toml": 'name = "g"\nscenarios = ["s.toml"]\n'},
        ["sweep", "e.toml", "--store", "st.sqlite"], "none.csv"),
    # ---- CLI flags
    "run --seed negative": ({}, ["run", "teaching", "--seed", "-1", "--out", "o"], "--seed"),
    "run --seed beyond 64 bits": ({}, ["run", "teaching", "--seed", str(2**64), "--out", "o"], "--seed"),
    "run --steps 0": ({}, ["run", "teaching", "--steps", "0", "--out", "o"], "--steps"),
    "run --steps beyond the schema": ({}, ["run", "teaching", "--steps", "501", "--out", "o"], "500"),
    "run --steps 10^30": ({}, ["run", "teaching", "--steps", str(10**30), "--out", "o"], "--steps"),
    "run --steps not a number": ({}, ["run", "teaching", "--steps", "ten", "--out", "o"], "--steps"),
    "run --out empty": ({}, ["run", "teaching", "--out", ""], "empty"),
    "run --out is a file": ({"f": "x"}, ["run", "teaching", "--out", "f"], "not a directory"),
    "run --out under a file": ({"f": "x"}, ["run", "teaching", "--out", "f/sub"], "not a directory"),
    "run --set unknown key": ({}, ["run", "teaching", "--set", "economy.nope=1", "--out", "o"], "nope"),
    "run --set without =": ({}, ["run", "teaching", "--set", "economy.base_wage", "--out", "o"], "KEY=VALUE"),
    "run --set nan": ({}, ["run", "teaching", "--set", "economy.base_wage=nan", "--out", "o"], "base_wage"),
    "run --set names itself, not the file": ({}, ["run", "teaching", "--set", "population.urban_share=0",
                                                  "--out", "o"], "--set"),
    "run --set sum over 1 names --set": ({}, ["run", "teaching", "--set", "population.villager_share=0.99",
                                              "--out", "o"], "--set"),
    "run unknown scenario": ({}, ["run", "atlantis", "--out", "o"], "atlantis"),
    "animate --fps nan": ({}, ["animate", "teaching", "--fps", "nan", "--out", "a.gif"], "--fps"),
    "animate --fps inf": ({}, ["animate", "teaching", "--fps", "inf", "--out", "a.gif"], "--fps"),
    "animate --fps 0": ({}, ["animate", "teaching", "--fps", "0", "--out", "a.gif"], "--fps"),
    "animate --steps beyond the schema": ({}, ["animate", "teaching", "--steps", "1000", "--out", "a.gif"], "500"),
    "animate --seed negative": ({}, ["animate", "teaching", "--seed", "-2", "--out", "a.gif"], "--seed"),
    "animate --out a folder": ({"a.gif/x": ""}, ["animate", "teaching", "--out", "a.gif"], "directory"),
    "animate --out under a file": ({"f": "x"}, ["animate", "teaching", "--steps", "1", "--out", "f/a.gif"],
                                   "not a directory"),
    "sweep --workers 0": ({}, ["sweep", "smoke", "--workers", "0"], "--workers"),
    "sweep --workers absurd": ({}, ["sweep", "smoke", "--workers", "1000000000"], "--workers"),
    "sweep --address without dask": ({}, ["sweep", "smoke", "--address", "tcp://127.0.0.1:1"], "--address"),
    "sweep --address malformed": ({}, ["sweep", "smoke", "--backend", "dask", "--address", "tcp://host:port",
                                       "--store", "s.sqlite"], "--address"),
    "sweep --store empty": ({}, ["sweep", "smoke", "--store", ""], "--store"),
    "sweep --report under a file": ({"f": "x"}, ["sweep", "smoke", "--store", "s.sqlite", "--report", "f/r"],
                                    "not a directory"),
    "calibrate --agents below the schema": ({}, ["calibrate", "--agents", "5"], "--agents"),
    "calibrate --budget 0": ({}, ["calibrate", "--budget", "0"], "--budget"),
    "calibrate --seed negative": ({}, ["calibrate", "--seed", "-1"], "--seed"),
    "calibrate --out under a file": ({"f": "x"}, ["calibrate", "--out", "f/c.toml"], "not a directory"),
    "check without a file": ({}, ["check"], "FILE"),
    "unknown command": ({}, ["fly"], "fly"),
    # ---- stores
    "store is a zero-byte file": ({"s.sqlite": b""}, ["sweep", "smoke", "--store", "s.sqlite"], "empty"),
    "store is a directory": ({"s.sqlite/x": ""}, ["sweep", "smoke", "--store", "s.sqlite"], "directory"),
    "store is a text file": ({"s.sqlite": "notes\n"}, ["sweep", "smoke", "--store", "s.sqlite"], "not an SQLite"),
    "store is a device": ({}, ["sweep", "smoke", "--store", "/dev/null"], "regular file"),
    "store under a file": ({"f": "x"}, ["sweep", "smoke", "--store", "f/s.sqlite"], "not a directory"),
    "report of a missing store": ({}, ["report", "none.sqlite"], "no such file"),
    "export of a zero-byte store": ({"s.sqlite": b""}, ["export", "s.sqlite", "--out", "x"], "empty"),
    "export --out empty": ({}, ["export", "none.sqlite", "--out", ""], "empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    files, argv, needle = CASES[case]
    for name, body in files.items():
        write(tmp_path, name, body)
    monkeypatch.chdir(tmp_path)

    def no_simulation(*_a, **_k):
        raise AssertionError("a simulation started before the input was checked")

    from sim.model import MigrationModel
    monkeypatch.setattr(MigrationModel, "step", no_simulation)  # every bad input is found up front
    before = listing(tmp_path)
    rc, _, err = run_main(argv, capsys)
    assert_one_line(rc, err, needle)
    assert listing(tmp_path) == before  # nothing written: no output folder, no store, no journal


def test_at_least_forty_classes():
    assert len(CASES) >= 40


def test_store_dev_null_creates_no_journal(tmp_path):
    before = set(os.listdir("/dev"))
    r = cli("sweep", "smoke", "--store", "/dev/null", "--backend", "serial", cwd=tmp_path)
    assert_one_line(r.returncode, r.stderr, "regular file")
    assert not Path("/dev/null-journal").exists() and set(os.listdir("/dev")) - before == set()


@pytest.mark.parametrize("target", ["/dev/full", "/dev/null"])
def test_devices_as_outputs(tmp_path, target, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["run", "teaching", "--steps", "1", "--out", target],
                 ["run", "teaching", "--steps", "1", "--out", f"{target}/sub"],
                 ["animate", "teaching", "--steps", "1", "--out", f"{target}/a.gif"],
                 ["calibrate", "--out", f"{target}/c.toml"],
                 ["export", "none.sqlite", "--out", target]):
        rc, _, err = run_main(argv, capsys)
        assert_one_line(rc, err)
    assert listing(tmp_path) == set()


class _NotDask:
    """A TCP server on 127.0.0.1 that is not a Dask scheduler: silent, or talking HTTP."""

    def __init__(self, reply: bytes):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.reply, self.conns = reply, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.reply:
                try:
                    c.sendall(self.reply)
                except OSError:
                    pass

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"],
                         ids=["silent", "http"])
def test_dask_address_that_is_not_dask_is_a_line_within_seconds(tmp_path, reply):
    server = _NotDask(reply)
    try:
        exp = experiment(tmp_path)
        start = time.monotonic()
        r = cli("sweep", str(exp), "--store", str(tmp_path / "d.sqlite"), "--backend", "dask",
                "--address", f"tcp://127.0.0.1:{server.port}", timeout=90)
        line = assert_one_line(r.returncode, r.stderr, "not a Dask scheduler")
        assert "--address" in line
        assert time.monotonic() - start < 60
        assert not (tmp_path / "d.sqlite").exists()
    finally:
        server.close()


@pytest.mark.parametrize("what", ["no runs", "only failed runs"])
def test_report_and_export_of_a_store_without_a_successful_run(tmp_path, capsys, monkeypatch, what):
    """E.g. after Ctrl-C before the first run finished, or when every run failed."""
    from sim import __version__
    from sim.runner.backends import failed
    from sim.runner.experiment import load_experiment
    from sim.runner.store import Store

    exp = load_experiment(experiment(tmp_path, reps=1))
    store = tmp_path / "s.sqlite"
    st = Store.open_for_experiment(store, exp.name, exp.fingerprint(__version__), exp.definition(), __version__)
    if what == "only failed runs":
        for task in exp.tasks(__version__):
            st.record(task, failed("RuntimeError: boom"))
    st.close()
    monkeypatch.chdir(tmp_path)
    before = listing(tmp_path)
    for argv in (["report", str(store)], ["export", str(store), "--out", "tables"],
                 ["report", str(store), "--out", "rep"]):
        rc, _, err = run_main(argv, capsys)
        assert_one_line(rc, err, "nothing to")
    # nothing written (SQLite's own -wal/-shm beside the store are not outputs)
    assert {p for p in listing(tmp_path) if not p.endswith(("-wal", "-shm"))} == before
