"""Exact quadratic weights with transaction costs, a turnover limit and sector caps.

Minimum and mean variance with proportional costs and a turnover limit solve

    min 0.5 w'Qw - m'w + c |w - w0|_1   s.t.  1'w = 1,  lb <= w <= ub,  G w <= caps,
                                              |w - w0|_1 <= tau

whose only non-smoothness is a kink at each current weight ``w0_i``. Every asset is in
one of five states: at its lower or upper bound, held (``w_i = w0_i``), bought or sold;
with the states fixed the problem is an equality-constrained quadratic, one Cholesky
solve. A primal-dual active set (semismooth Newton on the prox of the separable part,
Hintermueller, Ito & Kunisch 2002) re-assigns all states at once from the solution and
its multipliers and stops when they repeat, in 1 to 40 solves at 500 assets, where an
interior-point method needs 20 to 30 factorisations of a system up to four times as
large. Two paths lead to the costs: from the cost-free solution by continuation (a cost
step whose strategy cycles is halved), or, when the cost is near the one at which
holding the current book is optimal (a daily rebalance), down from the book; where the
primal-dual strategy cycles there, the primal active set (one state change per solve,
no cycling) finishes from the last solution, which stays feasible because costs change
only the objective. A reward ``m`` that makes the cold start cycle is brought in by
continuation from minimum variance. The turnover limit is priced: its multiplier ``nu``
adds to the cost, and ``nu`` is found by Newton's method on the turnover, which is
affine in ``nu`` while the states hold, so the root is exact once the right states are
found. Maximum Sharpe uses the same machinery on the homogenised program
(:func:`tangency_weights`).

The fixed point is checked against every KKT condition (feasibility of each state,
subgradient of each held or bound asset, sign of each cap's multiplier); anything it
cannot vouch for (a cycle of states, a singular free block, an unreachable turnover
limit) comes back as ``status="failed: ..."`` for the caller's general solver.

References
----------
M. Hintermueller, K. Ito, K. Kunisch (2002), "The primal-dual active set strategy as a
semismooth Newton method", SIAM J. Optim. 13(3), 865-888.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

#: Solves at one cost before the strategy is declared not converging there (it is not
#: globally convergent on matrices that are not M-matrices; warm starts converge in 1-40
#: at 500 assets): the cost step is then halved (continuation).
MAX_ITERATIONS = 40
#: Solves per path (every cost step and price step) before the method gives up: at 500
#: assets a solve costs 0.2-0.5 ms, so a decline costs at most about one interior-point
#: solve (the primal path from the book needed 208 on a daily rebalance at 500 assets).
SOLVE_BUDGET = 300
#: Solves from the cold start (every asset free) before declaring no convergence: a
#: cold start re-assigns many assets at once and may need several times a warm step's.
MAX_COLD_ITERATIONS = 60
#: Solves of the primal active set (one state change each) before it gives up.
PRIMAL_ITERATIONS = 500
#: A cost at least this fraction of the cost that holds the book starts from the book:
#: few states change on the way down (a daily rebalance); below it, from no costs.
NEAR_HOLD = 0.5
#: The variance of a target-volatility answer meets its target to this relative precision.
TARGET_RTOL = 1e-9
#: A weight change below this is round-off of the solve, not a move (weights are O(1)).
STEP_TOL = 1e-14
#: Halvings of a cost step before the continuation gives up (a step of 1/256th of the
#: cost is a small perturbation of a solved problem: the strategy converges locally).
MAX_HALVINGS = 8
#: Steps of a one-dimensional search (Newton on the turnover price; bracketing and
#: regula falsi on the frontier tilt of a variance target); each is one warm-started
#: active-set solve, and a search that needs more declines.
MAX_PRICE_STEPS = 60
#: Feasibility tolerance of the weights (bounds, kinks, caps, turnover), on weights of
#: order 1: far above the ~1e-13 rounding of the solves, far below any visible breach.
KKT_TOL = 1e-9
#: Subgradient tolerance relative to the largest gradient entry (as the critical line's).
MULTIPLIER_RTOL = 1e-7
#: A turnover price above this multiple of the largest gradient entry buys no further
#: reduction: every asset is held, so a turnover still above the limit is unreachable.
PRICE_CEILING = 1e6
#: A pivot of the multiplier system below this fraction of its scale: a row (budget or
#: cap) that no free asset can move.
PIVOT_TOL = 1e-12


class State(IntEnum):
    """Where an asset is: at a bound, held at its current weight, or traded."""

    LOW = 0
    HIGH = 1
    HELD = 2
    BUY = 3
    SELL = 4


@dataclass(frozen=True)
class ActiveSetSolution:
    """The weights of :func:`quadratic_weights`, or why there are none.

    Attributes
    ----------
    weights : numpy.ndarray or None
        Optimal weights, None when the method declined.
    status : str
        ``"optimal"`` or ``"failed: <why>"``.
    iterations : int
        Linear solves in all.
    turnover_price : float
        Multiplier of the turnover limit (0 when it does not bind).
    """

    weights: np.ndarray | None
    status: str
    iterations: int
    turnover_price: float = 0.0


class _Declined(Exception):
    pass


class _DependentRows(_Declined):
    """The working set holds more rows than the free assets can meet."""


@dataclass
class _Point:
    """One solve: weights, the subgradient they need, multipliers and the solve's pieces."""

    w: np.ndarray
    zeta: np.ndarray
    eta: np.ndarray
    state: np.ndarray
    active: np.ndarray
    slope: float  # d turnover / d cost on these states


class _Problem:
    def __init__(self, q, m, lb, ub, w0, groups, budget=None):
        self.q, self.m, self.lb, self.ub, self.w0 = q, m, lb, ub, w0
        self.a = np.ones(len(m)) if budget is None else budget
        self.g, self.caps = groups if groups is not None else (np.zeros((0, len(m))), np.zeros(0))
        self.rho = np.diag(q).copy()
        self.inner = (lb < w0) & (w0 < ub)
        self.solves = 0
        #: Fraction of the linear reward in force (the continuation in m starts from 0).
        self.tilt = 1.0
        self.scale = max(float(np.max(np.abs(q @ np.clip(w0, lb, ub) - m))), 1.0)

    def states(self, v: np.ndarray, cost: float) -> np.ndarray:
        """The prox of the separable part at ``v``, as states (``v = w + zeta / rho``)."""
        lb, ub, w0, step = self.lb, self.ub, self.w0, cost / self.rho
        up, down = v - step, v + step
        state = np.where(up >= ub, State.HIGH, State.BUY)
        state = np.where(down <= lb, State.LOW, np.where(down < w0, State.SELL, state))
        held = self.inner & (up <= w0) & (down >= w0)
        state = np.where(held, State.HELD, state)
        # A current weight at or outside a bound leaves one slope on [lb, ub].
        below, above = w0 <= lb, w0 >= ub
        state = np.where(
            below, np.where(up <= lb, State.LOW, np.where(up >= ub, State.HIGH, State.BUY)), state
        )
        state = np.where(
            above,
            np.where(down >= ub, State.HIGH, np.where(down <= lb, State.LOW, State.SELL)),
            state,
        )
        state = state.astype(np.int8)
        if not np.any((state == State.BUY) | (state == State.SELL)):
            self._free_one(state, v)
        return state

    def _free_one(self, state: np.ndarray, v: np.ndarray) -> None:
        """Every asset fixed and the budget missed: free the asset that wants it most."""
        w = np.select(
            [state == State.LOW, state == State.HIGH, state == State.HELD],
            [self.lb, self.ub, self.w0],
            0.0,
        )
        gap = 1.0 - self.a @ w
        if abs(gap) <= KKT_TOL:
            return
        # Assets whose move towards the budget row is allowed: up if their coefficient
        # has the gap's sign (and they are not at the upper bound), down otherwise.
        up = (np.sign(self.a) == np.sign(gap)) & (state != State.HIGH)
        down = (np.sign(self.a) == -np.sign(gap)) & (state != State.LOW)
        if not np.any(up | down):
            return
        pull = np.where(up, v, np.where(down, -v, -np.inf))
        pick = int(np.argmax(pull))
        # Moving up from w: above the current weight (or at it) it is a purchase.
        rises = bool(up[pick])
        buy = w[pick] > self.w0[pick] or (w[pick] == self.w0[pick] and rises)
        state[pick] = State.BUY if buy else State.SELL

    def solve(self, state: np.ndarray, active: np.ndarray, cost: float) -> _Point:
        q, lb, ub, w0 = self.q, self.lb, self.ub, self.w0
        free = (state == State.BUY) | (state == State.SELL)
        sigma = np.where(state == State.BUY, 1.0, np.where(state == State.SELL, -1.0, 0.0))
        w = np.select(
            [state == State.LOW, state == State.HIGH, state == State.HELD], [lb, ub, w0], 0.0
        )
        rows = np.vstack([self.a, self.g[active]])
        rhs = np.concatenate([[1.0], self.caps[active]])
        f = np.flatnonzero(free)
        self.solves += 1
        if self.solves > SOLVE_BUDGET:
            raise _Declined(f"no solution within {SOLVE_BUDGET} solves")
        if not len(f):
            return self._all_fixed(w, state, active, rows, rhs)
        qf = q[np.ix_(f, f)]
        try:
            chol = cho_factor(qf, lower=True, check_finite=False)
        except LinAlgError as exc:
            raise _Declined("the covariance is singular on the traded assets") from exc
        b = self.tilt * self.m[f] - cost * sigma[f] - q[f] @ w
        ef = rows[:, f]
        if len(ef) > len(f):
            # More equations than free assets: dependent whatever rounding says (LAPACK
            # flags only exact zero pivots, so the Schur solve below may not notice).
            raise _DependentRows("more budget and cap rows than free assets")
        x = cho_solve(chol, np.column_stack([b, -sigma[f], ef.T]), check_finite=False)
        u, du, v = x[:, 0], x[:, 1], x[:, 2:]
        schur = ef @ v
        if np.min(np.abs(np.diag(schur))) <= PIVOT_TOL * max(np.max(np.abs(schur)), 1.0):
            raise _DependentRows("a budget or cap row has no free asset")
        try:
            lam, dlam = np.linalg.solve(
                schur, np.column_stack([ef @ u - (rhs - rows @ w), ef @ du])
            ).T
        except np.linalg.LinAlgError as exc:
            raise _DependentRows(
                "the budget and cap rows are dependent on the traded assets"
            ) from exc
        w[f] = u - v @ lam
        slope = float(sigma[f] @ (du - v @ dlam))
        zeta = -(q @ w - self.tilt * self.m + rows.T @ lam)
        eta = np.zeros(len(self.caps))
        eta[active] = lam[1:]
        return _Point(w=w, zeta=zeta, eta=eta, state=state, active=active, slope=slope)

    def _all_fixed(self, w, state, active, rows, rhs) -> _Point:
        """Every asset at a bound or held: feasible only if the rows already hold."""
        if np.any(self.a != 1.0):
            raise _Declined("no asset is free to meet the budget")
        if np.any(np.abs(rows[0] @ w - rhs[0]) > KKT_TOL) or np.any(
            np.abs(rows[1:] @ w - rhs[1:]) > KKT_TOL
        ):
            raise _Declined("no asset is free to meet the budget")
        # The budget's multiplier is any value that keeps every subgradient in range: the
        # middle of the range the held assets allow.
        grad = self.q @ w - self.tilt * self.m
        y = -(np.max(grad) + np.min(grad)) / 2 / max(float(np.max(np.abs(rows[0]))), 1e-300)
        zeta = -(grad + y * rows[0])
        return _Point(
            w=w, zeta=zeta, eta=np.zeros(len(self.caps)), state=state, active=active, slope=0.0
        )

    def _segments(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interval each traded asset may move in: [w0, ub] bought, [lb, w0] sold."""
        kink_low = np.maximum(self.w0, self.lb)
        kink_high = np.minimum(self.w0, self.ub)
        lo = np.where(state == State.BUY, kink_low, np.where(state == State.SELL, self.lb, -np.inf))
        hi = np.where(state == State.BUY, self.ub, np.where(state == State.SELL, kink_high, np.inf))
        return lo, hi

    def _releases(self, p: _Point, cost: float) -> tuple[float, int, int]:
        """The fixed asset (or active cap) whose release lowers the objective most.

        Returns (violation, index, new state); index -1 - k for cap k. Violation 0: none.
        """
        z, s, lb, ub, w0 = p.zeta, p.state, self.lb, self.ub, self.w0
        tol = MULTIPLIER_RTOL * self.scale
        # Directional derivatives of moving up (d_up) and down (d_down) from a fixed asset.
        up_slope = np.where(p.w < w0, -cost, cost)  # up from below the book: less sold
        down_slope = np.where(p.w > w0, -cost, cost)  # down from above: less bought
        d_up = -z + up_slope
        d_down = z + down_slope
        can_up = (s == State.LOW) | (s == State.HELD)
        can_down = (s == State.HIGH) | (s == State.HELD)
        can_up &= p.w < ub - KKT_TOL
        can_down &= p.w > lb + KKT_TOL
        gain_up = np.where(can_up, -d_up, 0.0)
        gain_down = np.where(can_down, -d_down, 0.0)
        best, index, new = 0.0, 0, 0
        i = int(np.argmax(gain_up))
        if gain_up[i] > max(tol, best):
            best, index = float(gain_up[i]), i
            new = State.BUY if p.w[i] >= w0[i] else State.SELL
        j = int(np.argmax(gain_down))
        if gain_down[j] > max(tol, best):
            best, index = float(gain_down[j]), j
            new = State.SELL if p.w[j] <= w0[j] else State.BUY
        if np.any(p.active):
            k = int(np.argmin(np.where(p.active, p.eta, np.inf)))
            if -p.eta[k] > max(tol, best):
                best, index, new = float(-p.eta[k]), -1 - k, 0
        return best, index, new

    def primal(self, cost: float, start: _Point) -> tuple[_Point, int]:
        """The primal active set from a feasible point: one state change per solve."""
        state, active, w = start.state.copy(), start.active.copy(), start.w.copy()
        for it in range(1, PRIMAL_ITERATIONS + 1):
            target = self.solve(state, active, cost)
            d = target.w - w
            lo, hi = self._segments(state)
            with np.errstate(divide="ignore", invalid="ignore"):
                # Moves below rounding (1e-14 of a weight) do not block: a traded asset
                # at its segment's end with a round-off step against it would stall.
                room = np.where(
                    d > STEP_TOL, (hi - w) / d, np.where(d < -STEP_TOL, (lo - w) / d, np.inf)
                )
                gd = self.g @ d
                cap_room = np.where(~active & (gd > 0), (self.caps - self.g @ w) / gd, np.inf)
            room = np.clip(room, 0.0, None)
            i = int(np.argmin(room)) if len(room) else 0
            k = int(np.argmin(cap_room)) if len(cap_room) else -1
            step = min(1.0, room[i], cap_room[k] if k >= 0 else np.inf)
            if step >= 1.0:
                best, index, new = self._releases(target, cost)
                if best == 0.0:
                    why = self.kkt_failure(target, cost)
                    if why:
                        raise _Declined(why)
                    return target, it
                w = target.w
                if index >= 0:
                    state[index] = new
                else:
                    active[-1 - index] = False
                continue
            w = w + step * d
            if k >= 0 and cap_room[k] <= room[i]:
                active[k] = True
            else:
                hit = hi[i] if d[i] > 0 else lo[i]
                w[i] = hit
                if hit == self.lb[i]:
                    state[i] = State.LOW
                elif hit == self.ub[i]:
                    state[i] = State.HIGH
                else:
                    state[i] = State.HELD
        raise _Declined(f"the primal active set took over {PRIMAL_ITERATIONS} solves")

    def book_feasible(self) -> bool:
        """Whether the current weights meet the budget, the bounds and the caps."""
        w0 = self.w0
        return bool(
            np.all(self.a == 1.0)
            and abs(w0.sum() - 1.0) <= KKT_TOL
            and np.all(w0 >= self.lb - KKT_TOL)
            and np.all(w0 <= self.ub + KKT_TOL)
            and np.all(self.g @ w0 <= self.caps + KKT_TOL)
        )

    def hold_cost(self) -> float:
        """A cost per unit traded at which holding the book is optimal.

        At the book the budget's multiplier y must keep every ``|g_i + y| <= cost``
        (``g`` the gradient there): half the spread of ``g`` suffices (caps slack).
        """
        g = self.q @ self.w0 - self.tilt * self.m
        return float((g.max() - g.min()) / 2 * (1 + 1e-9) + 1e-12 * self.scale)

    def held(self, cost: float) -> _Point:
        """The book as a point: every asset held (or at the bound it sits on)."""
        state = self.states(self.w0.copy(), cost)
        return self.solve(state, np.zeros(len(self.caps), dtype=bool), cost)

    def kkt_failure(self, p: _Point, cost: float) -> str:
        lb, ub, w0, w, s = self.lb, self.ub, self.w0, p.w, p.state
        tol, dtol = KKT_TOL, MULTIPLIER_RTOL * self.scale
        buy, sell = s == State.BUY, s == State.SELL
        if np.any(buy & ((w < w0 - tol) | (w > ub + tol))) or np.any(
            sell & ((w > w0 + tol) | (w < lb - tol))
        ):
            return "a traded weight left its segment"
        if len(self.caps) and np.any(self.g @ w > self.caps + tol):
            return "a sector cap is breached"
        if np.any(p.eta < -dtol):
            return "a sector cap's multiplier is negative"
        z = p.zeta
        held = s == State.HELD
        low_slope = np.where(lb < w0, -cost, cost)
        high_slope = np.where(ub > w0, cost, -cost)
        bad = (
            (held & (np.abs(z) > cost + dtol))
            | ((s == State.LOW) & (z > low_slope + dtol))
            | ((s == State.HIGH) & (z < high_slope - dtol))
        )
        if np.any(bad):
            return "a held or bound asset's subgradient condition fails"
        return ""

    def at_cost(self, cost: float, start: _Point | None) -> tuple[_Point, int]:
        """The optimum at a given cost per unit traded, by the primal-dual active set.

        All states are re-assigned at each solve, from ``start`` (a previous fixed point)
        or from the cold start.
        """
        if start is None:
            # Every asset free: the budget- (and cap-) constrained minimiser, whose states
            # are the first guess (the classical start of the primal-dual active set).
            sigma_state = np.full(len(self.m), State.BUY, dtype=np.int8)
            point = self.solve(sigma_state, np.zeros(len(self.caps), dtype=bool), 0.0)
            state = self.states(point.w, cost)
            active = self.g @ point.w > self.caps
        else:
            state = self.states(start.w + start.zeta / self.rho, cost)
            active = start.eta + (self.g @ start.w - self.caps) > 0
        seen, previous = set(), np.zeros(len(self.caps), dtype=bool)
        limit = MAX_ITERATIONS if start is not None else MAX_COLD_ITERATIONS
        for it in range(1, limit + 1):
            try:
                point = self.solve(state, active, cost)
            except _DependentRows:
                # Rows that just entered over-determine the free assets: keep only the
                # rows active before them (a smaller working set, as a primal method would).
                if not np.any(active & ~previous):
                    raise
                active = active & previous
                point = self.solve(state, active, cost)
            previous = active
            new_state = self.states(point.w + point.zeta / self.rho, cost)
            new_active = point.eta + (self.g @ point.w - self.caps) > 0
            if np.array_equal(new_state, state) and np.array_equal(new_active, active):
                why = self.kkt_failure(point, cost)
                if why:
                    raise _Declined(why)
                return point, it
            key = new_state.tobytes() + new_active.tobytes()
            if key in seen:
                raise _Declined("the active sets cycle")
            seen.add(key)
            state, active = new_state, new_active
        raise _Declined(f"no fixed point in {limit} solves")

    def continued(self, point: _Point, start: float, cost: float) -> tuple[_Point, int]:
        """The fixed point at ``cost`` reached from one at ``start`` (halving failed steps)."""
        return self._homotopy(point, start, cost, self.at_cost)

    def tilted(self) -> tuple[_Point, int]:
        """The cost-free fixed point with the full reward, from minimum variance if need be.

        Where the strategy cycles from its cold start (a strong reward tilting many
        assets at once), the reward is brought in by continuation from zero.
        """
        try:
            return self.at_cost(0.0, None)
        except _Declined:
            if not np.any(self.m):
                raise

        def at_tilt(tilt: float, start: _Point | None) -> tuple[_Point, int]:
            self.tilt = tilt
            return self.at_cost(0.0, start)

        point, its = at_tilt(0.0, None)
        more, total = self._homotopy(point, 0.0, 1.0, at_tilt)
        return more, its + total

    def _homotopy(self, point: _Point, start: float, end: float, solve_at) -> tuple[_Point, int]:
        """Follow fixed points from parameter ``start`` to ``end``, halving a failed step."""
        total, stack, at = 0, [end], start
        while stack:
            target = stack[-1]
            try:
                point, its = solve_at(target, point)
            except _DependentRows:
                raise
            except _Declined:
                if len(stack) <= MAX_HALVINGS:
                    stack.append((at + target) / 2)
                    continue
                if solve_at != self.at_cost:
                    raise
                # A cost step of 1/256th still cycles: the primal active set takes the
                # whole remaining step from the last solution (feasible: costs change the
                # objective only), one state change per solve; it never cycles.
                point, its = self.primal(end, point)
                return point, total + its
            total += its
            at = stack.pop()
        return point, total


def _turnover(w: np.ndarray, w0: np.ndarray) -> float:
    return float(np.abs(w - w0).sum())


def quadratic_weights(
    q: np.ndarray,
    m: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    current: np.ndarray,
    cost: float = 0.0,
    max_turnover: float | None = None,
    sectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> ActiveSetSolution:
    """Weights minimising 0.5 w'Qw - m'w + cost |w - current|_1 within every limit.

    Parameters
    ----------
    q : numpy.ndarray
        N x N positive definite quadratic term (twice the covariance, times the risk
        aversion for mean variance).
    m : numpy.ndarray
        Linear reward (expected returns; zeros for minimum variance).
    lb, ub : numpy.ndarray
        Per-asset bounds.
    current : numpy.ndarray
        Current weights ``w0`` (zeros: a portfolio from cash).
    cost : float, default 0.0
        Cost per unit of weight traded.
    max_turnover : float, optional
        Limit on ``|w - current|_1``.
    sectors : tuple of numpy.ndarray, optional
        (membership rows, caps): ``G w <= caps``; groups may overlap.

    Returns
    -------
    ActiveSetSolution
        The weights, or ``status="failed: <why>"`` when the method cannot vouch for them.
    """
    prob = _Problem(q, m, lb, ub, current, sectors)
    try:
        point, price = _solved(prob, cost, max_turnover)
    except _Declined as exc:
        return ActiveSetSolution(weights=None, status=f"failed: {exc}", iterations=prob.solves)
    return ActiveSetSolution(
        weights=point.w, status="optimal", iterations=prob.solves, turnover_price=price
    )


def _solved(prob: _Problem, cost: float, limit: float | None) -> tuple[_Point, float]:
    """The optimum and the turnover price: from the book, else from the cost-free solution.

    With costs and a feasible book, the first path starts where holding the book is
    optimal (a cost above half the spread of the gradient there) and lowers the cost to
    the real one: a daily rebalance trades little, so few states change. The other path
    solves without costs and raises the cost by continuation. Either then prices the
    turnover limit if it binds.
    """
    paths = [_from_cost_free]
    if cost > 0 and prob.book_feasible():
        near = cost >= NEAR_HOLD * prob.hold_cost()
        paths = [_from_book, _from_cost_free] if near else [_from_cost_free, _from_book]
    for k, path in enumerate(paths):
        prob.solves = 0  # each path has its own budget
        try:
            return path(prob, cost, limit)
        except _Declined:
            if k == len(paths) - 1:
                raise
    raise AssertionError("unreachable")


def _from_cost_free(prob: _Problem, cost: float, limit: float | None) -> tuple[_Point, float]:
    """Solve without costs, then raise the cost and the turnover price by continuation."""
    point, _ = prob.tilted()
    if cost > 0:
        point, _ = prob.continued(point, 0.0, cost)
    return _limited(prob, point, cost, limit)


def _from_book(prob: _Problem, cost: float, limit: float | None) -> tuple[_Point, float]:
    """Start where holding the book is optimal and lower the cost to the real one."""
    hold = prob.hold_cost()
    point, _ = prob.at_cost(max(cost, hold), prob.held(max(cost, hold)))
    if cost < hold:
        try:
            point, _ = prob.at_cost(cost, point)
        except _DependentRows:
            raise
        except _Declined:
            # The primal active set from the book (feasible: the cost changes only the
            # objective), one state change per solve: it never cycles, and near the
            # cost that holds the book few states change.
            point, _ = prob.primal(cost, point)
    return _limited(prob, point, cost, limit)


def _limited(
    prob: _Problem, point: _Point, cost: float, limit: float | None
) -> tuple[_Point, float]:
    if limit is None or _turnover(point.w, prob.w0) <= limit + KKT_TOL:
        return point, 0.0
    return _priced(prob, point, cost, limit)


def _priced(
    prob: _Problem, point: _Point, cost: float, limit: float, *, price: float = 0.0
) -> tuple[_Point, float]:
    """The turnover price that meets the limit (Newton, bracketed), from ``point`` at ``price``."""
    low, high = 0.0, np.inf
    ceiling = PRICE_CEILING * prob.scale
    for _ in range(MAX_PRICE_STEPS):
        excess = _turnover(point.w, prob.w0) - limit
        if abs(excess) <= KKT_TOL or (excess < 0 and price == 0.0):
            return point, price
        if excess > 0:
            low = price
        else:
            high = price
        step = price - excess / point.slope if point.slope < 0 else np.nan
        if not low < step < high:
            step = 2 * low + prob.scale if np.isinf(high) else (low + high) / 2
        if step > ceiling:
            raise _Declined("the turnover limit is below the least turnover that is feasible")
        previous, price = price, step
        point, _ = prob.continued(point, cost + previous, cost + price)
    raise _Declined(f"turnover price not found in {MAX_PRICE_STEPS} steps")


def tangency_weights(
    q: np.ndarray,
    mu: np.ndarray,
    ub: np.ndarray,
    *,
    sectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> ActiveSetSolution:
    """Long-only maximum Sharpe ratio under caps, by the homogenised quadratic program.

    With ``y = kappa w`` the ratio's maximiser solves ``min 0.5 y'Qy`` subject to
    ``mu'y = 1``, ``y >= 0``, ``y_i <= ub_i 1'y`` and ``G y <= caps 1'y``
    (Cornuejols & Tutuncu 2007); every cap is a linear row, which the active set takes.

    Parameters
    ----------
    q : numpy.ndarray
        N x N positive definite quadratic term (twice the covariance).
    mu : numpy.ndarray
        Expected returns; at least one positive.
    ub : numpy.ndarray
        Per-asset upper bounds (lower bounds are zero).
    sectors : tuple of numpy.ndarray, optional
        (membership rows, caps): ``G w <= caps``.

    Returns
    -------
    ActiveSetSolution
        Fully invested weights, or ``status="failed: <why>"``.

    References
    ----------
    G. Cornuejols, R. Tutuncu (2007), "Optimization Methods in Finance", section 8.2.
    """
    n = len(mu)
    capped = ub < 1.0
    rows = [np.eye(n)[capped] - ub[capped, None]]
    if sectors is not None:
        rows.append(sectors[0] - sectors[1][:, None])
    g = np.vstack(rows)
    prob = _Problem(
        q, np.zeros(n), np.zeros(n), np.full(n, np.inf), np.zeros(n), (g, np.zeros(len(g))), mu
    )
    try:
        point, its = prob.at_cost(0.0, None)
    except _Declined as exc:
        return ActiveSetSolution(weights=None, status=f"failed: {exc}", iterations=prob.solves)
    y = np.clip(point.w, 0.0, None)
    return ActiveSetSolution(weights=y / y.sum(), status="optimal", iterations=its)


def target_variance_weights(
    q: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    variance: float,
    *,
    current: np.ndarray,
    cost: float,
    sectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> ActiveSetSolution:
    """Maximum return net of costs at a binding variance target.

    ``max mu'w - cost |w - current|_1`` under ``0.5 w'Qw <= variance`` and the limits is
    the mean-variance problem ``min 0.5 w'Qw - t (mu'w - cost |w - current|_1)`` at the
    ``t`` where the variance meets the target (``1 / t`` is the risk constraint's
    multiplier); the variance rises with ``t``, so ``t`` is found by bracketing and
    regula falsi (Illinois), each step one warm-started active-set solve.

    Parameters
    ----------
    q : numpy.ndarray
        N x N positive definite quadratic term (twice the covariance).
    mu : numpy.ndarray
        Expected returns.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    variance : float
        Target of ``0.5 w'Qw`` (the variance ``w'Sw`` when ``Q = 2S``).
    current : numpy.ndarray
        Current weights.
    cost : float
        Cost per unit of weight traded.
    sectors : tuple of numpy.ndarray, optional
        (membership rows, caps): ``G w <= caps``.

    Returns
    -------
    ActiveSetSolution
        ``status="binding"`` (on the target) or ``"slack"`` (the maximum net return is
        below it), or ``"failed: <why>"`` (below the minimum variance, no convergence):
        the caller's general solver then decides.
    """
    prob = _Problem(q, mu, lb, ub, current, sectors)

    def at(t: float, start: _Point, start_t: float) -> _Point:
        """The frontier point at tilt t, continued from the one at ``start_t``."""
        prob.tilt = t
        return prob.continued(start, start_t * cost, t * cost)[0]

    def var(w: np.ndarray) -> float:
        return float(0.5 * w @ q @ w)

    best = max_net_return_weights(mu, lb, ub, current=current, cost=cost, sectors=sectors)
    if best is not None and var(best) <= variance:
        return ActiveSetSolution(weights=best, status="slack", iterations=0)
    try:
        prob.tilt = 0.0  # minimum variance: no reward, and so no cost either
        low_t, low = 0.0, prob.at_cost(0.0, None)[0]
        if var(low.w) > variance * (1 + TARGET_RTOL):
            raise _Declined("the target is below the minimum variance")
        high_t, high, t = None, None, 1.0
        for _ in range(MAX_PRICE_STEPS):
            point = at(t, low, low_t)
            if var(point.w) >= variance:
                high_t, high = t, point
                break
            low_t, low, t = t, point, 4.0 * t
        if high is None:
            raise _Declined("the variance target was not reached along the frontier")
        f_low, f_high, side = var(low.w) - variance, var(high.w) - variance, 0
        for _ in range(MAX_PRICE_STEPS):
            t = (low_t * f_high - high_t * f_low) / (f_high - f_low)
            point = at(t, low, low_t)
            f = var(point.w) - variance
            if abs(f) <= TARGET_RTOL * variance:
                return ActiveSetSolution(weights=point.w, status="binding", iterations=prob.solves)
            if f < 0:
                low_t, low, f_low = t, point, f
                f_high = f_high / 2 if side == -1 else f_high  # Illinois
                side = -1
            else:
                high_t, high, f_high = t, point, f
                f_low = f_low / 2 if side == 1 else f_low
                side = 1
        raise _Declined(f"the variance target not met in {MAX_PRICE_STEPS} steps")
    except _Declined as exc:
        return ActiveSetSolution(weights=None, status=f"failed: {exc}", iterations=prob.solves)


def max_net_return_weights(
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    current: np.ndarray,
    cost: float,
    sectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Maximum ``mu'w - cost |w - current|_1``, fully invested: a greedy fill.

    Each asset's net return is concave and piecewise linear (``mu + cost`` per unit below
    its current weight, ``mu - cost`` above), so filling the budget from the lower bounds
    segment by segment in order of value is optimal (a fractional knapsack), as it is
    under caps on disjoint groups.

    Parameters
    ----------
    mu : numpy.ndarray
        Expected returns.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    current : numpy.ndarray
        Current weights.
    cost : float
        Cost per unit of weight traded.
    sectors : tuple of numpy.ndarray, optional
        (0/1 membership rows, caps); groups must be disjoint.

    Returns
    -------
    numpy.ndarray or None
        The weights, None when the groups overlap or the budget cannot be filled.
    """
    n = len(mu)
    member = np.full(n, -1)
    room_g = np.zeros(0)
    if sectors is not None:
        groups, caps = sectors
        if np.any(groups.sum(axis=0) > 1) or np.any((groups != 0) & (groups != 1)):
            return None
        for k, row in enumerate(groups):
            member[row > 0] = k
        room_g = caps - groups @ lb
    kink = np.clip(current, lb, ub)
    # Segments: (value, asset, length); below the current weight first (its value is higher).
    values = np.concatenate([mu + cost, mu - cost])
    lengths = np.concatenate([kink - lb, ub - kink])
    owners = np.concatenate([np.arange(n), np.arange(n)])
    w, room = lb.astype(float), 1.0 - float(lb.sum())
    for s in np.argsort(-values, kind="stable"):
        if room <= KKT_TOL:
            break
        i, take = owners[s], min(lengths[s], room)
        if member[i] >= 0:
            take = min(take, max(room_g[member[i]], 0.0))
            room_g[member[i]] -= take
        w[i] += take
        room -= take
    return w if room <= KKT_TOL else None
