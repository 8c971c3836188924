"""Regenerate README.md from cases.toml by running every case (python _readme.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAD = """# Catalogue of bad inputs

Run by `tests/test_invalid_inputs.py`: each case in `cases*.toml` runs
`python -m citylogistics ARGS` in this folder and must exit with code 2, print
exactly one line on stderr containing every `expect` substring (the file, the
field or row, what to do), print no traceback, and leave the output path as it
was (`out`: absent, an earlier run's files, or a file).  Paths inside scenarios
are relative to the scenario file (`scenario/`), so the network and override
cases point at `network/` and `overrides/`.

Two issue items have no command-line input: **inverted time windows** exist only
on `citylogistics.routing.problem.Stop` (no scenario key or CSV reaches them), and
stop quantities likewise; they are tested at the library level
(`test_inverted_time_window_names_the_field`, `test_bad_stop_quantity_names_the_field`).
Non-numeric and negative **demand** are the scenario's `[demand]` rates.
An **unreadable** file is shown by binary and UTF-16 files: tests run as root in
CI, where permission bits do not stop reading.

Valid but unservable problems are not errors (`test_unservable_route_run_writes_plan_with_reasons`).

Regenerate this table after changing a case: `python _readme.py` (in this folder).
`{out}` below is the temporary output path.

| case | what | command | stderr (one line) |
|---|---|---|---|
"""


def main() -> None:
    cases = [c for f in sorted(HERE.glob("cases*.toml")) for c in tomllib.loads(f.read_text(encoding="utf-8"))["case"]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for c in cases:
            out = Path(tmp) / c["id"] / "out"
            out.parent.mkdir()
            if c["out"] in ("existing", "unrelated"):
                out.mkdir()
                (out / "notes.txt").write_text("mine\n")
                if c["out"] == "existing":
                    (out / "manifest.json").write_text('{"tool": "citylogistics"}\n')
            if c["out"] == "file":
                out.write_text("keep me\n")
            args = [a.replace("{out}", str(out)).replace("{home}", str(Path.home())) for a in c["args"]]
            res = subprocess.run([sys.executable, "-m", "citylogistics", *args], capture_output=True, text=True,
                                 cwd=HERE, env=dict(os.environ, CI="true"))
            line = res.stderr.strip().replace(str(out), "{out}").replace("|", "\\|")
            shown = " ".join(a if a != str(out) else "{out}" for a in c["args"]).replace("|", "\\|")
            rows.append(f"| `{c['id']}` | {c['what']} | `{shown}` | exit {res.returncode}: `{line}` |")
            print(c["id"], res.returncode, file=sys.stderr)
    (HERE / "README.md").write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
