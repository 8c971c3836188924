"""Exceptions raised by citylogistics.

Every error a user can cause is an :class:`InputError` whose message is one
line naming the file (or object), the row/field, what is wrong and what to do.
The command line turns these into one line on stderr and exit code 2.
"""

from __future__ import annotations


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
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.split())


class InfeasibleError(CityLogisticsError):
    """A problem that is valid but has no solution at all (rare: plans report
    unserved work instead of raising)."""


class SolverError(CityLogisticsError, RuntimeError):
    """The solver failed for a reason that is not the user's input."""
