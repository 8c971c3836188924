"""Large p-median: Lagrangian bound, fast interchange, reduced-cost fixing and a
reduced exact MIP, on sparse (K-nearest or within-limit) cost lists.

Why: a plain SCIP model of the whole province (25,547 villages × 12 nearest of
~1,400 candidates, p = 400) found no solution in 120 s. Relaxing the
assignment constraints ``sum_j x_ij = 1`` with multipliers ``u_i`` (Beasley
1993) gives, for any ``u``::

    L(u) = sum_i u_i + sum_i min(0, w_i f_i - u_i) + min_{|S| = p} sum_{j in S} rho_j(u)
    rho_j(u) = sum_{i lists j} min(0, w_i c_ij - u_i)

which is a valid lower bound, computed in O(nnz) with numpy. ``f_i`` is the
*fallback* cost: a lower bound on ``c_ij`` for every site ``j`` not in ``i``'s
list (for a K-nearest list, the (K+1)-th smallest cost). Allowing every point
to take its fallback without any open site is a relaxation of the full
problem, so ``L(u)`` bounds the full (dense) problem, not only the sparse one.
``f_i = inf`` means unlisted pairs are not allowed.

Upper bounds come from open sets evaluated with *exact* costs (a callback for
points whose listed sites are all closed), improved by Whitaker's fast
interchange. Reduced costs then fix sites open/closed for good (Beasley's
test: forcing site ``j`` in or out raises the bound above the incumbent), and
the remaining model — much smaller — is solved by SCIP with the radius
formulation of :class:`citylogistics.location.models.PMedian` plus a fallback level.
The final bound is ``min(incumbent, bound of the reduced MIP)`` (an optimum
better than the incumbent must satisfy the fixings) and never below the
Lagrangian bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.mip import Scip
from citylogistics.location.plan import LocationPlan

__all__ = ["SparseCosts", "SparsePMedian"]


@dataclass(frozen=True, eq=False)
class SparseCosts:
    """Cost lists per demand point, sorted by cost (CSR layout).

    Attributes
    ----------
    indptr
        Row ``i``'s entries are ``indptr[i]:indptr[i+1]``.
    site
        Site index of each entry.
    cost
        Cost of each entry (ascending within a row).
    fallback
        Per row: a lower bound on the cost to any *unlisted* site (``inf``:
        unlisted sites are not allowed).
    n_sites
        Number of sites (columns).
    """

    indptr: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    fallback: np.ndarray
    n_sites: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def row(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    @classmethod
    def from_pairs(cls, rows, sites, costs, *, n_rows: int, n_sites: int, fallback=None) -> SparseCosts:
        """Build from (row, site, cost) triples; sorts rows by cost."""
        rows = np.asarray(rows, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        costs = np.asarray(costs, dtype=float)
        keep = np.isfinite(costs)
        rows, sites, costs = rows[keep], sites[keep], costs[keep]
        order = np.lexsort((sites, costs, rows))
        rows, sites, costs = rows[order], sites[order], costs[order]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        indptr = np.cumsum(indptr)
        fb = np.full(n_rows, np.inf) if fallback is None else np.asarray(fallback, dtype=float)
        return cls(indptr=indptr, site=sites, cost=costs, fallback=fb, n_sites=int(n_sites))

    @classmethod
    def from_dense(cls, cost: np.ndarray, *, k: int | None = None) -> SparseCosts:
        """K smallest finite costs per row (all if ``k`` is None); fallback is
        the (k+1)-th smallest (a valid lower bound on the unlisted ones)."""
        cost = np.asarray(cost, dtype=float)
        n, m = cost.shape
        order = np.argsort(cost, axis=1, kind="stable")
        kk = m if k is None else min(k, m)
        sel = order[:, :kk]
        vals = np.take_along_axis(cost, sel, axis=1)
        fb = np.take_along_axis(cost, order[:, kk : kk + 1], axis=1)[:, 0] if kk < m else np.full(n, np.inf)
        rows = np.repeat(np.arange(n), kk)
        return cls.from_pairs(rows, sel.ravel(), vals.ravel(), n_rows=n, n_sites=m, fallback=fb)

    def restrict_rows(self, keep: np.ndarray) -> SparseCosts:
        keep_idx = np.flatnonzero(keep)
        lens = np.diff(self.indptr)[keep_idx]
        starts = self.indptr[keep_idx]
        pos = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lens)]) if len(keep_idx) else np.zeros(0, int)
        indptr = np.concatenate([[0], np.cumsum(lens)])
        return SparseCosts(
            indptr=indptr,
            site=self.site[pos],
            cost=self.cost[pos],
            fallback=self.fallback[keep_idx],
            n_sites=self.n_sites,
        )


# ====================================================================== core
class _Evaluator:
    """Nearest/second-nearest open listed site per row, vectorised."""

    def __init__(self, sc: SparseCosts, w: np.ndarray):
        self.sc = sc
        self.w = w
        self.row = sc.row
        self.starts = sc.indptr[:-1]
        self.n = sc.n_rows

    def ranks(self, open_mask: np.ndarray):
        flag = open_mask[self.sc.site]
        cs = np.cumsum(flag)
        base = np.concatenate([[0], cs])[self.sc.indptr[:-1]]
        rank = cs - base[self.row]
        d1 = self.sc.fallback.copy()
        a1 = np.full(self.n, -1)
        d2 = self.sc.fallback.copy()
        e1 = flag & (rank == 1)
        e2 = flag & (rank == 2)
        d1[self.row[e1]] = self.sc.cost[e1]
        a1[self.row[e1]] = self.sc.site[e1]
        d2[self.row[e2]] = self.sc.cost[e2]
        return d1, a1, d2

    def sparse_cost(self, open_mask: np.ndarray) -> float:
        d1, _, _ = self.ranks(open_mask)
        return float((self.w * d1).sum())


def _interchange(
    ev: _Evaluator,
    open_mask: np.ndarray,
    *,
    fixed_open: np.ndarray,
    allowed: np.ndarray,
    deadline: float,
    max_swaps: int = 100000,
) -> np.ndarray:
    """Whitaker fast interchange (best improving swap each step) on sparse lists."""
    sc, w = ev.sc, ev.w
    m = sc.n_sites
    open_mask = open_mask.copy()
    row = ev.row
    big = 100.0 * (float(sc.cost.max()) if len(sc.cost) else 1.0) + 1.0
    for _ in range(max_swaps):
        if time.perf_counter() > deadline:
            break
        d1, a1, d2 = ev.ranks(open_mask)
        # unreachable (no open listed site, no fallback) costs a finite penalty here
        d1 = np.where(np.isfinite(d1), d1, big)
        d2 = np.where(np.isfinite(d2), d2, big)
        wd1 = w * d1
        # gain of adding site j: sum_i w_i max(0, d1_i - c_ij)
        gain = np.bincount(sc.site, weights=w[row] * np.maximum(0.0, d1[row] - sc.cost), minlength=m)
        # loss of removing open site j: sum_{a1_i = j} w_i (d2_i - d1_i)
        has = a1 >= 0
        loss = np.bincount(a1[has], weights=w[has] * (d2[has] - d1[has]), minlength=m)
        removable = open_mask & ~fixed_open
        addable = allowed & ~open_mask
        if not removable.any() or not addable.any():
            break
        # correction E[in, out] (<= 0) for rows assigned to `out` that list `in` below d2
        a1r = a1[row]
        sel = (a1r >= 0) & (sc.cost < d2[row]) & addable[sc.site]
        rr = row[sel]
        c = sc.cost[sel]
        extra = w[rr] * (np.maximum(0.0, d1[rr] - c) + np.minimum(d2[rr], c) - d2[rr])
        loss_m = np.where(removable, loss, np.inf)
        out_star = int(np.argmin(loss_m))
        best_in = np.where(addable, loss_m[out_star] - gain, np.inf)
        if len(rr):
            from scipy.sparse import coo_matrix

            E = coo_matrix((extra, (sc.site[sel], a1r[sel])), shape=(m, m)).tocsr()
            E.sum_duplicates()
            Ecoo = E.tocoo()
            val = loss_m[Ecoo.col] + Ecoo.data - gain[Ecoo.row]
            ok = np.isfinite(val)
            if ok.any():
                k = np.flatnonzero(ok)[np.argmin(val[ok])]
                cand_in, cand_out, cand_val = int(Ecoo.row[k]), int(Ecoo.col[k]), float(val[k])
            else:
                cand_val = np.inf
        else:
            cand_val = np.inf
        j_in = int(np.argmin(best_in))
        delta, swap = float(best_in[j_in]), (j_in, out_star)
        if cand_val < delta:
            delta, swap = cand_val, (cand_in, cand_out)
        if not (delta < -1e-9 * max(1.0, float(wd1.sum()))):
            break
        open_mask[swap[0]] = True
        open_mask[swap[1]] = False
    return open_mask


def _choose(rho: np.ndarray, p: int, required: np.ndarray, allowed: np.ndarray):
    """Open set minimising sum(rho) with |S| = p, required in, forbidden out."""
    open_mask = required.copy()
    k = p - int(required.sum())
    free = np.flatnonzero(allowed & ~required)
    if k > 0:
        part = free[np.argpartition(rho[free], k - 1)[:k]] if k < len(free) else free
        open_mask[part] = True
    return open_mask


def lagrangian_pmedian(
    sc: SparseCosts,
    w: np.ndarray,
    p: int,
    *,
    required: np.ndarray,
    allowed: np.ndarray,
    exact_cost: Callable[[np.ndarray], float],
    time_limit_s: float,
    max_iter: int = 3000,
    seed: int = 0,
):
    """Subgradient optimisation of the Lagrangian bound with a primal heuristic.

    Returns
    -------
    dict
        ``lb`` (float), ``u`` (multipliers), ``rho`` at the best ``u``,
        ``open`` (best open mask), ``ub`` (its exact cost), ``iters``.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    ev = _Evaluator(sc, w)
    row = ev.row
    wc = w[row] * sc.cost
    wf = np.where(np.isfinite(sc.fallback), w * np.where(np.isfinite(sc.fallback), sc.fallback, 0), np.inf)
    # start: u_i = weighted cost of the 2nd listed site (or the 1st)
    lens = np.diff(sc.indptr)
    second = np.where(lens >= 2, sc.indptr[:-1] + 1, sc.indptr[:-1])
    u = np.where(lens > 0, wc[np.minimum(second, len(wc) - 1)] if len(wc) else 0.0, 0.0)
    u = np.minimum(u, wf)
    # initial incumbent: greedy by demand mass, then interchange
    mass = np.bincount(sc.site, weights=np.where(sc.indptr[1:][row] - 1 >= 0, w[row], 0), minlength=sc.n_sites)
    init = _choose(-mass, p, required, allowed)
    best_open = _interchange(ev, init, fixed_open=required, allowed=allowed, deadline=t0 + 0.3 * time_limit_s)
    ub = exact_cost(best_open)
    lb, best_u, best_rho = -math.inf, u.copy(), None
    lam, stall = 2.0, 0
    it = 0
    for it in range(1, max_iter + 1):
        r = wc - u[row]
        rho = np.bincount(sc.site, weights=np.minimum(r, 0.0), minlength=sc.n_sites)
        open_mask = _choose(rho, p, required, allowed)
        fbterm = np.minimum(0.0, wf - u)
        L = float(u.sum() + fbterm.sum() + rho[open_mask].sum())
        if best_rho is None or L > lb + 1e-9 * max(1.0, abs(lb)):
            lb, best_u, best_rho, stall = L, u.copy(), rho.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                lam *= 0.5
                stall = 0
        if it % 10 == 1:
            cand = open_mask
            c = ev.sparse_cost(cand)
            if c < ub:
                c_exact = exact_cost(cand)
                if c_exact < ub:
                    ub, best_open = c_exact, cand.copy()
        if ub - lb <= 1e-6 * max(1.0, abs(ub)) or lam < 1e-4 or time.perf_counter() > deadline:
            break
        x = (r < 0) & open_mask[sc.site]
        g = 1.0 - np.bincount(row, weights=x.astype(float), minlength=sc.n_rows) - (wf - u < 0)
        norm = float((g * g).sum())
        if norm == 0:
            break
        u = u + lam * (ub - L) / norm * g
    return {
        "lb": lb,
        "u": best_u,
        "rho": best_rho,
        "open": best_open,
        "ub": ub,
        "iters": it,
        "seconds": time.perf_counter() - t0,
    }


def reduced_cost_fixing(lb: float, rho: np.ndarray, ub: float, p: int, *, required: np.ndarray, allowed: np.ndarray):
    """Beasley's tests: sites provably closed / open in any solution better than ``ub``.

    Returns (closed_mask, open_mask) among allowed, non-required sites.
    """
    free = np.flatnonzero(allowed & ~required)
    k = p - int(required.sum())
    closed = np.zeros_like(allowed)
    opened = np.zeros_like(allowed)
    if k <= 0 or k >= len(free):
        return closed, opened
    order = free[np.argsort(rho[free], kind="stable")]
    chosen, rest = order[:k], order[k:]
    last_in = rho[chosen[-1]]
    first_out = rho[rest[0]]
    tol = 1e-9 * max(1.0, abs(ub))
    closed[rest[lb + rho[rest] - last_in > ub + tol]] = True
    opened[chosen[lb - rho[chosen] + first_out > ub + tol]] = True
    return closed, opened


def reduced_mip(
    sc: SparseCosts,
    w: np.ndarray,
    p: int,
    *,
    required: np.ndarray,
    allowed: np.ndarray,
    hint: np.ndarray | None,
    time_limit_s: float,
    seed: int,
):
    """Radius formulation on sparse lists with a fallback level (see module doc).

    Returns (status, open_mask or None, objective, bound).
    """
    scip = Scip(time_limit_s=time_limit_s, seed=seed, name="p_median/reduced")
    s = scip.solver
    y = [
        s.IntVar(1 if required[j] else 0, 1 if allowed[j] else 0, "") if (allowed[j] or required[j]) else None
        for j in range(sc.n_sites)
    ]
    s.Add(sum(v for v in y if v is not None) == p)
    m_allowed = int(allowed.sum())
    terms, const = [], 0.0
    for i in range(sc.n_rows):
        if i % 64 == 0 and scip.expired():
            return "timeout", None, math.nan, math.nan
        wi = float(w[i])
        if wi <= 0:
            continue
        a, b = sc.indptr[i], sc.indptr[i + 1]
        sites, costs = sc.site[a:b], sc.cost[a:b]
        keep = allowed[sites]
        sites, costs = sites[keep], costs[keep]
        fb = float(sc.fallback[i])
        if len(sites) == 0:
            const += wi * fb
            continue
        levels, starts = np.unique(costs, return_index=True)
        ends = np.append(starts[1:], len(sites))
        const += wi * float(levels[0])
        prev = None
        nxt = list(levels[1:]) + [fb]
        for k in range(len(levels)):
            if ends[k] >= m_allowed - p + 1:
                break
            step = float(nxt[k] - levels[k])
            group = sites[starts[k] : ends[k]]
            if not math.isfinite(step):  # no fallback: some listed site must be open
                s.Add(sum(y[j] for j in sites) >= 1)
                break
            z = s.NumVar(0, 1, "")
            if prev is None:
                s.Add(z + sum(y[j] for j in group) >= 1)
            else:
                s.Add(z - prev + sum(y[j] for j in group) >= 0)
            terms.append(wi * step * z)
            prev = z
    s.Minimize(sum(terms) + const if terms else const)
    if hint is not None:
        pairs = [(y[j], 1.0 if hint[j] else 0.0) for j in range(sc.n_sites) if y[j] is not None]
        s.SetHint([v for v, _ in pairs], [h for _, h in pairs])
    status, obj, bound, _ = scip.solve()
    if status in ("infeasible", "timeout"):
        return status, None, math.nan, bound
    mask = np.array([(v is not None and v.solution_value() > 0.5) for v in y])
    return status, mask, obj, bound


# ================================================================== the model
@dataclass(frozen=True, eq=False)
class SparsePMedian:
    r"""p-median on sparse cost lists (K nearest or within a limit) with a
    valid bound for the *full* problem; for province-size instances.

    Formulation: as :class:`citylogistics.location.models.PMedian`; pairs not listed
    for a point cost at least its ``fallback``. Method (module docstring):
    Lagrangian relaxation of the assignment constraints → incumbent by fast
    interchange → reduced-cost fixing → reduced radius MIP on SCIP.

    Parameters
    ----------
    demand_ids, site_ids
        Row and column ids.
    costs
        :class:`SparseCosts`.
    weights
        Demand per point (>= 0).
    p
        Sites to open.
    exact_cost
        ``f(open_mask) -> per-point cost array``: exact cost of each point to
        its nearest open site (used for upper bounds and the plan). If None,
        points with no open listed site cost their fallback and are reported
        unassigned; the objective is then only a lower estimate and the status
        at best "feasible".
    """

    demand_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    costs: SparseCosts
    weights: np.ndarray
    p: int
    required_sites: tuple[str, ...] = ()
    forbidden_sites: tuple[str, ...] = ()
    exact_cost: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    source: str = "sparse costs"

    def __post_init__(self):
        src = self.source
        n, m = len(self.demand_ids), len(self.site_ids)
        if m == 0:
            raise InputError("no candidate sites", source=src, where="site_ids")
        if self.costs.n_rows != n or self.costs.n_sites != m:
            raise InputError(
                f"cost lists are {self.costs.n_rows} × {self.costs.n_sites}, expected {n} × {m}",
                source=src,
                where="costs",
            )
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (n,) or not np.isfinite(w).all():
            raise InputError(f"weights must be {n} finite numbers", source=src, where="weights")
        if (w < 0).any():
            i = int(np.flatnonzero(w < 0)[0])
            raise InputError(f"negative demand {w[i]}", source=src, where=f"weights[{self.demand_ids[i]!r}]")
        object.__setattr__(self, "weights", w)
        both = sorted(set(self.required_sites) & set(self.forbidden_sites))
        if both:
            raise InputError(
                f"sites {both} are both required and forbidden", source=src, where="required_sites/forbidden_sites"
            )
        n_allowed = m - len(set(self.forbidden_sites))
        if not (1 <= self.p <= n_allowed):
            raise InputError(f"p = {self.p} must be between 1 and the {n_allowed} allowed sites", source=src, where="p")
        if len(set(self.required_sites)) > self.p:
            raise InputError("more required sites than p", source=src, where="required_sites")

    def _masks(self):
        index = {s: j for j, s in enumerate(self.site_ids)}
        allowed = np.ones(len(self.site_ids), dtype=bool)
        required = np.zeros(len(self.site_ids), dtype=bool)
        for s in self.forbidden_sites:
            allowed[index[s]] = False
        for s in self.required_sites:
            required[index[s]] = True
        return allowed, required

    def _integral(self) -> bool:
        fb = self.costs.fallback[np.isfinite(self.costs.fallback)]
        return bool(
            np.all(self.weights == np.round(self.weights))
            and np.all(self.costs.cost == np.round(self.costs.cost))
            and np.all(fb == np.round(fb))
        )

    def _exact(self, open_mask: np.ndarray):
        """(cost per point, site index per point or -1)."""
        if self.exact_cost is not None:
            return self.exact_cost(open_mask)
        ev = _Evaluator(self.costs, self.weights)
        d1, a1, _ = ev.ranks(open_mask)
        return d1, a1

    def solve(self, *, time_limit_s: float = 120.0, seed: int = 0, lagrangian_share: float = 0.4) -> LocationPlan:
        """Solve; returns a plan with a valid lower bound and its gap.

        Parameters
        ----------
        time_limit_s
            Total wall time.
        lagrangian_share
            Share of the time for the Lagrangian phase; the rest goes to the
            reduced MIP.
        """
        t0 = time.perf_counter()
        allowed, required = self._masks()
        w = self.weights
        exact_total = lambda mask: float((w * self._exact(mask)[0]).sum())  # noqa: E731
        lag = lagrangian_pmedian(
            self.costs,
            w,
            self.p,
            required=required,
            allowed=allowed,
            exact_cost=exact_total,
            time_limit_s=lagrangian_share * time_limit_s,
            seed=seed,
        )
        lb, ub, best_open = lag["lb"], lag["ub"], lag["open"]
        ev = _Evaluator(self.costs, w)
        remaining = time_limit_s - (time.perf_counter() - t0)
        # polish the incumbent once more from the Lagrangian solution
        cand = _choose(lag["rho"], self.p, required, allowed)
        cand = _interchange(
            ev, cand, fixed_open=required, allowed=allowed, deadline=time.perf_counter() + 0.15 * remaining
        )
        c = exact_total(cand)
        if c < ub:
            ub, best_open = c, cand
        closed, opened = reduced_cost_fixing(lb, lag["rho"], ub, self.p, required=required, allowed=allowed)
        red_allowed = allowed & ~closed
        red_required = required | opened
        remaining = time_limit_s - (time.perf_counter() - t0)
        mip_status, mip_bound = "skipped", math.nan
        if ub - lb > 1e-9 * max(1.0, abs(ub)) and remaining > 1.0:
            mip_status, mask, mobj, mip_bound = reduced_mip(
                self.costs,
                w,
                self.p,
                required=red_required,
                allowed=red_allowed,
                hint=best_open & red_allowed,
                time_limit_s=remaining,
                seed=seed,
            )
            if mask is not None:
                c = exact_total(mask)
                if c < ub:
                    ub, best_open = c, mask
            if math.isfinite(mip_bound):
                # an optimum better than the incumbent satisfies the fixings
                lb = max(lb, min(ub, mip_bound))
        if self._integral():
            # integer data: the optimum is an integer, so the bound rounds up
            lb = float(math.ceil(lb - 1e-7 * max(1.0, abs(lb))))
        if ub - lb <= 1e-9 * max(1.0, abs(ub)):
            lb = ub
        cost_i, site_i = self._exact(best_open)
        status = "optimal" if lb >= ub - 1e-9 * max(1.0, abs(ub)) else "feasible"
        assignment = {d: (self.site_ids[site_i[i]] if site_i[i] >= 0 else None) for i, d in enumerate(self.demand_ids)}
        covered = site_i >= 0
        gap = 0.0 if status == "optimal" else (ub - lb) / max(abs(ub), 1e-9)
        return LocationPlan(
            model="p_median",
            open_sites=tuple(self.site_ids[j] for j in np.flatnonzero(best_open)),
            assignment=assignment,
            objective=float(ub),
            bound=float(lb),
            gap=float(gap),
            status=status,
            covered_demand=float(w[covered].sum()),
            total_demand=float(w.sum()),
            covered_points=int(covered.sum()),
            n_points=len(self.demand_ids),
            solve_time_s=time.perf_counter() - t0,
            extra={
                "p": self.p,
                "solver": "lagrangian+interchange+reduced SCIP",
                "lagrangian_bound": float(lag["lb"]),
                "lagrangian_iters": int(lag["iters"]),
                "lagrangian_s": float(lag["seconds"]),
                "fixed_closed": int(closed.sum()),
                "fixed_open": int(opened.sum()),
                "reduced_mip_status": mip_status,
                "reduced_mip_bound": float(mip_bound),
                "nnz": int(len(self.costs.site)),
            },
        )
