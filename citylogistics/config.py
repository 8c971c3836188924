"""Typed, validated configuration tables read from TOML.

A section of a scenario file maps onto a frozen dataclass.  :func:`build`
checks every key against the dataclass fields (unknown keys get a "did you
mean" hint), every value against the field's annotated type, and every bound
declared in the field metadata, and raises one :class:`InputError` naming the
file, the key and the fix.  Keeping this generic means a new scenario option
is one dataclass field, with its validation for free.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from .errors import InputError


def spec(default: Any = dataclasses.MISSING, *, min: float | None = None, max: float | None = None,
         gt: float | None = None, choices: tuple | None = None, doc: str = "") -> Any:
    """A dataclass field with validation metadata (bounds, choices, a doc line)."""
    meta = {"min": min, "max": max, "gt": gt, "choices": choices, "doc": doc}
    if isinstance(default, (list, dict, set)):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _type_name(tp: Any) -> str:
    if tp is float:
        return "a number"
    if tp is int:
        return "an integer"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return "a list"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, *, where: str, source: str) -> Any:
    """Check ``value`` against annotation ``tp`` and convert lists to tuples."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where=where, source=source)
            except InputError as exc:
                errors.append(exc)
        raise errors[0]
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected a number, got {value!r}", source=source, where=where)
        if math.isnan(value):
            raise InputError("NaN is not allowed; give a number", source=source, where=where)
        if math.isinf(value):
            raise InputError(f"{value} is not allowed; give a finite number (leave the key out for no limit "
                             "where the option allows it)", source=source, where=where)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected an integer, got {value!r}", source=source, where=where)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, got {value!r}", source=source, where=where)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {value!r}", source=source, where=where)
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"expected a list, got {value!r}", source=source, where=where)
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        return tuple(_coerce(v, item_tp, where=f"{where}[{i}]", source=source) for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise InputError(f"expected a table, got {value!r}", source=source, where=where)
        return build(tp, value, source=source, prefix=where)
    return value


def _check_bounds(value: Any, meta: Mapping, *, where: str, source: str) -> None:
    if value is None:
        return
    if isinstance(value, tuple):
        for i, v in enumerate(value):  # name the item: plan.budget_cny[2]
            _check_bounds(v, meta, where=f"{where}[{i}]", source=source)
        return
    for v in (value,):
        if meta.get("choices") and v not in meta["choices"]:
            opts = ", ".join(map(str, meta["choices"]))
            hint = did_you_mean(str(v), map(str, meta["choices"]))
            raise InputError(f"{v!r} is not one of {opts}{hint}", source=source, where=where)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if meta.get("min") is not None and v < meta["min"]:
                raise InputError(f"must be at least {meta['min']}, got {v}", source=source, where=where)
            if meta.get("max") is not None and v > meta["max"]:
                raise InputError(f"must be at most {meta['max']}, got {v}", source=source, where=where)
            if meta.get("gt") is not None and v <= meta["gt"]:
                raise InputError(f"must be greater than {meta['gt']}, got {v}", source=source, where=where)


def build(cls: type, table: Mapping[str, Any], *, source: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table, validating keys, types and bounds."""
    if not isinstance(table, Mapping):
        raise InputError(f"expected a table, got {table!r}", source=source, where=prefix or None)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    for key in table:
        if key not in fields:
            where = f"{prefix}.{key}" if prefix else key
            raise InputError(
                f"unknown key{did_you_mean(key, fields)}; allowed keys: {', '.join(sorted(fields))}",
                source=source, where=where)
    kwargs = {}
    for name, f in fields.items():
        where = f"{prefix}.{name}" if prefix else name
        if name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InputError("missing required key; add it", source=source, where=where)
            continue
        value = _coerce(table[name], hints[name], where=where, source=source)
        _check_bounds(value, f.metadata, where=where, source=source)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except InputError as exc:
        if exc.source is None:
            raise InputError(exc.message, source=source, where=exc.where or prefix or None) from None
        raise


def describe(cls: type) -> list[tuple[str, str, Any, str]]:
    """(key, type, default, doc) rows for documentation of a config section."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "(required)")
        rows.append((f.name, _type_name(hints[f.name]), default, f.metadata.get("doc", "")))
    return rows
