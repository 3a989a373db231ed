"""Output files that appear whole or not at all, and targets checked before any work is done.

Every command that writes (``run``, ``export``, ``report``, ``animate``, ``calibrate``) first
calls :func:`check_dir_target` or :func:`check_file_target` -- before a simulation starts -- so a
read-only folder, a path under a regular file, ``/dev/full`` or an empty ``--out`` is one line
and exit 2 instead of a traceback after minutes of work.  Then it writes through
:func:`staged_dir` or :func:`atomic_file`: everything goes into a temporary file or folder
beside the target and is renamed into place only once complete, so a fault (a full disk,
Ctrl-C, a crash) leaves the old output untouched and never a new file beside an old one.
Files get the permissions the umask allows (``mkstemp`` alone would make them 0600).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permissions of a new regular file under the current umask (0644 with the usual 022)."""
    return 0o666 & ~_umask()


def _dir_mode() -> int:
    return 0o777 & ~_umask()


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _nearest_existing(path: Path, source: str, field: str) -> Path:
    """The closest existing ancestor of ``path``; InputError if a regular file is in the way."""
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            raise InputError(source, field, f"{probe} is a broken symbolic link; expected a folder")
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if not probe.is_dir():
        raise InputError(source, field, f"{path}: {probe} is not a directory, so nothing can be written under it; "
                                        "choose another path")
    return probe


def _probe_writable(folder: Path, path: Path, source: str, field: str) -> None:
    """Create and remove a small file in ``folder``: the only test that also catches read-only mounts."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".hukou-sim-probe.")
    except OSError as exc:
        raise InputError(source, field, f"{path}: cannot write in {folder} ({_why(exc)}); "
                                        "choose a writable location") from None
    os.close(fd)
    os.unlink(tmp)


def _not_empty(path: str | Path, source: str, field: str) -> Path:
    text = os.fspath(path)
    if not text.strip():
        raise InputError(source, field, "is empty; expected a path (use '.' for the current folder)")
    return Path(text)


def check_dir_target(path: str | Path, source: str = "--out", field: str = "out") -> Path:
    """A folder that outputs will be written into: may not exist yet, but must be creatable and writable."""
    out = _not_empty(path, source, field)
    if out.exists() and not out.is_dir():
        raise InputError(source, field, f"{out} exists and is not a directory; expected a directory to write into")
    base = _nearest_existing(out, source, field)
    _probe_writable(base, out, source, field)
    return out


def check_file_target(path: str | Path, source: str = "--out", field: str = "out") -> Path:
    """A regular file to be (re)written: not a folder or a device, in a writable folder."""
    out = _not_empty(path, source, field)
    if out.exists() or out.is_symlink():
        try:
            mode = out.stat().st_mode
        except OSError as exc:
            raise InputError(source, field, f"{out}: cannot be inspected ({_why(exc)})") from None
        if stat.S_ISDIR(mode):
            raise InputError(source, field, f"{out} is a directory; expected a file name")
        if not stat.S_ISREG(mode):
            raise InputError(source, field, f"{out} is not a regular file (a device, pipe or socket); "
                                            "expected a file name")
    base = _nearest_existing(out.parent if str(out.parent) else Path("."), source, field)
    _probe_writable(base, out, source, field)
    return out


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: str | Path, source: str = "--out", field: str = "out",
                suffix: str = ".partial") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    On any exception the temporary file is removed and ``path`` keeps its old content.
    ``suffix`` ends the temporary name (writers that pick a format by extension need it).
    ``OSError`` (a full disk, a read-only folder) becomes one :class:`InputError` line."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=_dir_mode())
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as exc:
        raise InputError(source, field, f"{path}: cannot write ({_why(exc)}); nothing was changed") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        _fsync_file(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(source, field, f"{path}: writing failed ({_why(exc)}); "
                                        "the old file, if any, is unchanged") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def write_text(path: str | Path, text: str, source: str = "--out", field: str = "out") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path, source, field) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def staged_dir(out: str | Path, source: str = "--out", field: str = "out") -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; write every output file into it.

    On success each file is renamed into ``out`` (created if needed) -- renames only, after
    every byte is written, so a full disk or an interrupt while writing leaves ``out`` as it
    was: never a new table beside an old summary.  Files already in ``out`` that this
    command does not write are left alone.  On failure the staging folder is removed and
    ``OSError`` becomes one :class:`InputError` line."""
    out = Path(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=_dir_mode())
        stage = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name or 'out'}.", suffix=".partial"))
    except OSError as exc:
        raise InputError(source, field, f"{out}: cannot write ({_why(exc)}); nothing was changed") from None
    try:
        yield stage
        mode = file_mode()
        names = sorted(p.name for p in stage.iterdir())
        for name in names:
            p = stage / name
            if p.is_file():
                os.chmod(p, mode)
                _fsync_file(p)
        os.chmod(stage, _dir_mode())
        if not out.exists():
            try:
                os.rename(stage, out)  # the whole folder appears at once
                _fsync_dir(parent)
                return
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        for name in names:
            os.replace(stage / name, out / name)
        _fsync_dir(out)
    except OSError as exc:
        raise InputError(source, field, f"{out}: writing failed ({_why(exc)}); "
                                        "files already there are unchanged") from None
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


__all__ = ["atomic_file", "check_dir_target", "check_file_target", "file_mode", "staged_dir", "write_text"]
