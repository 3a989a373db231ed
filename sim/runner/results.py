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
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .store import open_snapshot

ID_COLUMNS = ["scenario", "point", "replication", "seed"]
FORMATS = ("csv", "parquet")


class Results:
    """A results store opened read-only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # one read transaction for the life of this object: runs, final, timeseries and cities
        # all show the same moment, even while a sweep is writing
        self.conn, self.meta, self._lock = open_snapshot(self.path)
        self.experiment: dict[str, Any] = json.loads(self.meta.get("definition", "{}"))

    def close(self) -> None:
        self.conn.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def n_ok(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]

    def require_runs(self, doing: str) -> None:
        """One line, not an empty table or a traceback, when no run has succeeded yet."""
        if self.n_ok() == 0:
            n_failed = self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            what = f"{n_failed} failed run(s) and no successful one" if n_failed else "no runs"
            raise InputError(str(self.path), "runs", f"holds {what}; nothing to {doing} "
                                                     "(run or resume the sweep first)")

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
    from ..outputs import check_dir_target, staged_dir

    if fmt not in FORMATS:
        raise InputError("--format", "format", f"got {fmt!r}; expected one of {', '.join(FORMATS)}")
    out = check_dir_target(out)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ModuleNotFoundError:  # pragma: no cover - pyarrow is a dependency
            raise InputError("--format", "format", "parquet needs pyarrow: pip install pyarrow") from None
    with Results(store) as res:
        res.require_runs("export")
        tables = {"runs": res.runs(), "final": res.final(), "timeseries": res.timeseries(), "cities": res.cities()}
    # the four tables are written in full beside ``out``, then renamed in: all new or all old
    with staged_dir(out) as stage:
        for name, df in tables.items():
            if fmt == "csv":
                df.to_csv(stage / f"{name}.{fmt}", index=False)
            else:
                df.to_parquet(stage / f"{name}.{fmt}", index=False)
    return [out / f"{name}.{fmt}" for name in tables]
