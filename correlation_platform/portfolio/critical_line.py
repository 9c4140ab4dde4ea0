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
from dataclasses import dataclass

import numpy as np

#: Turning points between refreshes of the free block's inverse from a Cholesky factor.
REFRESH_EVERY = 128


@dataclass
class CriticalLineSolution:
    """``status`` is ``failed: <why>`` (``weights`` None) or what was found: for target
    volatility ``binding`` (variance == target), ``slack`` (the maximum-return portfolio
    is within the target) or ``unreachable`` (even minimum variance exceeds it;
    ``weights`` is that portfolio); ``mean_variance`` (also for minimum variance) and
    ``max_sharpe`` for the other walks. ``t`` is where on the line the answer lies."""

    weights: np.ndarray | None
    status: str
    turning_points: int = 0
    t: float = float("nan")


#: Sector caps: a 0/1 membership matrix (groups x assets) and each group's maximum weight.
Sectors = tuple[np.ndarray, np.ndarray]


class _Walk:
    """The free set and its inverse covariance block, the bound assets' values and the
    caps that hold with equality (``active``)."""

    def __init__(self, cov, lb, ub, sectors: Sectors, w, free: list[int], upper, active):
        self.cov, self.lb, self.ub, self.w, self.upper = cov, lb, ub, w, upper
        self.groups, self.caps = sectors
        self.free, self.active = list(free), list(active)
        self.is_free = np.zeros(len(w), dtype=bool)
        self.is_free[self.free] = True
        self.budget_row = np.ones((1, len(w)))
        self.steps = 0
        if not self.refresh():
            raise _Declined("singular covariance block")

    def snapshot(self) -> tuple:
        return (
            list(self.free),
            self.is_free.copy(),
            self.w.copy(),
            self.upper.copy(),
            list(self.active),
        )

    def restore(self, snapshot: tuple) -> None:
        """Back to a snapshot's free set; call ``refresh`` before using the inverse."""
        free, is_free, w, upper, active = snapshot
        self.free, self.is_free, self.w, self.upper = list(free), is_free, w, upper
        self.active = list(active)

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
        return _Segment(p, q, sp, sq, nu0, nu1, low, high)

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
        if not d > 1e-12 * self.cov[j, j]:
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
    if not pivots.min() > 1e-12 * pivots.max():
        return None
    return np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))


def _max_return_start(mu, lb, ub, sectors: Sectors) -> tuple[np.ndarray, list, np.ndarray, list]:
    """The t = inf end of the line: fill assets to their bounds in order of expected
    return (greedy is optimal for a budget over disjoint caps). The asset that receives
    the last of the budget is free; so is each asset stopped by its group's cap, whose
    cap then holds with equality."""
    groups, limits = sectors
    member = np.full(len(mu), -1)
    for k, row in enumerate(groups):
        member[row > 0] = k
    w = lb.copy()
    room, group_room = 1.0 - lb.sum(), limits - groups @ lb
    if np.any(group_room < -1e-12):
        raise _Declined("lower bounds exceed a sector cap")
    upper = np.zeros(len(mu), dtype=bool)
    free, active = [], []
    for i in np.argsort(-mu, kind="stable"):
        k = member[i]
        limit, by_cap = ub[i] - lb[i], False
        if k >= 0 and group_room[k] < limit:
            limit, by_cap = max(group_room[k], 0.0), True
        if room <= limit + 1e-15:
            w[i] += room
            free.append(int(i))
            return w, free, upper, active
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
    if a > 1e-300:
        t = (-b + np.sqrt(max(b * b - a * c, 0.0))) / a
    else:
        t = -c / (2 * b) if b > 0 else seg.low
    return float(np.clip(t, seg.low, seg.high))


def _kkt_failure(mu, walk: _Walk, w, nu, t: float, target: float | None, tol) -> str:
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
    limit = 1e-7 * max(1.0, float(np.max(np.abs(grad))))
    at_lower = ~walk.is_free & ~walk.upper
    at_upper = ~walk.is_free & walk.upper
    if (
        np.any(np.abs(g[walk.is_free]) > limit)
        or np.any(g[at_lower] < -limit)
        or np.any(g[at_upper] > limit)
        or np.any(-nu[1:] < -limit)  # each active cap's multiplier must be >= 0
    ):
        return "KKT multipliers have the wrong sign"
    if target is not None and abs(w @ cov @ w - target) > 1e-8 * target:
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
            return CriticalLineSolution(None, f"failed: {why}", why.steps)

    return run


@dataclass
class _Segment:
    """w(t) = p + t q and equality multipliers nu0 + t nu1 for t in [low, high];
    sp = S p and sq = S q."""

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


def _start(cov, mu, lb, ub, sectors: Sectors | None) -> _Walk:
    n = len(mu)
    sectors = sectors if sectors is not None else (np.zeros((0, n)), np.zeros(0))
    groups = sectors[0]
    if np.any(groups.sum(axis=0) > 1) or np.any((groups != 0) & (groups != 1)):
        raise _Declined("sector caps must be 0/1 rows over disjoint groups")
    w, free, upper, active = _max_return_start(mu, lb, ub, sectors)
    if any(np.sum(mu == mu[i]) > 1 for i in free):
        raise _Declined("tied expected returns at the margin")
    return _Walk(cov, lb, ub, sectors, w, free, upper, active)


def _segments(walk: _Walk, mu: np.ndarray):
    """The line's segments from t = inf down to t = 0, updating ``walk`` in between
    (``walk.steps`` counts the turning points crossed)."""
    n, t_now, last = len(mu), np.inf, -1
    while walk.steps <= 4 * n:
        seg = walk.segment(mu, high=t_now)
        seg.low, event = _next_turning_point(walk, seg, mu, last)
        yield seg
        if event is None:
            return
        kind, i = event
        if kind == "release" and not walk.release(i):
            raise _Declined("singular covariance block", walk.steps)
        if kind in ("lower", "upper"):
            walk.bind(i, walk.ub[i] if kind == "upper" else walk.lb[i], kind == "upper")
            if not walk.free:
                raise _Declined("no free asset left", walk.steps)
        if kind == "cap":
            walk.active.append(i)
        if kind == "uncap":
            walk.active.remove(i)
        walk.steps += 1
        if walk.steps % REFRESH_EVERY == 0 and not walk.refresh():
            raise _Declined("singular covariance block", walk.steps)
        t_now, last = seg.low, (i if kind in ("release", "lower", "upper") else len(mu) + i)
    raise _Declined(f"more than {4 * n} turning points", walk.steps)


@_reports_declines
def target_volatility_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    target_variance: float,
    sectors: Sectors | None = None,
    tol: float = 1e-9,
) -> CriticalLineSolution:
    """Maximum expected return with variance at most ``target_variance``, fully invested,
    within ``[lb, ub]`` and the caps of ``sectors``; ``cov`` must be positive
    definite on the assets the walk frees."""
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
    sectors: Sectors | None = None,
    tol: float = 1e-9,
) -> CriticalLineSolution:
    """``argmin 0.5 w'Sw - t mu'w`` fully invested within ``[lb, ub]`` and ``sectors`` (risk aversion
    ``gamma`` in ``mu'w - gamma w'Sw`` is ``t = 1 / (2 gamma)``): the line at ``t``."""
    walk = _start(cov, mu, lb, ub, sectors)
    if np.isinf(t):  # no risk aversion: the maximum-return end of the line
        return CriticalLineSolution(walk.w.copy(), "mean_variance", 0, t)
    for seg in _segments(walk, mu):
        if seg.low <= t:
            return _polished(mu, walk, seg, lambda s: t, "mean_variance", None, tol)
    raise _Declined("the line ended before t")  # unreachable: the last segment ends at 0


def min_variance_weights(
    cov: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    sectors: Sectors | None = None,
    tol: float = 1e-9,
) -> CriticalLineSolution:
    """The line's ``t = 0`` end, which does not depend on the returns the line is drawn
    for: inverse volatilities rank the least risky assets first, which keeps the walk
    short (about N/3 turning points at 500 assets where sample means need N/2); a 0.1%
    tilt by position breaks ties between equal volatilities."""
    n = len(cov)
    ranking = 1.0 / np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    ranking *= 1.0 + 1e-3 * np.arange(n, 0, -1) / n
    return mean_variance_weights(cov, ranking, lb, ub, 0.0, sectors, tol)


@_reports_declines
def max_sharpe_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    sectors: Sectors | None = None,
    tol: float = 1e-9,
) -> CriticalLineSolution:
    """The fully invested portfolio within ``[lb, ub]`` and ``sectors`` with the highest
    ``mu'w / sd(w)``.

    It lies on the line (a portfolio off the frontier has a frontier portfolio with the
    same return and less risk), and the ratio is quasi-concave along it (return over a
    convex risk), so the walk stops once the ratio starts to fall. On a segment the
    ratio's stationary point solves a linear equation in t."""
    walk = _start(cov, mu, lb, ub, sectors)
    if mu @ walk.w <= 0:
        raise _Declined("no fully invested portfolio has a positive expected return")
    best, best_at = -np.inf, None
    for seg in _segments(walk, mu):
        t = _best_ratio(seg, mu)
        ratio = _ratio(seg, mu, t)
        if ratio > best:
            best, best_at = ratio, (seg, walk.snapshot())
        elif t == seg.high and seg.low < seg.high and ratio < best * (1 - 1e-12):
            break  # past the peak: the ratio only falls from here
    if best_at is None:
        raise _Declined("no point of the line has a finite Sharpe ratio")
    seg, snapshot = best_at
    walk.restore(snapshot)
    choose = lambda s: _best_ratio(s, mu)  # noqa: E731
    return _polished(mu, walk, seg, choose, "max_sharpe", None, tol)


def _ratio(seg: _Segment, mu: np.ndarray, t: float) -> float:
    variance = seg.variance(t)
    return float(mu @ (seg.p + t * seg.q)) / np.sqrt(variance) if variance > 0 else -np.inf


def _best_ratio(seg: _Segment, mu: np.ndarray) -> float:
    """The t in [low, high] with the highest return / risk on this segment: an end or the
    root of (b c0 - a c1) + t (b c1 - a c2) = 0 for return a + b t, variance c0 + 2 c1 t
    + c2 t^2."""
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


_KINDS = ("lower", "upper", "release", "cap", "uncap")


def _next_turning_point(walk: _Walk, seg: _Segment, mu: np.ndarray, last: int):
    """The largest t < seg.high where a free asset reaches a bound, a bound asset's
    multiplier reaches zero, a slack cap fills or a holding cap's multiplier reaches zero;
    ``(t, (kind, index))`` with kind in lower/upper/release (asset) or cap/uncap (group),
    or ``(0, None)`` when the line reaches t = 0 first."""
    n, free, upper = len(mu), walk.is_free, walk.upper
    p, q, t_now = seg.p, seg.q, seg.high
    groups, caps, active = walk.groups, walk.caps, walk.active
    times = np.full(n + len(caps), -np.inf)
    kinds = np.zeros(n + len(caps), dtype=np.int8)  # codes into _KINDS
    to_lower, to_upper = free & (q > 1e-14), free & (q < -1e-14)
    times[:n][to_lower] = (walk.lb[to_lower] - p[to_lower]) / q[to_lower]
    times[:n][to_upper] = (walk.ub[to_upper] - p[to_upper]) / q[to_upper]
    kinds[:n][to_lower], kinds[:n][to_upper] = 0, 1
    rows = walk.rows()
    g0, g1 = seg.sp - rows.T @ seg.nu0, seg.sq - mu - rows.T @ seg.nu1
    release = ~free & ((~upper & (g1 > 1e-14)) | (upper & (g1 < -1e-14)))
    times[:n][release] = -g0[release] / g1[release]
    kinds[:n][release] = 2
    if len(caps):
        holding = np.zeros(len(caps), dtype=bool)
        holding[active] = True
        level, slope = groups @ p, groups @ q
        fills = ~holding & (slope < -1e-14)
        times[n:][fills] = (caps[fills] - level[fills]) / slope[fills]
        kinds[n:][fills] = 3
        eta0, eta1 = np.zeros(len(caps)), np.zeros(len(caps))
        eta0[active], eta1[active] = -seg.nu0[1:], -seg.nu1[1:]
        lets_go = holding & (eta1 > 1e-14)
        times[n:][lets_go] = -eta0[lets_go] / eta1[lets_go]
        kinds[n:][lets_go] = 4
    if last >= 0 and times[last] >= t_now * (1 - 1e-9):
        times[last] = -np.inf  # what just turned, turning straight back: a cycle
    times = np.minimum(times, t_now)
    j = int(np.argmax(times))
    if not times[j] > 0:
        return 0.0, None
    return float(times[j]), (_KINDS[kinds[j]], j if j < n else j - n)


def _polished(mu, walk, seg, choose_t, status, target, tol) -> CriticalLineSolution:
    """Re-solve the final free set directly (no accumulated update error), choose t on
    that exact segment and check the KKT conditions there."""
    if not walk.refresh():
        raise _Declined("singular covariance block", walk.steps)
    exact = walk.segment(mu, seg.low, seg.high)
    t = choose_t(exact)
    w = exact.p + t * exact.q
    why = _kkt_failure(mu, walk, w, exact.nu0 + t * exact.nu1, t, target, tol)
    if why:
        raise _Declined(why, walk.steps)
    return CriticalLineSolution(np.clip(w, walk.lb, walk.ub), status, walk.steps, t)
