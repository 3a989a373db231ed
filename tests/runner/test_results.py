import pandas as pd
import pytest

from sim import COLUMNS
from sim.runner import Results, export, run_sweep

from .conftest import hukou_sim, small_experiment


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("results")
    path = tmp / "r.sqlite"
    run_sweep(small_experiment(tmp, reps=2, steps=3), path, backend="serial", progress=False)
    return path


def test_tidy_frames(store):
    with Results(store) as res:
        final, ts, cities, runs = res.final(), res.timeseries(), res.cities(), res.runs()
    outputs = [c for c in COLUMNS if c not in ("step", "year")]
    assert list(final.columns[:4]) == ["scenario", "point", "replication", "seed"]
    assert set(outputs) <= set(final.columns) and len(final) == 4
    assert list(final["scenario"]) == ["neutral", "neutral", "cap", "cap"]  # experiment order
    assert len(ts) == 4 * 4 and sorted(ts["step"].unique()) == [0, 1, 2, 3]
    assert list(ts.loc[ts["replication"] == 0, "year"].iloc[:4]) == [1982, 1983, 1984, 1985]
    # the last kept step equals the final outputs
    last = ts[ts["step"] == 3].reset_index(drop=True)
    pd.testing.assert_series_equal(last["poverty_headcount"], final["poverty_headcount"])
    assert len(cities) == 4 * 12 and (cities.groupby(["scenario", "replication"])["size"]
                                      .apply(lambda s: s.is_monotonic_decreasing).all())
    assert set(runs["status"]) == {"ok"} and runs["seconds"].gt(0).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trips(store, tmp_path, fmt):
    out = tmp_path / fmt
    r = hukou_sim("export", str(store), "--format", fmt, "--out", str(out))
    assert r.returncode == 0, r.stderr
    with Results(store) as res:
        final = res.final()
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    got = read(out / f"final.{fmt}")
    assert got.shape == final.shape
    assert got["poverty_headcount"].tolist() == pytest.approx(final["poverty_headcount"].tolist(), rel=1e-15)
    for name in ("runs", "timeseries", "cities"):
        assert (out / f"{name}.{fmt}").stat().st_size > 0


def test_export_bad_arguments(store, tmp_path):
    notdir = tmp_path / "file.txt"
    notdir.write_text("x")
    r = hukou_sim("export", str(store), "--out", str(notdir))
    assert r.returncode == 2 and "not a directory" in r.stderr
    r = hukou_sim("export", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file" in r.stderr and not (tmp_path / "missing.sqlite").exists()
