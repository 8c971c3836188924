"""Readers and runners of published benchmark instances.

Modules
    ``vrp_files``  Solomon and CVRPLIB instances
    ``orlib``      OR-Library p-median and capacitated facility location
    ``lrp``        Prodhon's location-routing instances and their solver

May import: ``errors``, ``config``, ``network``, ``routing``, ``location``.
"""

from __future__ import annotations

from citylogistics.lazy import lazy_exports

_EXPORTS = {
    "read_instance": "vrp_files",
    "read_solomon": "vrp_files",
    "read_cvrplib": "vrp_files",
    "read_pmed": "orlib",
    "read_cap": "orlib",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
