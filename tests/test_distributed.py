"""Plan runs on Dask give the same bytes as in one process (issue 18): a 2-worker LocalCluster and a scheduler
reached over loopback, as a user would start one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "scenarios" / "zhoushan_small.toml"
FILES = ("plan.json", "villages.csv", "kpis.csv", "sites.csv")


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED="0", CI="true")
    return subprocess.run([sys.executable, "-m", "citylogistics", "run", str(SCENARIO), "--out", str(out), *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dask") / "serial"
    res = _run(out)
    assert res.returncode == 0, res.stderr
    return out


def test_two_local_workers_give_the_same_bytes(serial: Path, tmp_path: Path):
    out = tmp_path / "two"
    res = _run(out, "--workers", "2")
    assert res.returncode == 0, res.stderr
    for name in FILES:
        assert (out / name).read_bytes() == (serial / name).read_bytes(), name


def test_remote_scheduler_gives_the_same_bytes(serial: Path, tmp_path: Path):
    """A scheduler and one worker started as separate processes on 127.0.0.1; the run only knows the address."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "remote"
        res = _run(out, "--scheduler", address)
        assert res.returncode == 0, res.stderr
    for name in FILES:
        assert (out / name).read_bytes() == (serial / name).read_bytes(), name


def test_unreachable_scheduler_is_refused_before_work(tmp_path: Path):
    out = tmp_path / "never"
    res = _run(out, "--scheduler", "tcp://127.0.0.1:9")
    assert res.returncode == 2 and "cannot reach the Dask scheduler" in res.stderr, res.stderr
    assert not out.exists()
