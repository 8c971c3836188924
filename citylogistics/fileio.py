"""Small file helpers: atomic writes and output directories that appear whole
or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from citylogistics.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
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


#: ``tool`` value in every ``manifest.json`` citylogistics writes (how a folder is recognised as its output)
MANIFEST_TOOL = "citylogistics"
#: longest file-name component and path we create (the staging folder adds ~20 characters to the name)
_NAME_MAX = 255 - 24
_PATH_MAX = 4000


def is_citylogistics_output(folder: str | Path) -> bool:
    """True when ``folder`` holds an earlier citylogistics output: a ``manifest.json``
    written by citylogistics (``"tool": "citylogistics"``, or, for outputs of earlier
    versions, a ``versions`` table naming citylogistics)."""
    import json

    path = Path(folder) / "manifest.json"
    try:
        if path.stat().st_size > 10_000_000:
            return False
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict):
        return False
    versions = doc.get("versions")
    return doc.get("tool") == MANIFEST_TOOL or (isinstance(versions, dict) and "citylogistics" in versions)


def _protected(out: Path) -> str | None:
    """Why ``out`` may never be replaced (even with --overwrite), or None."""
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if resolved == Path(resolved.anchor):
        return "is the root folder"
    if resolved == cwd:
        return "is the current folder"
    if resolved in cwd.parents:
        return "contains the current folder"
    home = Path.home().resolve()
    if resolved == home or resolved in home.parents:
        return "is the home folder" if resolved == home else "contains the home folder"
    return None


def _nearest_existing(out: Path) -> Path:
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    return ancestor


def _check_writable(out: Path, option: str) -> None:
    """The folder that will receive ``out`` exists as a folder, accepts files and
    takes ``out``'s name; nothing is left behind by the check."""
    absolute = out.absolute()
    if len(str(absolute)) > _PATH_MAX:
        raise InputError(
            f"the path is {len(str(absolute))} characters long (at most {_PATH_MAX}); choose a shorter {option}",
            source=_short_path(out),
        )
    for part in absolute.parts:
        if len(part.encode("utf-8")) > _NAME_MAX:
            raise InputError(
                f"a folder or file name in it is longer than {_NAME_MAX} bytes; choose a shorter {option}",
                source=_short_path(out),
            )
    ancestor = _nearest_existing(absolute)
    if not ancestor.is_dir():
        raise InputError(
            f"{_short_path(ancestor)} is a file, so no folder can be made under it; choose another {option}",
            source=_short_path(out),
        )
    try:  # a real probe: os.access says yes to root on read-only file systems
        fd, probe = tempfile.mkstemp(prefix=".citylogistics-probe.", dir=ancestor)
    except OSError as exc:
        raise InputError(
            f"cannot write in {_short_path(ancestor)} ({exc.strerror}); choose another {option}",
            source=_short_path(out),
        ) from None
    os.close(fd)
    os.unlink(probe)


def _short_path(path: str | Path, limit: int = 120) -> str:
    text = str(path)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def check_output_dir(
    out_dir: str | Path, *, overwrite: bool = False, option: str = "--out", reuse: Callable[[Path], bool] | None = None
) -> Path:
    """Refuse, before any work, an output folder the run must not replace.

    ``out_dir`` may be replaced only when it does not exist, is empty, or holds
    an earlier citylogistics output (its manifest; ``reuse`` can accept other
    outputs of the caller's own, e.g. a sweep's folder).  Any other folder needs
    ``overwrite``.  The current folder, its ancestors, the home folder and the
    root are refused even then.  The receiving folder must accept files and
    the path must not be too long.  Nothing is created."""
    if str(out_dir).strip() == "":
        raise InputError("is empty; give the path of a new folder for the outputs", source=option)
    out = Path(out_dir)
    why = _protected(out)
    if why:
        raise InputError(
            f"{why}; the run replaces its output folder, so choose a new folder for {option}", source=_short_path(out)
        )
    if out.exists() and not out.is_dir():
        raise InputError(
            f"the output path exists and is a file; give a folder path (existing or new) for {option}",
            source=_short_path(out),
        )
    if out.is_dir() and not overwrite:
        try:
            empty = next(out.iterdir(), None) is None
        except OSError as exc:
            raise InputError(
                f"cannot list the folder ({exc.strerror}); choose another {option}", source=_short_path(out)
            ) from None
        if not (empty or is_citylogistics_output(out) or (reuse is not None and reuse(out))):
            raise InputError(
                "exists and is not a citylogistics output; choose another folder or pass --overwrite",
                source=_short_path(out),
            )
    _check_writable(out, option)
    return out


def check_output_file(path: str | Path, *, overwrite: bool = False, option: str = "--out") -> Path:
    """Refuse, before any work, an output file that exists (without ``overwrite``),
    is a folder, or cannot be written; nothing is created."""
    if str(path).strip() == "":
        raise InputError("is empty; give the path of the file to write", source=option)
    out = Path(path)
    if out.is_dir():
        raise InputError(f"is a folder; give a file path for {option}", source=_short_path(out))
    if out.exists() and not overwrite:
        raise InputError("exists; choose another file name or pass --overwrite to replace it", source=_short_path(out))
    _check_writable(out, option)
    return out


@contextlib.contextmanager
def staged_output_dir(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``out_dir``; on success it replaces
    ``out_dir`` in one rename, on failure or interruption it is removed and
    ``out_dir`` is left exactly as it was."""
    # callers check ``out_dir`` with check_output_dir (and the user's --overwrite) before any work;
    # this repeats the checks that hold whatever the caller did (never the current folder, home or /)
    out = check_output_dir(out_dir, overwrite=True).absolute()
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
