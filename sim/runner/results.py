"""Read a results store as tidy pandas DataFrames, and export them (CSV or Parquet).

>>> from sim.runner import Results
>>> res = Results("results/cap_vs_neutral.sqlite")
>>> res.final()         # one row per successful run: scenario, point, replication, seed, design values, outputs
>>> res.timeseries()    # one row per run and kept step: ... step, year, outputs
>>> res.cities()        # final city sizes: ... rank, city, size (people)
>>> res.runs()          # every stored run, ok or failed, with its error, timing and version
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .store import open_readonly

ID_COLUMNS = ["scenario", "point", "replication", "seed"]
FORMATS = ("csv", "parquet")


class Results:
    """A results store opened read-only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn, self.meta = open_readonly(self.path)
        self.experiment: dict[str, Any] = json.loads(self.meta.get("definition", "{}"))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Results":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def scenario_order(self) -> list[str]:
        return [s["label"] for s in self.experiment.get("scenarios", [])]

    @property
    def baseline(self) -> str | None:
        return self.experiment.get("baseline")

    def _sort(self, df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        order = {s: i for i, s in enumerate(self.scenario_order)}
        df = df.assign(_o=df["scenario"].map(order).fillna(len(order)))
        return df.sort_values(["_o", "scenario", "point", "replication", *extra]).drop(columns="_o").reset_index(drop=True)

    def runs(self) -> pd.DataFrame:
        """Every stored run: ids, status, error, attempts, seconds, version, host and design values."""
        df = pd.read_sql_query("SELECT key, scenario, point, replication, seed, steps, status, error, attempts, "
                               "seconds, version, host, pid, finished, params FROM runs", self.conn)
        df = self._with_params(df)
        return self._sort(df, [])

    def _with_params(self, df: pd.DataFrame) -> pd.DataFrame:
        params = [json.loads(p) for p in df.pop("params")] if len(df) else []
        keys = list(self.experiment.get("design", {}).get("parameters", {}))
        for k in keys:
            df[k] = [p.get(k) for p in params]
        return df

    def _ok_runs(self) -> pd.DataFrame:
        df = pd.read_sql_query("SELECT key, scenario, point, replication, seed, params FROM runs "
                               "WHERE status = 'ok'", self.conn)
        return self._with_params(df)

    def final(self) -> pd.DataFrame:
        """Final outputs of successful runs, one row per run (wide: one column per output)."""
        runs = self._ok_runs()
        long = pd.read_sql_query("SELECT key, output, value FROM final", self.conn)
        outputs = self.experiment.get("outputs") or sorted(long["output"].unique())
        wide = long.pivot(index="key", columns="output", values="value") if len(long) else pd.DataFrame()
        wide = wide.reindex(columns=[o for o in outputs if o in wide.columns]).reset_index() if len(long) else \
            pd.DataFrame({"key": []})
        df = runs.merge(wide, on="key", how="left")
        return self._sort(df, []).drop(columns="key")

    def timeseries(self) -> pd.DataFrame:
        """Kept steps of successful runs, one row per run and step (wide: one column per output)."""
        runs = self._ok_runs()
        long = pd.read_sql_query("SELECT key, step, year, output, value FROM series", self.conn)
        outputs = self.experiment.get("outputs") or sorted(long["output"].unique())
        if len(long):
            wide = long.pivot(index=["key", "step", "year"], columns="output", values="value")
            wide = wide.reindex(columns=[o for o in outputs if o in wide.columns]).reset_index()
            wide.columns.name = None
        else:
            wide = pd.DataFrame({"key": [], "step": [], "year": []})
        df = runs.merge(wide, on="key", how="inner")
        return self._sort(df, ["step"]).drop(columns="key")

    def cities(self) -> pd.DataFrame:
        """Final city sizes (people) of successful runs, largest first: rank, city, size."""
        runs = self._ok_runs()
        long = pd.read_sql_query("SELECT key, rank, city, size FROM cities", self.conn)
        df = runs.merge(long, on="key", how="inner")
        return self._sort(df, ["rank"]).drop(columns="key")


def export(store: str | Path, fmt: str, out: str | Path) -> list[Path]:
    """Write runs, final, timeseries and cities tables of ``store`` into directory ``out``."""
    if fmt not in FORMATS:
        raise InputError("--format", "format", f"got {fmt!r}; expected one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "out", "exists and is not a directory; expected a directory to write tables into")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ModuleNotFoundError:  # pragma: no cover - pyarrow is a dependency
            raise InputError("--format", "format", "parquet needs pyarrow: pip install pyarrow") from None
    with Results(store) as res:
        tables = {"runs": res.runs(), "final": res.final(), "timeseries": res.timeseries(), "cities": res.cities()}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in tables.items():
        path = out / f"{name}.{fmt}"
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.")
        os.close(fd)
        try:
            if fmt == "csv":
                df.to_csv(tmp, index=False)
            else:
                df.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
