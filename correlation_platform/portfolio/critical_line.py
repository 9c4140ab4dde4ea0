"""Exact mean-variance-family weights by the critical line, for budget and bounds.

Under ``1'w = 1, lb <= w <= ub`` the portfolio ``argmin 0.5 w'Sw - t mu'w`` is affine in
``t`` between turning points, where one asset enters or leaves a bound; Markowitz's
critical line traces it. Walking down from ``t = inf`` (the maximum-return portfolio)
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


class _Walk:
    """The free set, its inverse covariance block and the bound assets' values."""

    def __init__(self, cov, lb, ub, w: np.ndarray, free: int, upper: np.ndarray):
        self.cov, self.lb, self.ub, self.w, self.upper = cov, lb, ub, w, upper
        self.free = [free]
        self.is_free = np.zeros(len(w), dtype=bool)
        self.is_free[free] = True
        self.inv = np.array([[1.0 / cov[free, free]]])
        self.steps = 0

    def snapshot(self) -> tuple:
        return list(self.free), self.is_free.copy(), self.w.copy(), self.upper.copy()

    def restore(self, snapshot: tuple) -> None:
        """Back to a snapshot's free set; call ``refresh`` before using the inverse."""
        free, is_free, w, upper = snapshot
        self.free, self.is_free, self.w, self.upper = list(free), is_free, w, upper

    def segment(self, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """w(t) = p + t q and budget multiplier gamma0 + t gamma1 on the current segment."""
        f = np.asarray(self.free)
        bound_w = np.where(self.is_free, 0.0, self.w)
        rhs = np.column_stack([mu[f], np.ones(len(f)), (self.cov @ bound_w)[f]])
        c_mu, c_one, c_bound = (self.inv @ rhs).T
        total = c_one.sum()
        gamma0 = (1.0 - bound_w.sum() + c_bound.sum()) / total
        gamma1 = -c_mu.sum() / total
        p, q = bound_w.copy(), np.zeros_like(bound_w)
        p[f] += gamma0 * c_one - c_bound
        q[f] = c_mu + gamma1 * c_one
        return p, q, gamma0, gamma1

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


def _max_return_start(
    mu: np.ndarray, lb: np.ndarray, ub: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray]:
    """The t = inf end of the line: fill assets to their caps in order of expected return;
    the asset that receives the last of the budget is the free one."""
    order = np.argsort(-mu, kind="stable")
    room = 1.0 - lb.sum()
    filled = np.cumsum((ub - lb)[order])
    last = min(int(np.searchsorted(filled, room - 1e-15)), len(mu) - 1)
    w = lb.copy()
    w[order[:last]] = ub[order[:last]]
    w[order[last]] += room - (filled[last - 1] if last else 0.0)
    upper = np.zeros(len(mu), dtype=bool)
    upper[order[:last]] = True
    return w, int(order[last]), upper


def _crossing(seg: _Segment, target: float) -> float:
    """The t in [low, high] where the (increasing) variance equals the target."""
    a, b, c = float(seg.q @ seg.sq), float(seg.p @ seg.sq), float(seg.p @ seg.sp) - target
    if a > 1e-300:
        t = (-b + np.sqrt(max(b * b - a * c, 0.0))) / a
    else:
        t = -c / (2 * b) if b > 0 else seg.low
    return float(np.clip(t, seg.low, seg.high))


def _kkt_failure(cov, mu, walk: _Walk, w, t: float, target: float | None, tol: float) -> str:
    """Why ``w`` is not the optimum at ``t`` (empty when the KKT conditions hold)."""
    if not np.all(np.isfinite(w)):
        return "weights are not finite"
    if abs(w.sum() - 1.0) > tol or np.any(w < walk.lb - tol) or np.any(w > walk.ub + tol):
        return "polished weights leave the budget or bounds"
    grad = cov @ w - t * mu
    gamma = float(np.mean(grad[walk.is_free]))
    g = grad - gamma
    scale = max(1.0, float(np.max(np.abs(grad))))
    at_lower = ~walk.is_free & ~walk.upper
    at_upper = ~walk.is_free & walk.upper
    if (
        np.any(np.abs(g[walk.is_free]) > 1e-7 * scale)
        or np.any(g[at_lower] < -1e-7 * scale)
        or np.any(g[at_upper] > 1e-7 * scale)
    ):
        return "KKT multipliers have the wrong sign"
    if target is not None and abs(w @ cov @ w - target) > 1e-8 * target:
        return "variance misses the target"
    return ""


class _Declined(Exception):
    """The walk cannot vouch for an answer; the message says why."""


@dataclass
class _Segment:
    """w(t) = p + t q for t in [low, high]; sp = S p and sq = S q."""

    p: np.ndarray
    q: np.ndarray
    sp: np.ndarray
    sq: np.ndarray
    low: float
    high: float

    def variance(self, t: float) -> float:
        return float(self.p @ self.sp + 2 * t * (self.p @ self.sq) + t * t * (self.q @ self.sq))


def _start(cov, mu, lb, ub) -> _Walk:
    w, first, upper = _max_return_start(mu, lb, ub)
    if np.any(np.delete(mu, first) == mu[first]):
        raise _Declined("tied expected returns at the margin")
    return _Walk(cov, lb, ub, w, first, upper)


def _segments(walk: _Walk, mu: np.ndarray):
    """The line's segments from t = inf down to t = 0, updating ``walk`` in between
    (``walk.steps`` counts the turning points crossed)."""
    n, t_now, last = len(mu), np.inf, -1
    while walk.steps <= 4 * n:
        p, q, gamma0, gamma1 = walk.segment(mu)
        sp, sq = (walk.cov @ np.column_stack([p, q])).T
        t_next, event = _next_turning_point(walk, p, q, sp, sq, mu, gamma0, gamma1, t_now, last)
        yield _Segment(p, q, sp, sq, t_next, t_now)
        if event is None:
            return
        i, to_bound = event
        if to_bound is None:
            if not walk.release(i):
                raise _Declined("singular covariance block")
        else:
            walk.bind(i, walk.ub[i] if to_bound else walk.lb[i], to_bound)
            if not walk.free:
                raise _Declined("no free asset left")
        walk.steps += 1
        if walk.steps % REFRESH_EVERY == 0 and not walk.refresh():
            raise _Declined("singular covariance block")
        t_now, last = t_next, i
    raise _Declined(f"more than {4 * n} turning points")


def target_volatility_weights(
    cov: np.ndarray,
    mu: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    target_variance: float,
    tol: float = 1e-9,
) -> CriticalLineSolution:
    """Maximum expected return with variance at most ``target_variance``, fully invested,
    within ``[lb, ub]``; ``cov`` must be positive definite for the walk to succeed."""
    walk = None
    try:
        walk = _start(cov, mu, lb, ub)
        if walk.w @ cov @ walk.w <= target_variance:
            return CriticalLineSolution(walk.w, "slack")
        for seg in _segments(walk, mu):
            if seg.variance(seg.low) <= target_variance:
                crossing = lambda s: _crossing(s, target_variance)  # noqa: E731
                return _polished(cov, mu, walk, seg, crossing, "binding", target_variance, tol)
        # t = 0 reached above the target: even minimum variance is too risky.
        return _polished(cov, mu, walk, seg, lambda s: 0.0, "unreachable", None, tol)
    except _Declined as why:
        return CriticalLineSolution(None, f"failed: {why}", walk.steps if walk else 0)


def mean_variance_weights(
    cov: np.ndarray, mu: np.ndarray, lb: np.ndarray, ub: np.ndarray, t: float, tol: float = 1e-9
) -> CriticalLineSolution:
    """``argmin 0.5 w'Sw - t mu'w`` fully invested within ``[lb, ub]`` (risk aversion
    ``gamma`` in ``mu'w - gamma w'Sw`` is ``t = 1 / (2 gamma)``): the line at ``t``."""
    walk = None
    try:
        walk = _start(cov, mu, lb, ub)
        if np.isinf(t):  # no risk aversion: the maximum-return end of the line
            return CriticalLineSolution(walk.w.copy(), "mean_variance", 0, t)
        for seg in _segments(walk, mu):
            if seg.low <= t:
                return _polished(cov, mu, walk, seg, lambda s: t, "mean_variance", None, tol)
        raise _Declined("the line ended before t")  # unreachable: the last segment ends at 0
    except _Declined as why:
        return CriticalLineSolution(None, f"failed: {why}", walk.steps if walk else 0)


def min_variance_weights(
    cov: np.ndarray, lb: np.ndarray, ub: np.ndarray, tol: float = 1e-9
) -> CriticalLineSolution:
    """The line's ``t = 0`` end, which does not depend on the returns the line is drawn
    for: inverse volatilities rank the least risky assets first, which keeps the walk
    short (about N/3 turning points at 500 assets where sample means need N/2); a 0.1%
    tilt by position breaks ties between equal volatilities."""
    n = len(cov)
    ranking = 1.0 / np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    ranking *= 1.0 + 1e-3 * np.arange(n, 0, -1) / n
    return mean_variance_weights(cov, ranking, lb, ub, 0.0, tol)


def max_sharpe_weights(
    cov: np.ndarray, mu: np.ndarray, lb: np.ndarray, ub: np.ndarray, tol: float = 1e-9
) -> CriticalLineSolution:
    """The fully invested portfolio within ``[lb, ub]`` with the highest ``mu'w / sd(w)``.

    It lies on the line (a portfolio off the frontier has a frontier portfolio with the
    same return and less risk), and the ratio is quasi-concave along it (return over a
    convex risk), so the walk stops once the ratio starts to fall. On a segment the
    ratio's stationary point solves a linear equation in t."""
    walk = None
    try:
        walk = _start(cov, mu, lb, ub)
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
        return _polished(cov, mu, walk, seg, choose, "max_sharpe", None, tol)
    except _Declined as why:
        return CriticalLineSolution(None, f"failed: {why}", walk.steps if walk else 0)


def _ratio(seg: _Segment, mu: np.ndarray, t: float) -> float:
    variance = seg.variance(t)
    return float(mu @ (seg.p + t * seg.q)) / np.sqrt(variance) if variance > 0 else -np.inf


def _best_ratio(seg: _Segment, mu: np.ndarray) -> float:
    """The t in [low, high] with the highest return / risk on this segment: an end or the
    root of (b c0 - a c1) + t (b c1 - a c2) = 0 for return a + b t, variance c0 + 2 c1 t
    + c2 t^2."""
    a, b = float(mu @ seg.p), float(mu @ seg.q)
    c0, c1, c2 = float(seg.p @ seg.sp), float(seg.p @ seg.sq), float(seg.q @ seg.sq)
    candidates = [seg.low] + ([seg.high] if np.isfinite(seg.high) else [])
    slope = b * c1 - a * c2
    if slope != 0:
        root = (a * c1 - b * c0) / slope
        if seg.low < root < seg.high:
            candidates.append(root)
    return max(candidates, key=lambda t: _ratio(seg, mu, t))


def _next_turning_point(walk, p, q, sp, sq, mu, gamma0, gamma1, t_now, last):
    """The largest t < t_now where a free asset reaches a bound or a bound asset's
    multiplier reaches zero; ``(t, (asset, upper?))`` with ``upper?`` None for a release."""
    free = walk.is_free
    times = np.full(len(mu), -np.inf)
    kind = np.zeros(len(mu), dtype=np.int8)  # 1: hits upper, -1: hits lower, 0: release
    lb_hit = free & (q > 1e-14)
    ub_hit = free & (q < -1e-14)
    lb_w, ub_w = walk.lb, walk.ub
    times[lb_hit] = (lb_w[lb_hit] - p[lb_hit]) / q[lb_hit]
    times[ub_hit] = (ub_w[ub_hit] - p[ub_hit]) / q[ub_hit]
    kind[lb_hit], kind[ub_hit] = -1, 1
    g0, g1 = sp - gamma0, sq - mu - gamma1
    release = ~free & ((~walk.upper & (g1 > 1e-14)) | (walk.upper & (g1 < -1e-14)))
    times[release] = -g0[release] / g1[release]
    if last >= 0 and times[last] >= t_now * (1 - 1e-9):
        times[last] = -np.inf  # the asset that just turned, turning straight back: a cycle
    times = np.minimum(times, t_now)
    i = int(np.argmax(times))
    if not times[i] > 0:
        return 0.0, None
    return float(times[i]), (i, None if kind[i] == 0 else bool(kind[i] == 1))


def _polished(cov, mu, walk, seg, choose_t, status, target, tol) -> CriticalLineSolution:
    """Re-solve the final free set directly (no accumulated update error), choose t on
    that exact segment and check the KKT conditions there."""
    if not walk.refresh():
        raise _Declined("singular covariance block")
    p, q, _, _ = walk.segment(mu)
    sp, sq = (cov @ np.column_stack([p, q])).T
    exact = _Segment(p, q, sp, sq, seg.low, seg.high)
    t = choose_t(exact)
    w = p + t * q
    why = _kkt_failure(cov, mu, walk, w, t, target, tol)
    if why:
        raise _Declined(why)
    return CriticalLineSolution(np.clip(w, walk.lb, walk.ub), status, walk.steps, t)
