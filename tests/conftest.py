from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the command line in a fresh interpreter, as a user would."""
    env = dict(os.environ, CI="true", PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "citylogistics", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def small_plan_run(tmp_path_factory):
    """One CLI run of tests/data/scenarios/zhoushan_small.toml shared by the tests
    that only read its outputs: (output folder, completed process)."""
    out = tmp_path_factory.mktemp("zhoushan_small") / "out"
    res = run_cli("run", str(ROOT / "tests" / "data" / "scenarios" / "zhoushan_small.toml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out, res
