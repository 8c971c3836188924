from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The shared data folder (benchmark instances…): ``../shared`` relative to the repository root.
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path inside the shared data folder; the calling test FAILS (never skips) when it is
    missing, since the files there are required test data."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"required shared data missing: {path} (the shared folder must sit at ../shared "
                    f"relative to the repository root {ROOT})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    """The shared benchmark folder (``../shared/benchmarks``); fails the test when it is missing."""
    return shared_path("benchmarks")


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


# ---------------------------------------------------------------------------
# The suite writes nothing into the checkout: `git status --porcelain` (tracked and
# untracked, non-ignored files) must be the same at the end of the session as at its
# start, and files already dirty at the start must keep their contents.
# ---------------------------------------------------------------------------
def _git_status() -> dict[str, str] | None:
    """``{path: status + content fingerprint}`` of the non-clean, non-ignored files in the
    checkout, or None when git is unavailable or ROOT is not the top of a git checkout."""
    import hashlib

    try:
        top = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=60)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT:
            return None
        res = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-z", "--untracked-files=all"],
                             capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    state: dict[str, str] = {}
    entries = res.stdout.decode("utf-8", "surrogateescape").split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":  # a rename/copy is followed by its source path
            i += 1
        f = ROOT / path
        try:
            digest = hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else "-"
        except OSError:
            digest = "?"
        state[path] = f"{code} {digest}"
    return state


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):  # pytest-xdist worker: the controller checks
        return
    session.config._checkout_before = _git_status()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_checkout_before", None)
    if before is None:
        return
    after = _git_status()
    if after is None:
        return
    # a file that was dirty and is clean now was committed or reverted meanwhile, not written by a test
    changed = sorted(p for p in after if before.get(p) != after[p])
    if not changed:
        return
    lines = [f"  {after[p][:2]} {p}" for p in changed]
    msg = ("the test suite created or modified files in the checkout (tests must write into tmp_path;"
           " in a shared working tree, files someone else edited during the run are listed too):\n"
           + "\n".join(lines))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "checkout modified by the tests", red=True)
        reporter.write_line(msg)
    else:
        print(msg, file=sys.stderr)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
