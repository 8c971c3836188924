"""Exceptions raised by citylogistics.

Every error a user can cause is an :class:`InputError` whose message is one
line naming the file (or object), the row/field, what is wrong and what to do.
The command line turns these into one line on stderr and exit code 2.
"""

from __future__ import annotations

#: longest message a user sees (one line; the CLI adds its prefix within this)
MAX_MESSAGE = 300


def short(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters with "…", for echoing a user's value back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """One line of at most ``limit`` characters ("…" where it was cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CityLogisticsError(Exception):
    """Base class of every error raised on purpose by citylogistics."""


class InputError(CityLogisticsError, ValueError):
    """Bad input: a file, a field or a parameter a user can fix.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    source
        The file (or object) the bad value came from, if any.
    where
        The row, field or key inside ``source``, if any.
    """

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None):
        self.message = message
        self.source = None if source is None else str(source)
        self.where = where
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.where:
            parts.append(self.where)
        if self.source and len(self.source) > 100:  # a long path: its end names the file
            parts[0] = "…" + self.source[-99:]
        prefix = ": ".join(clip(p, 100) for p in parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return clip(text, MAX_MESSAGE - len("citylogistics: error: "))


class InfeasibleError(CityLogisticsError):
    """A problem that is valid but has no solution at all (rare: plans report
    unserved work instead of raising)."""


class SolverError(CityLogisticsError, RuntimeError):
    """The solver failed for a reason that is not the user's input."""
