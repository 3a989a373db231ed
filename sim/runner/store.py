"""The results store: one SQLite file per experiment, one transaction per run.

Schema (``docs/runner.md`` has the full description)::

    meta(key PRIMARY KEY, value)            application, schema version, experiment name,
                                            fingerprint and definition (JSON), created, version
    runs(key PRIMARY KEY, scenario, point, replication, seed, steps, status, error, attempts,
         params, version, seconds, finished, host, pid)
    final(key, output, value)               final outputs of ok runs   PRIMARY KEY (key, output)
    series(key, step, year, output, value)  kept steps of ok runs      PRIMARY KEY (key, output, step)
    cities(key, rank, city, size)           final city sizes           PRIMARY KEY (key, rank)

``key`` is the hash of everything that determines a run (see :func:`experiment.run_key`), so a
run is stored once, and a resumed sweep skips what is already there.  The file is in WAL mode:
a driver killed at any moment leaves every committed run intact and no half-written one.
Opening a file checks, read-only and before anything is written, that it is a hukou-sim store
of the same experiment; anything else raises :class:`InputError` and leaves the file untouched.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError

APPLICATION = "hukou-sim results store"
SCHEMA_VERSION = "1"
SQLITE_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    attempts INTEGER NOT NULL,
    params TEXT NOT NULL,
    version TEXT NOT NULL,
    seconds REAL,
    finished REAL NOT NULL,
    host TEXT,
    pid INTEGER
);
CREATE INDEX IF NOT EXISTS runs_by_design ON runs (scenario, point, replication);
CREATE TABLE IF NOT EXISTS final (
    key TEXT NOT NULL, output TEXT NOT NULL, value REAL,
    PRIMARY KEY (key, output)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
    key TEXT NOT NULL, step INTEGER NOT NULL, year INTEGER NOT NULL, output TEXT NOT NULL, value REAL,
    PRIMARY KEY (key, output, step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cities (
    key TEXT NOT NULL, rank INTEGER NOT NULL, city TEXT NOT NULL, size REAL NOT NULL,
    PRIMARY KEY (key, rank)) WITHOUT ROWID;
"""


def _num(v: Any) -> float | None:
    """SQLite REAL, with NaN/inf stored as NULL (SQLite has no NaN)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def check_file(path: Path) -> dict[str, str] | None:
    """Inspect ``path`` read-only: ``None`` if it does not exist or is empty, else its meta
    table.  Raises InputError if it is not a healthy hukou-sim store."""
    src = str(path)
    if not path.exists():
        return None
    if path.is_dir():
        raise InputError(src, "store", "is a directory; expected an SQLite results file")
    if path.stat().st_size == 0:
        return None
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise InputError(src, "store", f"cannot be read ({exc.strerror})") from None
    if header != SQLITE_HEADER:
        raise InputError(src, "store", "is not an SQLite database; expected a hukou-sim results store "
                                       "(choose another --store, or move this file away)")
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(src, "store", f"cannot be opened ({exc})") from None
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise InputError(src, "store", f"is a corrupt SQLite database ({ok}); nothing was changed")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            shown = ", ".join(sorted(tables)) or "none"
            raise InputError(src, "store", f"is an SQLite database but not a hukou-sim results store "
                                           f"(its tables: {shown}); nothing was changed")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise InputError(src, "store", f"is a corrupt or unreadable SQLite database ({exc}); nothing was changed") from None
    finally:
        conn.close()
    if meta.get("application") != APPLICATION:
        raise InputError(src, "store", "is an SQLite database but not a hukou-sim results store "
                                       "(no application marker); nothing was changed")
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise InputError(src, "store", f"has schema version {meta.get('schema_version')!r}; "
                                       f"this hukou-sim reads version {SCHEMA_VERSION}")
    missing = {"runs", "final", "series", "cities"} - tables
    if missing:
        raise InputError(src, "store", f"is a damaged results store (missing tables {', '.join(sorted(missing))})")
    return meta


class Store:
    """A results store open for writing by one sweep driver."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection, meta: dict[str, str]):
        self.path = Path(path)
        self.conn = conn
        self.meta = meta

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_for_experiment(cls, path: str | Path, name: str, fingerprint: str, definition: Mapping[str, Any],
                            version: str) -> "Store":
        """Open (or create) the store of experiment ``name``; refuse any other file."""
        path = Path(path)
        meta = check_file(path)
        if meta is not None:
            if meta.get("experiment") != name:
                raise InputError(str(path), "experiment",
                                 f"this store holds experiment {meta.get('experiment')!r}, not {name!r}; "
                                 "choose another --store (or --fresh to replace it)")
            if meta.get("fingerprint") != fingerprint:
                was = json.loads(meta.get("definition", "{}"))
                why = ("was made with hukou-sim " + meta.get("version", "?") + f", this is {version}"
                       if meta.get("version") != version else "its scenarios, design, steps, seeds or outputs differ")
                raise InputError(str(path), "experiment",
                                 f"this store holds a different version of experiment {name!r} ({why}; "
                                 f"stored from {was.get('source', '?')}); choose another --store, or --fresh to start over")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = cls._connect(path)
        if meta is None:
            meta = {"application": APPLICATION, "schema_version": SCHEMA_VERSION, "experiment": name,
                    "fingerprint": fingerprint, "definition": json.dumps(dict(definition)),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "version": version}
            with conn:
                conn.executescript(SCHEMA)
                conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())
        else:
            # the same experiment; the definition may differ in replications or description
            with conn:
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('definition', ?)",
                             (json.dumps(dict(definition)),))
            meta["definition"] = json.dumps(dict(definition))
        return cls(path, conn, meta)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), timeout=60, isolation_level="DEFERRED")
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against the process being killed (only an OS crash or power cut can
        # lose the last commits in WAL mode), and much faster than FULL.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @staticmethod
    def remove(path: str | Path) -> None:
        """Delete a store file (and its WAL files) -- only once it is known to be a store."""
        path = Path(path)
        check_file(path)
        for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
            p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading
    def done_keys(self) -> set[str]:
        """Keys of runs stored successfully (failed runs are tried again by a new sweep)."""
        return {r[0] for r in self.conn.execute("SELECT key FROM runs WHERE status = 'ok'")}

    def failed_attempts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT key, attempts FROM runs WHERE status = 'failed'").fetchall())

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())

    # ------------------------------------------------------------------ writing
    def record(self, task: Any, result: Mapping[str, Any], attempts: int = 1) -> None:
        """Store one run (ok or failed) in a single transaction, replacing an earlier failure."""
        ok = result["status"] == "ok"
        row = (task.key, task.scenario, task.point, task.replication, task.seed, task.steps,
               "ok" if ok else "failed", result.get("error"), attempts,
               json.dumps(dict(task.design_values), sort_keys=True), result.get("version", "?"),
               result.get("seconds"), time.time(), result.get("host"), result.get("pid"))
        with self.conn:
            cur = self.conn.execute("SELECT status FROM runs WHERE key = ?", (task.key,)).fetchone()
            if cur is not None and cur[0] == "ok":
                return  # already stored (e.g. a duplicate delivery); never store a run twice
            if cur is not None:
                for table in ("runs", "final", "series", "cities"):
                    self.conn.execute(f"DELETE FROM {table} WHERE key = ?", (task.key,))
            self.conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            if ok:
                self.conn.executemany("INSERT INTO final VALUES (?, ?, ?)",
                                      ((task.key, k, _num(v)) for k, v in result["final"].items()))
                series = result["series"]
                steps, years = series["step"], series["year"]
                self.conn.executemany(
                    "INSERT INTO series VALUES (?, ?, ?, ?, ?)",
                    ((task.key, int(s), int(y), name, _num(v))
                     for name, col in series.items() if name not in ("step", "year")
                     for s, y, v in zip(steps, years, col)))
                self.conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?)",
                                      ((task.key, i + 1, n, float(s))
                                       for i, (n, s) in enumerate(result["cities"])))

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover
            pass


def open_readonly(path: str | Path) -> tuple[sqlite3.Connection, dict[str, str]]:
    """Open an existing store for reading (export, report)."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "store", "no such file; run 'hukou-sim sweep EXPERIMENT' first")
    meta = check_file(path)
    if meta is None:
        raise InputError(str(path), "store", "is empty; expected a hukou-sim results store")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    return conn, meta


__all__ = ["APPLICATION", "SCHEMA_VERSION", "Store", "check_file", "open_readonly"]
