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

from citylogistics.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
