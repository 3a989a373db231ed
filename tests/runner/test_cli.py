import pytest

from sim.runner import run_sweep

from .conftest import hukou_sim, small_experiment, write_experiment
from .test_experiment import BAD


def test_smoke_sweep_then_report_prints_where_the_report_is(tmp_path):
    store = tmp_path / "smoke.sqlite"
    r = hukou_sim("sweep", "experiments/smoke.toml", "--store", str(store), "--workers", "2", "--report")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("sweep smoke: 4 succeeded, 0 failed, 0 skipped")
    assert lines[-1] == f"report: {tmp_path / 'smoke-report' / 'report.md'}"
    assert (tmp_path / "smoke-report" / "report.md").is_file()


@pytest.mark.parametrize("case", ["wrong type", "unknown scenario", "unknown parameter", "syntax"])
def test_malformed_experiment_exits_2_and_leaves_the_store_alone(tmp_path, case):
    store = tmp_path / "kept.sqlite"
    run_sweep(small_experiment(tmp_path, reps=1, steps=2), store, backend="serial", progress=False)
    before = store.read_bytes()
    bad = write_experiment(tmp_path, BAD[case][0], "bad.toml")
    r = hukou_sim("sweep", str(bad), "--store", str(store), "--fresh", "--yes")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in r.stderr
    assert store.read_bytes() == before


@pytest.mark.parametrize("args,needle", [
    (["--workers", "0"], "--workers"),
    (["--address", "tcp://127.0.0.1:1"], "--address"),
    (["--backend", "threads"], "backend"),
])
def test_bad_arguments_exit_2(tmp_path, args, needle):
    r = hukou_sim("sweep", str(small_experiment(tmp_path)), "--store", str(tmp_path / "s.sqlite"), *args)
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "s.sqlite").exists()
