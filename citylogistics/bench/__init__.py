"""Readers and runners of published benchmark instances.

Modules
    ``vrp_files``  Solomon and CVRPLIB instances
    ``orlib``      OR-Library p-median and capacitated facility location
    ``lrp``        Prodhon's location-routing instances and their solver

May import: ``errors``, ``config``, ``network``, ``routing``, ``location``.
"""

from __future__ import annotations

_EXPORTS = {
    "read_instance": "vrp_files",
    "read_solomon": "vrp_files",
    "read_cvrplib": "vrp_files",
    "read_pmed": "orlib",
    "read_cap": "orlib",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):  # lazy re-exports: importing the subpackage stays light (PEP 562)
    import importlib

    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
