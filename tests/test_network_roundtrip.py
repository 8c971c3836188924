from __future__ import annotations

import os
from pathlib import Path

from citylogistics.network.graph import load_graphml, save_graphml

ROOT = Path(__file__).resolve().parents[1]


def test_load_then_save_gives_the_same_file(tmp_path):
    src = ROOT / "networks" / "zhoushan.graphml"
    out = tmp_path / "again.graphml"
    save_graphml(load_graphml(src), out)
    assert out.read_bytes() == src.read_bytes()
    assert os.stat(out).st_mode & 0o044, "a network file is readable by others, like any data file"
