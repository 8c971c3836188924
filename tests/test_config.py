from __future__ import annotations

import dataclasses

import pytest

from citylogistics.config import build, spec
from citylogistics.errors import InputError


@dataclasses.dataclass(frozen=True)
class Inner:
    rate: float = spec(1.0, min=0)


@dataclasses.dataclass(frozen=True)
class Outer:
    name: str = spec()
    count: int = spec(1, min=1)
    mode: str = spec("a", choices=("a", "b"))
    inner: Inner = spec(Inner())
    items: tuple[Inner, ...] = spec(())
    limit: float | None = spec(None, gt=0)


def test_build_converts_and_defaults():
    o = build(Outer, {"name": "x", "inner": {"rate": 2}, "items": [{"rate": 3}], "limit": 5}, source="f.toml")
    assert o == Outer(name="x", inner=Inner(rate=2.0), items=(Inner(3.0),), limit=5.0)
    assert isinstance(o.inner.rate, float)


@pytest.mark.parametrize("table, where, text", [
    ({"name": "x", "cuont": 2}, "cuont", "did you mean 'count'"),
    ({}, "name", "missing required key"),
    ({"name": "x", "count": 0}, "count", "at least 1"),
    ({"name": "x", "count": True}, "count", "expected an integer"),
    ({"name": "x", "mode": "c"}, "mode", "not one of"),
    ({"name": "x", "inner": {"rate": -1}}, "inner.rate", "at least 0"),
    ({"name": "x", "items": [{"rat": 1}]}, "items[0].rat", "did you mean 'rate'"),
    ({"name": "x", "limit": 0}, "limit", "greater than 0"),
    ({"name": "x", "inner": {"rate": float("nan")}}, "inner.rate", "NaN"),
])
def test_build_rejects_with_location(table, where, text):
    with pytest.raises(InputError) as info:
        build(Outer, table, source="f.toml")
    msg = str(info.value)
    assert msg.startswith(f"f.toml: {where}: ")
    assert text in msg
    assert "\n" not in msg


def test_every_numeric_scenario_key_has_a_range_and_the_readme_states_it():
    """Issue 14: each numeric key has a physical range (an upper bound too) and the README's key table shows it."""
    import dataclasses as dc
    import typing
    from pathlib import Path

    from citylogistics.config import key_table
    from citylogistics.scenario.files import Scenario

    def walk(cls, prefix=""):
        hints = typing.get_type_hints(cls)
        for f in dc.fields(cls):
            if f.metadata.get("internal"):
                continue
            tp = hints[f.name]
            args = [a for a in typing.get_args(tp) if a is not type(None) and a is not Ellipsis] or [tp]
            sub = next((a for a in args if dc.is_dataclass(a)), None)
            if sub is not None:
                yield from walk(sub, f"{prefix}{f.name}.")
            elif any(a in (int, float) for a in args):
                yield f"{prefix}{f.name}", f.metadata

    keys = list(walk(Scenario))
    assert len(keys) > 30
    for key, meta in keys:
        assert meta.get("max") is not None, f"{key} has no upper bound"
        assert meta.get("min") is not None or meta.get("gt") is not None, f"{key} has no lower bound"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [row for row in key_table(Scenario) if row not in readme]
    assert missing == [], f"README key table is out of date (python -m citylogistics.scenario.files prints it): {missing[:3]}"
