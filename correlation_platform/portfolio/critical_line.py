"""Exact mean-variance-family weights by the critical line: budget, bounds, sector caps.

Under ``1'w = 1, lb <= w <= ub`` and caps on disjoint groups ``G w <= c`` the portfolio
``argmin 0.5 w'Sw - t mu'w`` is affine in ``t`` between turning points, where one asset
enters or leaves a bound or one cap starts or stops holding; Markowitz's critical line
traces it. Walking down from ``t = inf`` (the maximum-return portfolio)
costs one rank-one update of the free block's inverse per turning point. Four objectives
are points on that line:

- mean variance ``mu'w - gamma w'Sw``: ``t = 1 / (2 gamma)``;
- minimum variance: ``t = 0``;
- maximum return under ``w'Sw <= v`` (target volatility): where the variance crosses
  ``v``, a quadratic in ``t`` on one segment;
- maximum Sharpe ratio: the best ratio over the segments, a linear equation in ``t`` on
  each.

No interior-point iteration is needed: at 500 assets these take a few tens of
milliseconds where Clarabel takes hundreds (bench/optimizer.py).

The answer is polished with a fresh solve on the final free set and its KKT conditions
are checked; anything the walk cannot vouch for (ties at the margin, a singular
covariance block) comes back as ``status="failed: ..."`` for the caller's general solver.

References: Markowitz (1956), "The optimization of a quadratic function subject to linear
constraints"; Niedermayer & Niedermayer (2010), "Applying Markowitz's critical line
algorithm"; Bailey & Lopez de Prado (2013), "An open-source implementation of the
critical-line algorithm".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

#: Turning points between refreshes of the free block's inverse from a Cholesky factor:
#: each rank-one update adds rounding, and 128 keeps the drift far below ``KKT_TOL``.
REFRESH_EVERY = 128
#: A weight's or a multiplier's slope in t below this is flat: it never reaches a bound.
#: On the rescaled problem slopes are O(1); 1e-14 is a few ulps of that.
SLOPE_TOL = 1e-14
#: A pivot below this fraction of its scale makes a block singular to working precision
#: (about 1e4 ulps): the release of an asset whose Schur complement is that small, or
#: equality rows whose multiplier system has such a pivot, is refused.
PIVOT_TOL = 1e-12
#: The event that just happened, due again within this relative distance of the current
#: t, is that event turning straight back (a cycle), not a new one.
CYCLE_RTOL = 1e-9
#: Default feasibility tolerance of the polished weights (budget, bounds, caps): the
#: polished solve's rounding is ~1e-12; 1e-9 is far above it and far below any
#: constraint a user would notice.
KKT_TOL = 1e-9
#: KKT gradient tolerance, relative to the largest gradient entry: rounding of the
#: polished solve is ~1e-12 relative, a wrong sign is O(1); 1e-7 separates them.
MULTIPLIER_RTOL = 1e-7
#: Budget left after filling bounds below this is rounding of the bounds' sum.
ROOM_TOL = 1e-15
#: Lower bounds may exceed a sector cap by this much before the walk refuses them.
CAP_ROOM_TOL = 1e-12
#: A segment whose q'Sq is below this has constant variance (q = 0): a linear crossing.
FLAT_CURVATURE = 1e-300
#: Floor of a variance inverted for the minimum-variance ranking (a zero variance would
#: divide by zero; any positive floor ranks that asset first, which is right).
TINY_VARIANCE = 1e-300
#: Relative tilt by position that breaks ties between equal volatilities in the
#: minimum-variance ranking: far above rounding, far below any real difference.
TIE_TILT = 1e-3
#: The polished variance must match a target to this relative precision.
TARGET_RTOL = 1e-8
#: Along the line the Sharpe ratio has fallen past its peak once it is below the best
#: by more than rounding (this relative amount).
RATIO_PEAK_RTOL = 1e-12


class EventKind(IntEnum):
    """What happens at a turning point of the line (walking down in t).

    The integer values index the vectorised search's code array.
    """

    #: A free asset reaches its lower bound.
    LOWER = 0
    #: A free asset reaches its upper bound.
    UPPER = 1
    #: A bound asset's multiplier reaches zero: it becomes free.
    RELEASE = 2
    #: A slack sector cap fills: it starts holding with equality.
    CAP = 3
    #: A holding cap's multiplier reaches zero: it stops holding.
    UNCAP = 4

    @property
    def on_asset(self) -> bool:
        """Whether the event's index is an asset (else a sector)."""
        return self <= EventKind.RELEASE


@dataclass(frozen=True)
class TurningPoint:
    """One event on the line.

    Attributes
    ----------
    t : float
        Where on the line it happens.
    kind : EventKind
        What happens.
    index : int
        The asset (LOWER, UPPER, RELEASE) or sector (CAP, UNCAP) concerned.
    """

    t: float
    kind: EventKind
    index: int

    def slot(self, n_assets: int) -> int:
        """Position in the search's array (assets first, then sectors).

        Parameters
        ----------
        n_assets : int
            Number of assets.

        Returns
        -------
        int
            The index into the combined event array.
        """
        return self.index if self.kind.on_asset else n_assets + self.index


@dataclass
class CriticalLineSolution:
    """What a walk found.

    Attributes
    ----------
    weights : numpy.ndarray or None
        The weights; None when the walk declined.
    status : str
        ``failed: <why>`` (``weights`` None) or what was found: for target volatility
        ``binding`` (variance == target), ``slack`` (the maximum-return portfolio is
        within the target) or ``unreachable`` (even minimum variance exceeds it;
        ``weights`` is that portfolio); ``mean_variance`` (also for minimum variance) and
        ``max_sharpe`` for the other walks.
    turning_points : int
        Turning points crossed.
    t : float
        Where on the line the answer lies.
    """

    weights: np.ndarray | None
    status: str
    turning_points: int = 0
    t: float = float("nan")


#: Sector caps: a 0/1 membership matrix (groups x assets) and each group's maximum weight.
Sectors = tuple[np.ndarray, np.ndarray]


@dataclass
class WalkState:
    """Where the walk stands.

    Which assets are free, where the others are held, which caps hold.

    Attributes
    ----------
    free : list of int
        The free assets, in the order of the inverse block's rows.
    is_free : numpy.ndarray
        Boolean mask of ``free``.
    w : numpy.ndarray
        Weights; the bound assets' entries are their bounds.
    upper : numpy.ndarray
        Boolean: a bound asset is at its upper (True) or lower (False) bound.
    active : list of int
        Sector caps holding with equality.
    """

    free: list[int]
    is_free: np.ndarray
    w: np.ndarray
    upper: np.ndarray
    active: list[int]


class _Walk:
    """The walk's state and the free block's inverse covariance.

    It holds the free set, the bound assets' values and the caps that hold with equality
    (``active``).
    """

    def __init__(
        self,
        cov: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray],
        sectors: Sectors,
        start: WalkState,
    ):
        self.cov = cov
        self.lb, self.ub = bounds
        self.groups, self.caps = sectors
        self.restore(start)
        self.budget_row = np.ones((1, len(self.w)))
        self.steps = 0
        if not self.refresh():
            raise _Declined("singular covariance block")

    def snapshot(self) -> WalkState:
        """A copy of the current state."""
        return WalkState(
            free=list(self.free),
            is_free=self.is_free.copy(),
            w=self.w.copy(),
            upper=self.upper.copy(),
            active=list(self.active),
        )

    def restore(self, state: WalkState) -> None:
        """Back to a state's free set; call ``refresh`` before using the inverse."""
        self.free, self.is_free = list(state.free), state.is_free
        self.w, self.upper = state.w, state.upper
        self.active = list(state.active)

    def rows(self) -> np.ndarray:
        """The equality rows: the budget, then each active cap."""
        if not self.active:
            return self.budget_row
        return np.vstack([self.budget_row, self.groups[self.active]])

    def segment(self, mu: np.ndarray, low: float = 0.0, high: float = np.inf) -> _Segment:
        """The line between turning points for the current free set and holding caps.

        Free assets satisfy S_FF w_F = t mu_F + E_F' nu - S_FB w_B with E w = e (budget
        and active caps), so nu solves the small system (E_F C E_F') nu = ..., C = S_FF^-1.
        """
        f = np.asarray(self.free)
        bound_w = np.where(self.is_free, 0.0, self.w)
        rows = self.rows()
        e = rows[:, f]
        rhs = np.concatenate([[1.0], self.caps[self.active]]) - rows @ bound_w
        c = self.inv @ np.column_stack([e.T, mu[f], (self.cov @ bound_w)[f]])
        c_e, c_mu, c_bound = c[:, :-2], c[:, -2], c[:, -1]
        both = np.column_stack([rhs + e @ c_bound, -(e @ c_mu)])
        nu = _equality_multipliers(e @ c_e, both)
        if nu is None and self.active:
            # Caps over every asset that sum to exactly 1 imply the budget: drop its row
            # (gamma = 0 is then one valid choice of the non-unique multipliers).
            rest = _equality_multipliers(e[1:] @ c_e[:, 1:], both[1:])
            nu = None if rest is None else np.vstack([np.zeros((1, 2)), rest])
        if nu is None:
            raise _Declined("a holding sector cap has no free asset", self.steps)
        nu0, nu1 = nu.T
        p, q = bound_w.copy(), np.zeros_like(bound_w)
        p[f] += c_e @ nu0 - c_bound
        q[f] = c_mu + c_e @ nu1
        sp, sq = (self.cov @ np.column_stack([p, q])).T
        return _Segment(p=p, q=q, sp=sp, sq=sq, nu0=nu0, nu1=nu1, low=low, high=high)

    def bind(self, i: int, value: float, upper: bool) -> None:
        k = self.free.index(i)
        col = self.inv[:, k]
        self.inv = np.delete(np.delete(self.inv - np.outer(col, col) / col[k], k, 0), k, 1)
        self.free.pop(k)
        self.is_free[i], self.w[i], self.upper[i] = False, value, upper

    def release(self, j: int) -> bool:
        s = self.cov[self.free, j]
        u = self.inv @ s
        d = self.cov[j, j] - s @ u
        if not d > PIVOT_TOL * self.cov[j, j]:
            return False  # S restricted to the new free set is (numerically) singular
        k = len(self.free)
        inv = np.empty((k + 1, k + 1))
        inv[:k, :k] = self.inv + np.outer(u, u) / d
        inv[:k, k] = inv[k, :k] = -u / d
        inv[k, k] = 1.0 / d
        self.inv = inv
        self.free.append(j)
        self.is_free[j] = True
        return True

    def refresh(self) -> bool:
        f = self.free
        try:
            chol = np.linalg.cholesky(self.cov[np.ix_(f, f)])
        except np.linalg.LinAlgError:
            return False
        eye = np.linalg.solve(chol, np.eye(len(f)))
        self.inv = eye.T @ eye
        return True


def _equality_multipliers(schur: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Solve E_F C E_F' nu = rhs, positive definite unless the rows are dependent (None)."""
    if len(schur) == 1:  # budget only: 1'C1 > 0 for a positive definite block
        return rhs / schur[0, 0] if schur[0, 0] > 0 else None
    try:
        chol = np.linalg.cholesky(schur)
    except np.linalg.LinAlgError:
        return None
    pivots = np.diag(chol) ** 2
    if not pivots.min() > PIVOT_TOL * pivots.max():
        return None
    return np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))


def _max_return_start(
    mu: np.ndarray, lb: np.ndarray, ub: np.ndarray, sectors: Sectors
) -> WalkState:
    """The t = inf end of the line.

    Fill assets to their bounds in order of expected return (greedy is optimal for a
    budget over disjoint caps). The asset that receives the last of the budget is free;
    so is each asset stopped by its group's cap, whose cap then holds with equality.
    """
    groups, limits = sectors
    member = np.full(len(mu), -1)
    for k, row in enumerate(groups):
        member[row > 0] = k
    w = lb.copy()
    room, group_room = 1.0 - lb.sum(), limits - groups @ lb
    if np.any(group_room < -CAP_ROOM_TOL):
        raise _Declined("lower bounds exceed a sector cap")
    upper = np.zeros(len(mu), dtype=bool)
    free, active = [], []
    for i in np.argsort(-mu, kind="stable"):
        k = member[i]
        limit, by_cap = ub[i] - lb[i], False
        if k >= 0 and group_room[k] < limit:
            limit, by_cap = max(group_room[k], 0.0), True
        if room <= limit + ROOM_TOL:
            w[i] += room
            free.append(int(i))
            is_free = np.zeros(len(w), dtype=bool)
            is_free[free] = True
            return WalkState(free=free, is_free=is_free, w=w, upper=upper, active=active)
        w[i] += limit
        room -= limit
        if k >= 0:
            group_room[k] -= limit
        if not by_cap:
            upper[i] = True
        elif limit > 0:
            free.append(int(i))
            active.append(int(k))
    raise _Declined("the sector caps leave part of the budget uninvested")


def _crossing(seg: _Segment, target: float) -> float:
    """The t in [low, high] where the (increasing) variance equals the target."""
    a, b, c = float(seg.q @ seg.sq), float(seg.p @ seg.sq), float(seg.p @ seg.sp) - target
    if a > FLAT_CURVATURE:
        t = (-b + np.sqrt(max(b * b - a * c, 0.0))) / a
    else:
        t = -c / (2 * b) if b > 0 else seg.low
    return float(np.clip(t, seg.low, seg.high))


def _kkt_failure(
    mu: np.ndarray,
    walk: _Walk,
    w: np.ndarray,
    nu: np.ndarray,
    t: float,
    target: float | None,
    tol: float,
) -> str:
    """Why ``w`` is not the optimum at ``t`` (empty when the KKT conditions hold)."""
    if not np.all(np.isfinite(w)):
        return "weights are not finite"
    if abs(w.sum() - 1.0) > tol or np.any(w < walk.lb - tol) or np.any(w > walk.ub + tol):
        return "polished weights leave the budget or bounds"
    if np.any(walk.groups @ w > walk.caps + tol):
        return "polished weights break a sector cap"
    cov = walk.cov
    grad = cov @ w - t * mu
    g = grad - walk.rows().T @ nu
    limit = MULTIPLIER_RTOL * max(1.0, float(np.max(np.abs(grad))))
    at_lower = ~walk.is_free & ~walk.upper
    at_upper = ~walk.is_free & walk.upper
    if (
        np.any(np.abs(g[walk.is_free]) > limit)
        or np.any(g[at_lower] < -limit)
        or np.any(g[at_upper] > limit)
        or np.any(-nu[1:] < -limit)  # each active cap's multiplier must be >= 0
    ):
        return "KKT multipliers have the wrong sign"
    if target is not None and abs(w @ cov @ w - target) > TARGET_RTOL * target:
        return "variance misses the target"
    return ""


class _Declined(Exception):
    """The walk cannot vouch for an answer; the message says why."""

    def __init__(self, why: str, steps: int = 0):
        super().__init__(why)
        self.steps = steps


def _reports_declines(walk_to):
    """A public walk returns ``failed: <why>`` instead of raising when it declines."""

    @functools.wraps(walk_to)
    def run(*args, **kwargs) -> CriticalLineSolution:
        try:
            return walk_to(*args, **kwargs)
        except _Declined as why:
            return CriticalLineSolution(
                weights=None, status=f"failed: {why}", turning_points=why.steps
            )

    return run


@dataclass
class _Segment:
    """Weights w(t) = p + t q and equality multipliers nu0 + t nu1 for t in [low, high].

    Here sp = S p and sq = S q.
    """

    p: np.ndarray
    q: np.ndarray
    sp: np.ndarray
    sq: np.ndarray
    nu0: np.ndarray
    nu1: np.ndarray
    low: float = 0.0
    high: float = np.inf

    def variance(self, t: float) -> float:
        return float(self.p @ self.sp + 2 * t * (self.p @ self.sq) + t * t * (self.q @ self.sq))


def _start(
    cov: np.ndarray, mu: np.ndarray, lb: np.ndarray, ub: np.ndarray, sectors: Sectors | None
) -> _Walk:
    n = len(mu)
    sectors = sectors if sectors is not None else (np.zeros((0, n)), np.zeros(0))
    groups = sectors[0]
    if np.any(groups.sum(axis=0) > 1) or np.any((groups != 0) & (groups != 1)):
        raise _Declined("sector caps must be 0/1 rows over disjoint groups")
    start = _max_return_start(mu, lb, ub, sectors)
    if any(np.sum(mu == mu[i]) > 1 for i in start.free):
        raise _Declined("tied expected returns at the margin")
    return _Walk(cov, (lb, ub), sectors, start)


def _cross(walk: _Walk, event: TurningPoint) -> None:
    """Update the walk's state at a turning point."""
    i = event.index
    if event.kind is EventKind.RELEASE:
        if not walk.release(i):
            raise _Declined("singular covariance block", walk.steps)
    elif event.kind is EventKind.LOWER or event.kind is EventKind.UPPER:
        at_upper = event.kind is EventKind.UPPER
        walk.bind(i, walk.ub[i] if at_upper else walk.lb[i], at_upper)
        if not walk.free:
            raise _Declined("no free asset left", walk.steps)
    elif event.kind is EventKind.CAP:
        walk.active.append(i)
    else:
        walk.active.remove(i)


def _segments(walk: _Walk, mu: np.ndarray) -> Iterator[_Segment]:
    """The line's segments from t = inf down to t = 0.

    ``walk`` is updated in between; ``walk.steps`` counts the turning points crossed.
    """
    n, t_now, last = len(mu), np.inf, None
    while walk.steps <= 4 * n:
        seg = walk.segment(mu, high=t_now)
        event = _next_turning_point(walk, seg, mu, last)
        seg.low = 0.0 if event is None else event.t
        yield seg
        if event is None:
            return
        _cross(walk, event)
        walk.steps += 1
        if walk.steps % REFRESH_EVERY == 0 and not walk.refresh():
            raise _Declined("singular covariance block", walk.steps)
        t_now, last = seg.low, event
    raise _Declined(f"more than {4 * n} turning points", walk.steps)


@_reports_declines
def target_volatility_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    target_variance: float,
    *,
    sectors: Sectors | None = None,
    tol: float = KKT_TOL,
) -> CriticalLineSolution:
    """Maximum expected return with variance at most ``target_variance``.

    Fully invested, within the bounds and the caps of ``sectors``.

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance, positive definite on the assets the walk frees.
    mu : numpy.ndarray
        Expected returns.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    target_variance : float
        Variance limit, in the covariance's units.
    sectors : tuple of numpy.ndarray, optional
        (0/1 membership of disjoint groups, caps): ``G w <= c``.
    tol : float, default KKT_TOL
        Feasibility tolerance of the polished weights.

    Returns
    -------
    CriticalLineSolution
        The weights, or ``status="failed: <why>"`` when the walk cannot vouch for them.
    """
    walk = _start(cov, mu, lb, ub, sectors)
    if walk.w @ cov @ walk.w <= target_variance:
        return CriticalLineSolution(walk.w, "slack")
    for seg in _segments(walk, mu):
        if seg.variance(seg.low) <= target_variance:
            crossing = lambda s: _crossing(s, target_variance)  # noqa: E731
            return _polished(mu, walk, seg, crossing, "binding", target_variance, tol)
    # t = 0 reached above the target: even minimum variance is too risky.
    return _polished(mu, walk, seg, lambda s: 0.0, "unreachable", None, tol)


@_reports_declines
def mean_variance_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    t: float,
    *,
    sectors: Sectors | None = None,
    tol: float = KKT_TOL,
) -> CriticalLineSolution:
    """The line at ``t``: argmin 0.5 w'Sw - t mu'w, fully invested, within bounds and caps.

    Risk aversion gamma in mu'w - gamma w'Sw is t = 1 / (2 gamma).

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance, positive definite on the assets the walk frees.
    mu : numpy.ndarray
        Expected returns.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    t : float
        Where on the line (0: minimum variance, inf: maximum return).
    sectors : tuple of numpy.ndarray, optional
        (0/1 membership of disjoint groups, caps): ``G w <= c``.
    tol : float, default KKT_TOL
        Feasibility tolerance of the polished weights.

    Returns
    -------
    CriticalLineSolution
        The weights, or ``status="failed: <why>"`` when the walk cannot vouch for them.
    """
    walk = _start(cov, mu, lb, ub, sectors)
    if np.isinf(t):  # no risk aversion: the maximum-return end of the line
        return CriticalLineSolution(
            weights=walk.w.copy(), status="mean_variance", turning_points=0, t=t
        )
    for seg in _segments(walk, mu):
        if seg.low <= t:
            return _polished(mu, walk, seg, lambda s: t, "mean_variance", None, tol)
    raise _Declined("the line ended before t")  # unreachable: the last segment ends at 0


def min_variance_weights(
    cov: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    sectors: Sectors | None = None,
    tol: float = KKT_TOL,
) -> CriticalLineSolution:
    """The line's ``t = 0`` end, which does not depend on the returns the line is drawn for.

    Inverse volatilities rank the least risky assets first, which keeps the walk short
    (about N/3 turning points at 500 assets where sample means need N/2); a 0.1% tilt by
    position breaks ties between equal volatilities.

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance, positive definite on the assets the walk frees.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    sectors : tuple of numpy.ndarray, optional
        (0/1 membership of disjoint groups, caps): ``G w <= c``.
    tol : float, default KKT_TOL
        Feasibility tolerance of the polished weights.

    Returns
    -------
    CriticalLineSolution
        The weights, or ``status="failed: <why>"`` when the walk cannot vouch for them.
    """
    n = len(cov)
    ranking = 1.0 / np.sqrt(np.clip(np.diag(cov), TINY_VARIANCE, None))
    ranking *= 1.0 + TIE_TILT * np.arange(n, 0, -1) / n
    return mean_variance_weights(cov, ranking, lb, ub, 0.0, sectors=sectors, tol=tol)


@_reports_declines
def max_sharpe_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    sectors: Sectors | None = None,
    tol: float = KKT_TOL,
) -> CriticalLineSolution:
    """The fully invested portfolio within the bounds and caps with the highest Sharpe ratio.

    It lies on the line (a portfolio off the frontier has a frontier portfolio with the
    same return and less risk), and the ratio mu'w / sd(w) is quasi-concave along it
    (return over a convex risk), so the walk stops once the ratio starts to fall. On a
    segment the ratio's stationary point solves a linear equation in t.

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance, positive definite on the assets the walk frees.
    mu : numpy.ndarray
        Expected (excess) returns.
    lb, ub : numpy.ndarray
        Per-asset bounds.
    sectors : tuple of numpy.ndarray, optional
        (0/1 membership of disjoint groups, caps): ``G w <= c``.
    tol : float, default KKT_TOL
        Feasibility tolerance of the polished weights.

    Returns
    -------
    CriticalLineSolution
        The weights, or ``status="failed: <why>"`` when the walk cannot vouch for them.
    """
    walk = _start(cov, mu, lb, ub, sectors)
    if mu @ walk.w <= 0:
        raise _Declined("no fully invested portfolio has a positive expected return")
    best, best_at = -np.inf, None
    for seg in _segments(walk, mu):
        t = _best_ratio(seg, mu)
        ratio = _ratio(seg, mu, t)
        if ratio > best:
            best, best_at = ratio, (seg, walk.snapshot())
        elif t == seg.high and seg.low < seg.high and ratio < best * (1 - RATIO_PEAK_RTOL):
            break  # past the peak: the ratio only falls from here
    if best_at is None:
        raise _Declined("no point of the line has a finite Sharpe ratio")
    seg, state = best_at
    walk.restore(state)
    choose = lambda s: _best_ratio(s, mu)  # noqa: E731
    return _polished(mu, walk, seg, choose, "max_sharpe", None, tol)


def _ratio(seg: _Segment, mu: np.ndarray, t: float) -> float:
    variance = seg.variance(t)
    return float(mu @ (seg.p + t * seg.q)) / np.sqrt(variance) if variance > 0 else -np.inf


def _best_ratio(seg: _Segment, mu: np.ndarray) -> float:
    """The t in [low, high] with the highest return / risk on this segment.

    An end or the root of (b c0 - a c1) + t (b c1 - a c2) = 0 for return a + b t,
    variance c0 + 2 c1 t + c2 t^2.
    """
    a, b = float(mu @ seg.p), float(mu @ seg.q)
    c0, c1, c2 = float(seg.p @ seg.sp), float(seg.p @ seg.sq), float(seg.q @ seg.sq)
    if not np.isfinite(seg.high):
        return seg.low  # w is constant on the first segment (q = 0 up to rounding)
    candidates = [seg.low, seg.high]
    slope = b * c1 - a * c2
    if slope != 0:
        root = (a * c1 - b * c0) / slope
        if seg.low < root < seg.high:
            candidates.append(root)
    return max(candidates, key=lambda t: _ratio(seg, mu, t))


def _next_turning_point(
    walk: _Walk, seg: _Segment, mu: np.ndarray, last: TurningPoint | None
) -> TurningPoint | None:
    """The next event below ``seg.high``, or None when the line reaches t = 0 first.

    The event is the largest t where a free asset reaches a bound, a bound asset's multiplier
    reaches zero, a slack cap fills or a holding cap's multiplier reaches zero. Every
    candidate is computed at once in one array (assets, then sectors) with a code array of
    :class:`EventKind` values; the first largest wins.
    """
    n, free, upper = len(mu), walk.is_free, walk.upper
    p, q, t_now = seg.p, seg.q, seg.high
    groups, caps, active = walk.groups, walk.caps, walk.active
    times = np.full(n + len(caps), -np.inf)
    kinds = np.zeros(n + len(caps), dtype=np.int8)
    to_lower, to_upper = free & (q > SLOPE_TOL), free & (q < -SLOPE_TOL)
    times[:n][to_lower] = (walk.lb[to_lower] - p[to_lower]) / q[to_lower]
    times[:n][to_upper] = (walk.ub[to_upper] - p[to_upper]) / q[to_upper]
    kinds[:n][to_lower], kinds[:n][to_upper] = EventKind.LOWER, EventKind.UPPER
    rows = walk.rows()
    g0, g1 = seg.sp - rows.T @ seg.nu0, seg.sq - mu - rows.T @ seg.nu1
    release = ~free & ((~upper & (g1 > SLOPE_TOL)) | (upper & (g1 < -SLOPE_TOL)))
    times[:n][release] = -g0[release] / g1[release]
    kinds[:n][release] = EventKind.RELEASE
    if len(caps):
        holding = np.zeros(len(caps), dtype=bool)
        holding[active] = True
        level, slope = groups @ p, groups @ q
        fills = ~holding & (slope < -SLOPE_TOL)
        times[n:][fills] = (caps[fills] - level[fills]) / slope[fills]
        kinds[n:][fills] = EventKind.CAP
        eta0, eta1 = np.zeros(len(caps)), np.zeros(len(caps))
        eta0[active], eta1[active] = -seg.nu0[1:], -seg.nu1[1:]
        lets_go = holding & (eta1 > SLOPE_TOL)
        times[n:][lets_go] = -eta0[lets_go] / eta1[lets_go]
        kinds[n:][lets_go] = EventKind.UNCAP
    if last is not None and times[last.slot(n)] >= t_now * (1 - CYCLE_RTOL):
        times[last.slot(n)] = -np.inf  # what just turned, turning straight back: a cycle
    times = np.minimum(times, t_now)
    j = int(np.argmax(times))
    if not times[j] > 0:
        return None
    kind = EventKind(int(kinds[j]))
    return TurningPoint(t=float(times[j]), kind=kind, index=j if kind.on_asset else j - n)


def _polished(
    mu: np.ndarray,
    walk: _Walk,
    seg: _Segment,
    choose_t: Callable[[_Segment], float],
    status: str,
    target: float | None,
    tol: float,
) -> CriticalLineSolution:
    """Re-solve the final free set directly and check the KKT conditions there.

    No accumulated update error: t is chosen on the exact segment.
    """
    if not walk.refresh():
        raise _Declined("singular covariance block", walk.steps)
    exact = walk.segment(mu, seg.low, seg.high)
    t = choose_t(exact)
    w = exact.p + t * exact.q
    why = _kkt_failure(mu, walk, w, exact.nu0 + t * exact.nu1, t, target, tol)
    if why:
        raise _Declined(why, walk.steps)
    return CriticalLineSolution(
        weights=np.clip(w, walk.lb, walk.ub), status=status, turning_points=walk.steps, t=t
    )
