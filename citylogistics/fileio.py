"""Small file helpers: atomic writes and output directories that appear whole
or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file in the same folder as
    ``path``, then rename it into place, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding, newline=""))


def check_output_dir(out_dir: str | Path) -> Path:
    """Refuse, before any work, an output path that exists and is not a directory
    or that lies under a file; missing parent folders are made when outputs are written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            "the output path exists and is a file; give a directory path (existing or new)",
            source=str(out),
        )
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{ancestor} is a file, so no folder can be made under it; choose another --out",
                         source=str(out))
    return out


@contextlib.contextmanager
def staged_output_dir(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``out_dir``; on success it replaces
    ``out_dir`` in one rename, on failure or interruption it is removed and
    ``out_dir`` is left exactly as it was."""
    out = check_output_dir(out_dir).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)  # only now: a failed run before this creates nothing
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; the output folder is ordinary data
    try:
        yield stage
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "prev")
            try:
                os.replace(stage, out)
            except BaseException:
                os.replace(old / "prev", out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
