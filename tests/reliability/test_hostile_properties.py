"""Hostile input, generated: Hypothesis writes scenario files, experiment tables, graph files and
command lines; each must end in success or one InputError line (exit 2) -- never a traceback.

Sizes are kept small (``derandomize`` for the same examples on every CI run) so the suite
stays fast; raise ``max_examples`` locally to search harder."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import params as P
from sim.errors import InputError

from .conftest import assert_one_line, run_main

FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.0, 1e308, -1e308, 5e-324, 2**31, 0.5]),
)
values = st.one_of(numbers, st.booleans(), st.text(max_size=12), st.sampled_from(["synthetic", "file", "china"]))
keys = st.one_of(st.sampled_from([p.key for p in P.PARAMS]), st.sampled_from(["economy.nope", "policy.x", "x"]))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)  # a TOML basic string


def scenario_text(items: list[tuple[str, object]], extra: bytes) -> bytes:
    lines = [f'"{k}" = {toml_value(v)}' if "." not in k else
             f'{k.rsplit(".", 1)[0]}.{k.rsplit(".", 1)[1]} = {toml_value(v)}' for k, v in dict(items).items()]
    return ("\n".join(lines) + "\n").encode() + extra


@FAST
@given(items=st.lists(st.tuples(keys, values), max_size=6),
       extra=st.one_of(st.just(b""), st.binary(max_size=8), st.just(b"\xff\xfe"), st.just(b"[")))
def test_generated_scenario_files(tmp_path, capsys, items, extra):
    path = tmp_path / "gen.toml"
    path.write_bytes(scenario_text(items, extra))
    rc, out, err = run_main(["check", str(path)], capsys)
    if rc != 0:
        assert_one_line(rc, err)
    else:
        assert "ok" in out


@FAST
@given(data=st.dictionaries(
    st.sampled_from(["name", "scenarios", "replications", "steps", "base_seed", "keep_every", "outputs",
                     "overrides", "design", "baseline", "junk"]),
    st.one_of(values, st.lists(st.one_of(st.sampled_from(["teaching", "cap", "nowhere"]), values), max_size=3),
              st.fixed_dictionaries({}, optional={
                  "kind": st.sampled_from(["none", "grid", "lhs", "sobol", "x"]),
                  "samples": numbers,
                  "seed": numbers,
                  "parameters": st.dictionaries(keys, st.one_of(values, st.lists(numbers, max_size=4)), max_size=3),
              })), max_size=8))
def test_generated_experiment_tables(data):
    from sim.runner.experiment import experiment_from_dict
    try:
        exp = experiment_from_dict(data, "gen.toml")
    except InputError as exc:
        assert str(exc).startswith("gen.toml: ") and "\n" not in str(exc)
    else:
        assert 1 <= exp.n_runs <= 10_000_000


ints = st.one_of(st.integers(-(10**30), 0), st.integers(501, 10**30), st.integers(1, 2))


@FAST
@given(steps=st.one_of(st.none(), ints), seed=st.one_of(st.none(), st.integers(-(10**30), 10**30)),
       sets=st.lists(st.tuples(keys, values), max_size=2),
       out=st.sampled_from(["o", "", "/dev/full", "f/x", "o/deep/er"]))
def test_generated_run_command_lines(tmp_path_factory, capsys, monkeypatch, steps, seed, sets, out):
    d = tmp_path_factory.mktemp("cli")
    (d / "f").write_text("a file, not a folder")
    monkeypatch.chdir(d)
    argv = ["run", "teaching", "--out", out, "--set", "simulation.n_agents=60"]
    if steps is not None:
        argv += ["--steps", str(steps)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    for k, v in sets:
        argv += ["--set", f"{k}={toml_value(v)}"]
    rc, out_text, err = run_main(argv, capsys)
    if rc != 0:
        assert_one_line(rc, err)
    else:
        assert "wrote" in out_text


@FAST
@given(rows=st.lists(st.tuples(st.text(max_size=6), st.one_of(st.integers(-10, 10**9), st.text(max_size=4)),
                               st.one_of(st.integers(-10**4, 10**4), st.floats(-1e4, 1e4)),
                               st.one_of(st.integers(-10**4, 10**4), st.just("y"))), max_size=6),
       header=st.sampled_from(["name,population,x,y", "name,population,lon,lat", "name,x,y", "population"]))
def test_generated_graph_files(tmp_path_factory, rows, header):
    from sim.network import load_network
    d = tmp_path_factory.mktemp("graph")
    path = d / "g.csv"
    path.write_text(header + "\n" + "".join(",".join(json.dumps(c) if isinstance(c, str) else str(c) for c in r)
                                            + "\n" for r in rows))
    try:
        load_network(str(path), 4)
    except InputError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("blob", [b"\x00" * 64, b"\xef\xbb\xbf[economy]\nbase_wage = 1\n", bytes(range(256))],
                         ids=["zeros", "bom", "all-bytes"])
def test_binary_scenario_files(tmp_path, capsys, blob):
    path = tmp_path / "b.toml"
    path.write_bytes(blob)
    rc, _, err = run_main(["check", str(path)], capsys)
    if rc:
        assert_one_line(rc, err)
