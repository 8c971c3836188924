"""Vehicle routing: describe the problem, solve it, read the plan.

Modules
    ``problem``       :class:`RoutingProblem`, :class:`Stop`, :class:`VehicleType` (add a vehicle attribute here)
    ``params``        :class:`SolveParams`, :class:`IntPolicy` (float -> integer policy), :class:`RouteSpec`:
                      what both engines share
    ``solver``        :func:`solve`: the engine choice and the plan built from the engine's answer
    ``ortools_engine`` the OR-Tools engine
    ``pyvrp_engine``  the PyVRP engine
    ``plan``          :class:`RoutePlan`, the result, its :class:`SolverStats`, and the reason codes of unserved stops
    ``check``         an independent check of a plan against its problem
    ``orders``        order lists (CSV with time windows) → a routing problem: the file format and the public names
    ``orders_read``   reading and checking order and depot files
    ``orders_problem`` :class:`OrdersProblem` (orders → a :class:`RoutingProblem`) and the independent plan check

May import: ``errors``, ``geo``, ``config``, ``network``. Nothing from ``location``,
``planner``, ``outputs``, ``scenario`` or ``cli``.
"""

from __future__ import annotations

_EXPORTS = {
    "RoutingProblem": "problem",
    "Stop": "problem",
    "VehicleType": "problem",
    "SolveParams": "params",
    "solve": "solver",
    "RoutePlan": "plan",
    "SolverStats": "plan",
    "REASONS": "plan",
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
