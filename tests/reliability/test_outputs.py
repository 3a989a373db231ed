"""sim.outputs: whole files or none, targets checked up front, the umask honoured."""

from __future__ import annotations

import os
import stat

import pytest

from sim.errors import InputError
from sim.outputs import atomic_file, check_dir_target, check_file_target, staged_dir, write_text


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_honour_the_umask(tmp_path, umask_027):
    write_text(tmp_path / "a.txt", "x")
    with staged_dir(tmp_path / "new") as stage:
        (stage / "t.csv").write_text("1")
    assert _mode(tmp_path / "a.txt") == 0o640  # not mkstemp's 0600
    assert _mode(tmp_path / "new" / "t.csv") == 0o640
    assert _mode(tmp_path / "new") == 0o750


def test_run_outputs_honour_the_umask(tmp_path, umask_027, capsys, monkeypatch):
    from .conftest import run_main
    monkeypatch.chdir(tmp_path)
    assert run_main(["run", "teaching", "--steps", "1", "--set", "simulation.n_agents=100", "--out", "o"],
                    capsys)[0] == 0
    assert {_mode(p) for p in (tmp_path / "o").iterdir()} == {0o640}


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f.txt"]


def test_staging_into_an_existing_folder_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user's")
    (out / "t.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_dir(out) as stage:
            (stage / "t.csv").write_text("new")
            raise RuntimeError("disk full halfway")
    assert (out / "t.csv").read_text() == "old"
    with staged_dir(out) as stage:
        (stage / "t.csv").write_text("new")
    assert (out / "t.csv").read_text() == "new" and (out / "mine.txt").read_text() == "user's"
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no staging folder left


@pytest.mark.parametrize("bad", ["", "  ", "/dev/full", "/dev/null/x", "file/sub"])
def test_bad_targets(tmp_path, monkeypatch, bad):
    (tmp_path / "file").write_text("x")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        check_dir_target(bad)
    if bad not in ("/dev/full",):
        with pytest.raises(InputError):
            check_file_target(bad + ("/a.gif" if bad.strip() else ""))


def test_a_device_is_not_a_file_target():
    with pytest.raises(InputError, match="regular file"):
        check_file_target("/dev/null")
