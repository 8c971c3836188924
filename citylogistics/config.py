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
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any

from citylogistics.errors import InputError, short

#: Ranges shared by the scenario keys (:mod:`citylogistics.scenario.files`) and the CLI's
#: options, kept here because this module loads no numerical library.
DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
MAX_COUNT = 10_000
MAX_CAPACITY = 1_000_000.0
MAX_SEED = 2**31 - 1
#: Datums an input file's points may be in (order and depot files, ``route --crs``).
CRS_CHOICES = ("wgs84", "gcj02")


def spec(
    default: Any = dataclasses.MISSING,
    *,
    min: float | None = None,
    max: float | None = None,
    gt: float | None = None,
    choices: tuple | None = None,
    doc: str = "",
) -> Any:
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
            raise InputError(f"expected a number, got {short(value)}", source=source, where=where)
        if math.isnan(value):
            raise InputError("NaN is not allowed; give a number", source=source, where=where)
        if math.isinf(value):
            raise InputError(
                f"{value} is not allowed; give a finite number (leave the key out for no limit "
                "where the option allows it)",
                source=source,
                where=where,
            )
        if isinstance(value, int) and abs(value) > 1e300:
            raise InputError(
                "is far too large; give a number in the key's range (see the README)", source=source, where=where
            )
        if value != 0 and abs(value) < sys.float_info.min:
            raise InputError(
                f"{value!r} is too small to be a real quantity (a denormal); give 0 or a normal number",
                source=source,
                where=where,
            )
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected an integer, got {short(value)}", source=source, where=where)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, got {short(value)}", source=source, where=where)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {short(value)}", source=source, where=where)
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"expected a list, got {short(value)}", source=source, where=where)
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        return tuple(_coerce(v, item_tp, where=f"{where}[{i}]", source=source) for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise InputError(f"expected a table, got {short(value)}", source=source, where=where)
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
            raise InputError(f"{short(v)} is not one of {opts}{hint}", source=source, where=where)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if meta.get("min") is not None and v < meta["min"]:
                raise InputError(f"must be at least {num(meta['min'])}, got {v:g}", source=source, where=where)
            if meta.get("max") is not None and v > meta["max"]:
                raise InputError(f"must be at most {num(meta['max'])}, got {v:g}", source=source, where=where)
            if meta.get("gt") is not None and v <= meta["gt"]:
                raise InputError(f"must be greater than {num(meta['gt'])}, got {v:g}", source=source, where=where)


def build(cls: type, table: Mapping[str, Any], *, source: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table, validating keys, types and bounds."""
    if not isinstance(table, Mapping):
        raise InputError(f"expected a table, got {short(table)}", source=source, where=prefix or None)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    for key in table:
        if key not in fields:
            where = f"{prefix}.{key}" if prefix else key
            raise InputError(
                f"unknown key{did_you_mean(key, fields)}; allowed keys: {', '.join(sorted(fields))}",
                source=source,
                where=where,
            )
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


def num(v: float) -> str:
    """A bound as people write it: 2147483647, 0.01, 1e+12."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e10 else f"{v:g}"


def value_range(meta: Mapping) -> str:
    """The allowed range of a field, as the README states it (e.g. "> 0 … 10⁶", "0 … 1")."""
    if meta.get("choices"):
        return " / ".join(map(str, meta["choices"]))
    lo = (
        f"> {num(meta['gt'])}"
        if meta.get("gt") is not None
        else (num(meta["min"]) if meta.get("min") is not None else "")
    )
    hi = num(meta["max"]) if meta.get("max") is not None else ""
    if lo and hi:
        return f"{lo} … {hi}"
    return lo or (f"≤ {hi}" if hi else "")


def key_table(cls: type, prefix: str = "") -> list[str]:
    """Markdown rows ``| key | type | range | default |`` for every key of ``cls`` and its sub-tables."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal") or not f.init:
            continue
        tp = hints[f.name]
        union = typing.get_origin(tp) in (typing.Union, types.UnionType)
        inner = [a for a in typing.get_args(tp) if a is not type(None)] if union else [tp]
        sub = next((a for a in inner if isinstance(a, type) and dataclasses.is_dataclass(a)), None)
        if sub is None and typing.get_origin(tp) in (tuple, list):
            sub = next((a for a in typing.get_args(tp) if isinstance(a, type) and dataclasses.is_dataclass(a)), None)
        name = f"{prefix}{f.name}"
        if sub is not None:
            rows += key_table(sub, f"{name}." if typing.get_origin(tp) not in (tuple, list) else f"{name}[].")
            continue
        default = (
            f.default
            if f.default is not dataclasses.MISSING
            else (f.default_factory() if f.default_factory is not dataclasses.MISSING else "required")
        )
        rows.append(f"| `{name}` | {_type_name(inner[0])} | {value_range(f.metadata) or '-'} | {default!s} |")
    return rows


def describe(cls: type) -> list[tuple[str, str, Any, str]]:
    """(key, type, default, doc) rows for documentation of a config section."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        default = (
            f.default
            if f.default is not dataclasses.MISSING
            else (f.default_factory() if f.default_factory is not dataclasses.MISSING else "(required)")
        )
        rows.append((f.name, _type_name(hints[f.name]), default, f.metadata.get("doc", "")))
    return rows


def number_arg(lo: float, hi: float, *, integer: bool = False, lo_open: bool = False):
    """An ``argparse`` type for a command-line option: a finite, normal number (a whole one with
    ``integer``) in [lo, hi] (lo excluded with ``lo_open``); the message names the range."""
    import argparse

    def parse(text: str) -> float | int:
        try:
            v = int(text) if integer else float(text)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {short(text)}") from None
        if not math.isfinite(v) or (v != 0 and abs(v) < sys.float_info.min):
            raise argparse.ArgumentTypeError(f"expected a finite, normal number, got {short(text)}")
        if (v <= lo if lo_open else v < lo) or v > hi:
            low = f"above {num(lo)}" if lo_open else f"from {num(lo)}"
            raise argparse.ArgumentTypeError(f"must be {low} to {num(hi)}, got {short(text)}")
        return v

    return parse
