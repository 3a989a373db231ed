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

Concurrency (``docs/reliability.md``): every process that uses a store -- a sweep for its whole
life, an export or report while it reads -- holds a shared ``flock`` on the store file.  Any
number of sweeps can share a store: each run is written in one ``BEGIN IMMEDIATE`` transaction
with ``INSERT ... ON CONFLICT DO NOTHING``, and a sweep skips runs another one stored meanwhile.
``--fresh`` needs the lock exclusively and refuses with one line while any other process holds
it; it empties the store in place (the same file), so a process that has it open never goes on
writing into a deleted file.  A new store is built in a temporary file and linked into place
complete, so nobody ever sees a half-made one.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import stat
import tempfile
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
    """Inspect ``path`` read-only: ``None`` if it does not exist, else its meta table.
    Raises InputError if it is not a healthy hukou-sim store (an empty file is not one)."""
    src = str(path)
    if not path.exists():
        if path.is_symlink():
            raise InputError(src, "store", "is a broken symbolic link; expected an SQLite results file")
        return None
    if path.is_dir():
        raise InputError(src, "store", "is a directory; expected an SQLite results file")
    if not stat.S_ISREG(path.stat().st_mode):
        raise InputError(src, "store", "is not a regular file (a device, pipe or socket); "
                                       "expected an SQLite results file")
    if path.stat().st_size == 0:
        raise InputError(src, "store", "is an empty file (0 bytes), not a hukou-sim results store; "
                                       "remove it or choose another --store")
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


class StoreBusy(InputError):
    """Another process holds the store (``--fresh`` refused, or a lock not had in time)."""


class FileLock:
    """An advisory ``flock`` on a store file, shared or exclusive (no-op where flock is missing).

    ``flock`` locks belong to an open file, not to a process, so they never interfere with
    SQLite's own ``fcntl`` locks on the same file, and are released when the holder dies."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.mode = ""

    def acquire(self, exclusive: bool, wait: float = 0.0) -> bool:
        try:
            import fcntl
        except ModuleNotFoundError:  # pragma: no cover - not POSIX
            return True
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self.fd, op)
                self.mode = "exclusive" if exclusive else "shared"
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the file releases its flock
        self.fd, self.mode = None, ""


# How long a sweep, export or report waits for a --fresh in another process to finish emptying
# the store before saying it is busy (emptying takes well under a second).
LOCK_WAIT = 30.0


def _busy(path: Path, why: str) -> StoreBusy:
    return StoreBusy(str(path), "store", why)


def _create(path: Path, meta: Mapping[str, str]) -> None:
    """Build a new store in a temporary file beside ``path`` and link it into place complete.

    If another process created ``path`` meanwhile, its store is kept and ours discarded."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            conn.execute("COMMIT")
        finally:
            conn.close()  # the last connection checkpoints and removes the -wal file
        from ..outputs import file_mode
        os.chmod(tmp, file_mode())  # mkstemp makes 0600; a store honours the umask
        try:
            os.link(tmp, path)  # atomic and never replaces: the first creator wins
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        for p in (tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"):
            Path(p).unlink(missing_ok=True)


def _sqlite_error(path: Path, exc: sqlite3.Error, doing: str) -> InputError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        why = "is read-only (the file, its folder or the file system); a sweep needs to write to it"
    elif "disk is full" in text or "full" in text:
        why = "cannot be written: the disk is full"
    else:
        why = f"cannot be {doing} ({text})"
    return InputError(str(path), "store", f"{why}; every run stored before is intact")


class Store:
    """A results store open for writing by a sweep driver (several may share one store)."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection, meta: dict[str, str],
                 lock: FileLock | None = None):
        self.path = Path(path)
        self.conn = conn
        self.meta = meta
        self.lock = lock

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_for_experiment(cls, path: str | Path, name: str, fingerprint: str, definition: Mapping[str, Any],
                            version: str, fresh: bool = False) -> "Store":
        """Open (or create) the store of experiment ``name``; refuse any other file.

        With ``fresh``, every run in it is deleted first -- only if no other process uses it
        (else :class:`StoreBusy`), and only if it is a hukou-sim store (of any experiment)."""
        path = Path(path)
        new_meta = {"application": APPLICATION, "schema_version": SCHEMA_VERSION, "experiment": name,
                    "fingerprint": fingerprint, "definition": json.dumps(dict(definition)),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "version": version}
        meta = check_file(path)
        if meta is None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _create(path, new_meta)
            except OSError as exc:
                raise InputError(str(path), "store", f"cannot be created ({exc.strerror or exc})") from None
            except sqlite3.Error as exc:
                raise _sqlite_error(path, exc, "created") from None
        lock = FileLock(path)
        try:
            if fresh:
                if not lock.acquire(exclusive=True):
                    raise _busy(path, "is in use by another process (a sweep, export or report); --fresh "
                                      "deleted nothing; wait for it to finish, or choose another --store")
            elif not lock.acquire(exclusive=False, wait=LOCK_WAIT):
                raise _busy(path, f"another process has been emptying it (--fresh) for {LOCK_WAIT:.0f} s; "
                                  "try again later")
            meta = check_file(path)  # again, under the lock: it may have changed meanwhile
            assert meta is not None
            conn = cls._connect(path)
            try:
                if fresh:
                    cls._empty(conn, new_meta)
                    meta = dict(new_meta)
                else:
                    cls._check_same(path, meta, name, fingerprint, version)
                    # the same experiment; the definition may differ in replications or description
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("INSERT INTO meta (key, value) VALUES ('definition', ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 (json.dumps(dict(definition)),))
                    conn.execute("COMMIT")
                    meta["definition"] = json.dumps(dict(definition))
            except sqlite3.Error as exc:
                conn.close()
                raise _sqlite_error(path, exc, "written") from None
            except BaseException:
                conn.close()
                raise
            if fresh:
                lock.acquire(exclusive=False)  # let other sweeps share the now empty store
        except BaseException:
            lock.release()
            raise
        return cls(path, conn, meta, lock)

    @staticmethod
    def _check_same(path: Path, meta: Mapping[str, str], name: str, fingerprint: str, version: str) -> None:
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

    @staticmethod
    def _empty(conn: sqlite3.Connection, meta: Mapping[str, str]) -> None:
        """Delete every run and replace the meta table, in one transaction, in the same file."""
        conn.execute("BEGIN IMMEDIATE")
        for table in ("runs", "final", "series", "cities", "meta"):
            conn.execute(f"DELETE FROM {table}")
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        conn.execute("COMMIT")

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE takes the write
        # lock up front, so two writers queue instead of failing halfway)
        conn = sqlite3.connect(str(path), timeout=60, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against the process being killed (only an OS crash or power cut can
        # lose the last commits in WAL mode), and much faster than FULL.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    # ------------------------------------------------------------------ reading
    def done_keys(self) -> set[str]:
        """Keys of runs stored successfully (failed runs are tried again by a new sweep)."""
        return {r[0] for r in self.conn.execute("SELECT key FROM runs WHERE status = 'ok'")}

    def is_done(self, key: str) -> bool:
        """Whether ``key`` is stored successfully -- perhaps by another sweep sharing the store."""
        return self.conn.execute("SELECT 1 FROM runs WHERE key = ? AND status = 'ok'", (key,)).fetchone() is not None

    def failed_attempts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT key, attempts FROM runs WHERE status = 'failed'").fetchall())

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())

    # ------------------------------------------------------------------ writing
    def record(self, task: Any, result: Mapping[str, Any], attempts: int = 1) -> bool:
        """Store one run (ok or failed) in a single transaction, replacing an earlier failure.

        Returns False if the run was not stored because a success is already there (a
        duplicate delivery, or another sweep on the same store was first)."""
        ok = result["status"] == "ok"
        row = (task.key, task.scenario, task.point, task.replication, task.seed, task.steps,
               "ok" if ok else "failed", result.get("error"), attempts,
               json.dumps(dict(task.design_values), sort_keys=True), result.get("version", "?"),
               result.get("seconds"), time.time(), result.get("host"), result.get("pid"))
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # an earlier failure is replaced; a success never is
                if conn.execute("DELETE FROM runs WHERE key = ? AND status = 'failed'", (task.key,)).rowcount:
                    for table in ("final", "series", "cities"):
                        conn.execute(f"DELETE FROM {table} WHERE key = ?", (task.key,))
                cur = conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (key) DO NOTHING", row)
                stored = cur.rowcount == 1
                if stored and ok:
                    conn.executemany("INSERT INTO final VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                     ((task.key, k, _num(v)) for k, v in result["final"].items()))
                    series = result["series"]
                    steps, years = series["step"], series["year"]
                    conn.executemany(
                        "INSERT INTO series VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        ((task.key, int(s), int(y), name, _num(v))
                         for name, col in series.items() if name not in ("step", "year")
                         for s, y, v in zip(steps, years, col)))
                    conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                     ((task.key, i + 1, n, float(s))
                                      for i, (n, s) in enumerate(result["cities"])))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _sqlite_error(self.path, exc, "written") from None
        return stored

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover
            pass
        if self.lock is not None:
            self.lock.release()


def open_readonly(path: str | Path) -> tuple[sqlite3.Connection, dict[str, str]]:
    """Open an existing store for reading (export, report), as one snapshot.

    The connection is inside a read transaction until it is closed, so every table read
    through it shows the same moment even while a sweep goes on writing.  The caller holds
    a shared lock (see :func:`open_snapshot`) so a ``--fresh`` cannot empty it meanwhile."""
    conn, meta, _ = open_snapshot(path)
    return conn, meta


def open_snapshot(path: str | Path) -> tuple[sqlite3.Connection, dict[str, str], FileLock | None]:
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "store", "no such file; run 'hukou-sim sweep EXPERIMENT' first")
    check_file(path)
    lock: FileLock | None = FileLock(path)
    try:
        if not lock.acquire(exclusive=False, wait=LOCK_WAIT):
            raise _busy(path, f"another process has been emptying it (--fresh) for {LOCK_WAIT:.0f} s; "
                              "try again later")
    except OSError:
        lock = None  # unreadable for locking: the checks below say why
    try:
        meta = check_file(path)
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None)
        try:
            conn.execute("BEGIN")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())  # within the snapshot
        except sqlite3.Error as exc:
            conn.close()
            raise InputError(str(path), "store", f"cannot be read ({exc})") from None
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return conn, meta, lock


__all__ = ["APPLICATION", "SCHEMA_VERSION", "FileLock", "Store", "StoreBusy", "check_file", "open_readonly",
           "open_snapshot"]
