"""The notebooks: stored without outputs, and each runs top to bottom on the
shipped data (executed with nbclient in a python3 kernel from this venv)."""

from __future__ import annotations

import time
from pathlib import Path

import nbclient  # the test extra: a missing package fails, it does not skip
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist():
    """The three notebooks the README promises are in notebooks/."""
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_depot_siting.ipynb", "02_rollout_2011_2015.ipynb", "03_county_routing_pickups.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs; strip them"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count; strip it"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's temporary outputs go to tmp_path
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError with the failing cell on any error
    assert time.perf_counter() - t0 < 120
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # every notebook ends by showing something: a map or a table
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert any(o.output_type == "execute_result" for o in last.outputs)
    # the file on disk is untouched (outputs stay stripped in git)
    on_disk = nbformat.read(path, as_version=4)
    assert all(c.outputs == [] for c in on_disk.cells if c.cell_type == "code")


def test_builder_reproduces_the_committed_notebooks(tmp_path):
    import runpy

    builder = runpy.run_path(str(ROOT / "notebooks" / "_build_notebooks.py"), run_name="builder")
    for p in builder["build"](tmp_path):
        assert p.read_bytes() == (ROOT / "notebooks" / p.name).read_bytes(), \
            f"{p.name} differs from notebooks/_build_notebooks.py; run it and commit both"
