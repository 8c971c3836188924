"""The one place the siting models talk to SCIP (through OR-Tools' pywraplp).

:class:`Scip` sets the seed, one thread and the relative gap, charges model
building to the time limit and maps pywraplp's status codes to the plan
statuses ``optimal | feasible | infeasible | timeout``.

Defaults are the siting models' (seeded, gap ``MIP_REL_GAP``, building
charged to the time limit); ``seed=None``, ``rel_gap=None`` and
``charge_build=False`` keep SCIP's own seed, OR-Tools' default relative gap
(1e-4) and the full time limit for the solve, as the phased siting model
of the planner has always used them.
"""

from __future__ import annotations

import math
import time

from citylogistics.errors import SolverError

__all__ = ["Scip", "MIP_REL_GAP"]

MIP_REL_GAP = 1e-9


class Scip:
    """Thin wrapper over a pywraplp SCIP solver: params, status, bound.

    The time limit counts from the wrapper's creation: building the model in
    Python and OR-Tools' extraction of it into SCIP (which happens inside
    ``Solve`` before SCIP's own clock starts, and takes about as long as the
    building) are charged against it, so a solve given T seconds returns in
    about T.  Builders call :meth:`expired` in their loops and give up early.
    """

    def __init__(self, *, time_limit_s: float, seed: int | None, name: str):
        import ortools.linear_solver.pywraplp as pywraplp  # plain import: mypy sees only ortools.linear_solver.python as typed

        self.created = time.perf_counter()
        self.deadline = self.created + float(time_limit_s)
        self.pywraplp = pywraplp
        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:  # pragma: no cover - depends on the OR-Tools build
            raise SolverError("OR-Tools was built without SCIP; install ortools from PyPI")
        solver.SetTimeLimit(max(1, int(1000 * time_limit_s)))
        solver.SetNumThreads(1)
        self._params = "" if seed is None else f"randomization/randomseedshift = {int(seed) % 2**31}\n"
        if self._params:
            solver.SetSolverSpecificParametersAsString(self._params)
        self.solver = solver
        self.name = name

    def add_params(self, text: str) -> None:
        """Add SCIP parameters (``name = value`` lines) to those already set."""
        self._params += text.rstrip("\n") + "\n"
        self.solver.SetSolverSpecificParametersAsString(self._params)

    def expired(self, share: float = 0.5) -> bool:
        """True when model building has used more than ``share`` of the time limit."""
        now = time.perf_counter()
        return now - self.created > share * (self.deadline - self.created)

    def solve(
        self, *, maximize: bool = False, rel_gap: float | None = MIP_REL_GAP, charge_build: bool = True
    ) -> tuple[str, float, float, float]:
        """Return (status, objective, bound, seconds).

        ``rel_gap=None`` keeps OR-Tools' default relative gap; ``charge_build=False``
        gives the solve the whole time limit instead of what building left.
        """
        pywraplp = self.pywraplp
        params = pywraplp.MPSolverParameters()
        if rel_gap is not None:
            params.SetDoubleParam(params.RELATIVE_MIP_GAP, float(rel_gap))
        t0 = time.perf_counter()
        if charge_build:
            build_s = t0 - self.created
            left_s = self.deadline - t0 - build_s  # extraction costs about as much as building
            self.solver.SetTimeLimit(max(1, int(1000 * left_s)))
        code = self.solver.Solve(params)
        seconds = time.perf_counter() - t0
        if code == pywraplp.Solver.OPTIMAL:
            status = "optimal"
        elif code == pywraplp.Solver.FEASIBLE:
            status = "feasible"
        elif code == pywraplp.Solver.INFEASIBLE:
            return "infeasible", math.nan, math.nan, seconds
        elif code == pywraplp.Solver.NOT_SOLVED:
            status = "timeout"
        else:
            raise SolverError(f"SCIP returned status {code} on {self.name}")
        n_int = sum(1 for v in self.solver.variables() if v.integer())
        try:
            bound = self.solver.Objective().BestBound()
        except Exception:  # pragma: no cover
            bound = math.nan
        if n_int == 0 and status == "optimal":
            bound = self.solver.Objective().Value()
        if status == "timeout":
            return status, math.nan, bound, seconds
        return status, self.solver.Objective().Value(), bound, seconds
