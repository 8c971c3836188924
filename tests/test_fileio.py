from __future__ import annotations

import os

import pytest

from citylogistics.errors import InputError
from citylogistics.fileio import atomic_write_text, staged_output_dir


def test_missing_parents_are_made_only_when_outputs_are_written(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    with staged_output_dir(out) as stage:
        (stage / "x.txt").write_text("1")
    assert (out / "x.txt").read_text() == "1"
    assert out.stat().st_mode & 0o055 == 0o055 or os.umask(os.umask(0)) & 0o055, "readable like any data folder"


def test_failure_inside_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_output_dir(out) as stage:
            (stage / "new.txt").write_text("new")
            raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_rerun_replaces_whole_folder(tmp_path):
    out = tmp_path / "out"
    with staged_output_dir(out) as stage:
        (stage / "a.txt").write_text("a")
    with staged_output_dir(out) as stage:
        (stage / "b.txt").write_text("b")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_under_a_file_is_refused(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        with staged_output_dir(f / "sub" / "out"):
            pass


def test_atomic_write(tmp_path):
    p = tmp_path / "d" / "t.txt"
    atomic_write_text(p, "héllo")
    assert p.read_text(encoding="utf-8") == "héllo"
    assert [x.name for x in p.parent.iterdir()] == ["t.txt"]
