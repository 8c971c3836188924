"""SIGINT or SIGTERM during a run leaves the output folder as it was.

An earlier run fills DIR; a second run into the same DIR is interrupted either
mid-solve (after the planner reports routing a year) or while it writes its
outputs (when the staging folder ``.DIR.*.partial`` appears beside DIR).  The
interrupted run must exit 130 with one line and no traceback, DIR must hold
the earlier run's bytes, no staging folder may be left, and the next run into
DIR must succeed.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "scenarios" / "zhoushan_small.toml"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def tree_digest(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _env(*, quiet: bool) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
    env.pop("CI", None)
    if quiet:
        env["CI"] = "true"
    return env


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "citylogistics", "run", str(SCENARIO), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=_env(quiet=False))


def _run(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citylogistics", "run", str(SCENARIO), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(quiet=True), timeout=600)


def _staging(out: Path) -> list[Path]:
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")
                  and (p.name.endswith(".partial") or p.name.endswith(".old")))


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("interrupt") / "out"
    res = _run(out)
    assert res.returncode == 0, res.stderr
    assert (out / "plan.json").is_file()
    return out


def _wait_for_solve(proc: subprocess.Popen, out: Path) -> list[str]:
    """Read progress lines until the planner is routing a year (mid-solve)."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "assignment and routes" in line:
            time.sleep(0.2)
            return seen
    raise AssertionError(f"the run ended before the solve started: {''.join(seen)}")


def _wait_for_stage(proc: subprocess.Popen, out: Path) -> list[str]:
    """Poll until the staging folder appears (the run is writing its outputs)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if any(p.name.endswith(".partial") for p in _staging(out)):
            return []
        if proc.poll() is not None:
            raise AssertionError("the run ended before its staging folder was seen")
        time.sleep(0.002)
    raise AssertionError("no staging folder within 300 s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", ["solve", "write"])
def test_interrupted_run_leaves_output_as_it_was(earlier_run: Path, sig, phase):
    out = earlier_run
    before = tree_digest(out)
    assert before and _staging(out) == []
    proc = _start(out)
    try:
        early = (_wait_for_solve if phase == "solve" else _wait_for_stage)(proc, out)
        proc.send_signal(sig)
        stdout, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(early) + rest
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    errors = [ln for ln in stderr.splitlines() if not ln.startswith("… ")]
    assert len(errors) == 1 and "interrupted" in errors[0], stderr
    assert stdout == ""
    assert tree_digest(out) == before
    assert _staging(out) == []


def test_next_run_after_interruption_succeeds(earlier_run: Path):
    out = earlier_run
    proc = _start(out)
    try:
        _wait_for_solve(proc, out)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    res = _run(out)
    assert res.returncode == 0, res.stderr
    assert (out / "plan.json").is_file() and (out / "villages.csv").is_file()
    assert _staging(out) == []
