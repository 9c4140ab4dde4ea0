"""The critical-line walks (min/mean variance, target volatility, max Sharpe) against Clarabel."""

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import critical_line, optimize
from correlation_platform.portfolio.critical_line import (
    max_sharpe_weights,
    mean_variance_weights,
    min_variance_weights,
    target_volatility_weights,
)

#: Sizes and bounds: unconstrained-ish, capped, long-short, and 2% caps that fill the
#: budget exactly (coinciding turning points).
SHAPES = [(8, 0.0, 1.0), (40, 0.0, 0.08), (60, -0.05, 0.2), (200, 0.0, 0.02)]


def _problem(rng, n: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    factors = rng.standard_normal((t, 3)) @ rng.normal(0.5, 0.4, (3, n)) * 0.01
    x = factors + rng.standard_normal((t, n)) * rng.uniform(0.004, 0.02, n)
    cov = np.cov(x, rowvar=False)
    return cov / np.mean(np.diag(cov)), rng.normal(0.5, 0.5, n)


def _soc(cov, mu, lb, ub, variance, sectors=None) -> tuple[str, np.ndarray | None]:
    w = cp.Variable(len(mu))
    risk = cp.norm(np.linalg.cholesky(cov).T @ w, 2) <= np.sqrt(variance)
    constraints = [cp.sum(w) == 1, w >= lb, w <= ub, risk]
    if sectors is not None:
        constraints.append(sectors[0] @ w <= sectors[1])
    problem = cp.Problem(cp.Maximize(mu @ w), constraints)
    problem.solve(solver=cp.CLARABEL)
    return problem.status, w.value


def _between(cov, mu, lb, ub, level: float) -> float:
    """A variance ``level`` of the way from the minimum-variance portfolio's to the
    maximum-return portfolio's (both from Clarabel), where the risk constraint binds."""
    w = cp.Variable(len(mu))
    box = [cp.sum(w) == 1, w >= lb, w <= ub]
    cp.Problem(cp.Minimize(cp.quad_form(w, cov)), box).solve(solver=cp.CLARABEL)
    low = w.value @ cov @ w.value
    cp.Problem(cp.Maximize(mu @ w), box).solve(solver=cp.CLARABEL)
    return low + level * (w.value @ cov @ w.value - low)


@pytest.mark.parametrize(("n", "lower", "upper"), SHAPES)
def test_walk_matches_the_cone_program(rng, n, lower, upper):
    cov, mu = _problem(rng, n, 3 * n)
    lb, ub = np.full(n, lower), np.full(n, upper)
    for level in (0.3, 0.6, 0.9):
        # A variance between the minimum-variance and the maximum-return portfolios'.
        variance = level * np.min(np.diag(cov))
        status, reference = _soc(cov, mu, lb, ub, variance)
        sol = target_volatility_weights(cov, mu, lb, ub, variance)
        if status == cp.INFEASIBLE:
            assert sol.status == "unreachable"
            continue
        assert sol.status in ("binding", "slack"), sol.status
        w = sol.weights
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(w >= lb - 1e-12) and np.all(w <= ub + 1e-12)
        assert w @ cov @ w <= variance * (1 + 1e-9)
        # Interior-point answers sit within their tolerance of the boundary; the walk's is on it.
        assert mu @ w >= mu @ reference - 1e-6 * abs(mu @ reference)
        np.testing.assert_allclose(w, reference, atol=1e-4)


def test_walk_crosses_many_turning_points_and_agrees_with_refreshing_each_step(rng, monkeypatch):
    n = 200
    cov, mu = _problem(rng, n, 600)
    lb, ub = np.zeros(n), np.full(n, 0.02)
    variance = _between(cov, mu, lb, ub, 0.5)
    sol = target_volatility_weights(cov, mu, lb, ub, variance)
    assert sol.status == "binding" and sol.turning_points > 20
    assert sol.weights @ cov @ sol.weights == pytest.approx(variance, rel=1e-8)
    monkeypatch.setattr(critical_line, "REFRESH_EVERY", 1)
    refreshed = target_volatility_weights(cov, mu, lb, ub, variance)
    # Caps of 2% fill the budget exactly (50 x 2%), so turning points coincide and the two
    # walks may take them in different orders; the end point is unique.
    assert refreshed.status == "binding"
    np.testing.assert_allclose(sol.weights, refreshed.weights, atol=1e-10)
    _, reference = _soc(cov, mu, lb, ub, variance)
    np.testing.assert_allclose(sol.weights, reference, atol=1e-4)


def test_slack_target_returns_the_maximum_return_portfolio():
    cov = np.diag([1.0, 1.2, 0.8, 1.1])
    mu = np.array([0.1, 0.4, 0.3, 0.2])
    sol = target_volatility_weights(cov, mu, np.zeros(4), np.full(4, 0.4), variance := 1.0)
    assert sol.status == "slack"
    np.testing.assert_allclose(sol.weights, [0.0, 0.4, 0.4, 0.2])
    assert sol.weights @ cov @ sol.weights <= variance


def test_unreachable_target_gives_the_minimum_variance_portfolio(rng):
    cov, mu = _problem(rng, 12, 60)
    sol = target_volatility_weights(cov, mu, np.zeros(12), np.ones(12), 1e-6)
    assert sol.status == "unreachable" and sol.t == 0.0
    w = cp.Variable(12)
    cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1, w >= 0]).solve(
        solver=cp.CLARABEL
    )
    np.testing.assert_allclose(sol.weights, w.value, atol=1e-5)


def test_ties_at_the_margin_fail_with_a_reason_and_optimize_uses_clarabel(rng):
    # Equal expected returns leave the maximum-return end of the line undefined: the walk
    # declines, and optimize solves the cone program instead, saying so in info.
    cov, _ = _problem(rng, 6, 40)
    mu = np.full(6, 0.3)
    sol = target_volatility_weights(cov, mu, np.zeros(6), np.ones(6), 0.5)
    assert sol.weights is None and sol.status.startswith("failed: tied")
    assets = list("abcdef")
    frame = pd.DataFrame(cov * 1e-4, index=assets, columns=assets)
    res = optimize(
        frame,
        objective="target_volatility",
        expected_returns=pd.Series(3e-4, index=assets),
        target_volatility=0.15,
    )
    assert res.solver == "CLARABEL" and res.info["critical_line"] == sol.status
    assert res.weights.sum() == pytest.approx(1.0)


def test_optimize_walks_the_line_for_box_and_budget_and_agrees_with_the_cone_program(rng):
    cov, mu = _problem(rng, 30, 200)
    assets = [f"a{i}" for i in range(30)]
    frame = pd.DataFrame(cov * 1e-4, index=assets, columns=assets)
    returns = pd.Series(mu * 1e-4, index=assets)
    target = float(np.sqrt(_between(cov, mu, 0.0, 0.1, 0.5) * 1e-4 * 252))
    kwargs = {"expected_returns": returns, "target_volatility": target, "bounds": (0.0, 0.1)}
    walked = optimize(frame, objective="target_volatility", **kwargs)
    assert walked.solver == "critical_line" and walked.fallback is None
    assert walked.info["risk_constraint"] == "binding"
    assert walked.ex_ante_volatility == pytest.approx(target, rel=1e-8)
    # A turnover limit that cannot bind sends the same problem to Clarabel.
    cone = optimize(frame, objective="target_volatility", max_turnover=10.0, **kwargs)
    assert cone.solver == "CLARABEL"
    np.testing.assert_allclose(walked.weights, cone.weights, atol=1e-4)
    unreachable = optimize(
        frame, objective="target_volatility", **{**kwargs, "target_volatility": 0.5 * target}
    )
    rescue = optimize(frame, objective="min_variance", bounds=(0.0, 0.1))
    assert unreachable.fallback == "min_variance" and "not reachable" in unreachable.reason
    np.testing.assert_allclose(unreachable.weights, rescue.weights, atol=1e-4)


def _tangency(cov, mu, lb, ub, sectors=None) -> np.ndarray:
    """Cornuejols-Tutuncu's convex form of the maximum-Sharpe problem, solved by Clarabel."""
    y, kappa = cp.Variable(len(mu)), cp.Variable(nonneg=True)
    constraints = [mu @ y == 1, cp.sum(y) == kappa, y >= lb * kappa, y <= ub * kappa]
    if sectors is not None:
        constraints.append(sectors[0] @ y <= sectors[1] * kappa)
    cp.Problem(cp.Minimize(cp.quad_form(y, cov)), constraints).solve(solver=cp.CLARABEL)
    return y.value / kappa.value


@pytest.mark.parametrize(("n", "lower", "upper"), SHAPES)
def test_max_sharpe_walk_matches_the_convex_reformulation(rng, n, lower, upper):
    cov, mu = _problem(rng, n, 3 * n)
    lb, ub = np.full(n, lower), np.full(n, upper)
    sol = max_sharpe_weights(cov, mu, lb, ub)
    assert sol.status == "max_sharpe", sol.status
    reference = _tangency(cov, mu, lb, ub)
    sharpe = lambda w: (mu @ w) / np.sqrt(w @ cov @ w)  # noqa: E731
    assert sharpe(sol.weights) >= sharpe(reference) - 1e-9
    np.testing.assert_allclose(sol.weights, reference, atol=2e-4)
    assert sol.weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_max_sharpe_without_a_positive_return_declines():
    # Bounds force weight into the losing asset: no fully invested portfolio earns > 0.
    cov = np.diag([1.0, 2.0])
    sol = max_sharpe_weights(cov, np.array([0.1, -1.0]), np.array([0.0, 0.5]), np.ones(2))
    assert sol.weights is None and "positive expected return" in sol.status


def test_random_problems_with_degenerate_caps_match_clarabel():
    # Caps of 1/k fill the budget exactly and make turning points coincide; released
    # assets must still be able to reach their other bound later on the line.
    rng = np.random.default_rng(7)
    sharpe = lambda w, cov, mu: (mu @ w) / np.sqrt(w @ cov @ w)  # noqa: E731
    for trial in range(60):
        n = int(rng.integers(3, 40))
        cov, mu = _problem(rng, n, 3 * n + 10)
        cap = 1.0 / int(rng.integers(1, n + 1)) if trial % 2 else rng.uniform(1.0 / n, 0.5)
        lb, ub = np.zeros(n), np.full(n, cap)
        sol = max_sharpe_weights(cov, mu, lb, ub)
        reference = _tangency(cov, mu, lb, ub)
        assert sol.status == "max_sharpe", (trial, sol.status)
        assert sharpe(sol.weights, cov, mu) >= sharpe(reference, cov, mu) * (1 - 1e-7), trial
        variance = _between(cov, mu, lb, ub, 0.5)
        walked = target_volatility_weights(cov, mu, lb, ub, variance)
        _, cone = _soc(cov, mu, lb, ub, variance)
        assert walked.status in ("binding", "slack"), (trial, walked.status)
        assert mu @ walked.weights >= mu @ cone - 1e-6 * abs(mu @ cone), trial


@pytest.mark.parametrize(("n", "lower", "upper"), SHAPES)
def test_mean_variance_walk_matches_the_quadratic_program(rng, n, lower, upper):
    cov, mu = _problem(rng, n, 3 * n)
    lb, ub = np.full(n, lower), np.full(n, upper)
    for gamma in (0.05, 0.5, 5.0):
        sol = mean_variance_weights(cov, mu, lb, ub, 1 / (2 * gamma))
        assert sol.status == "mean_variance", sol.status
        w = cp.Variable(n)
        utility = mu @ w - gamma * cp.quad_form(w, cov)
        cp.Problem(cp.Maximize(utility), [cp.sum(w) == 1, w >= lb, w <= ub]).solve(
            solver=cp.CLARABEL
        )
        value = lambda x: mu @ x - gamma * x @ cov @ x  # noqa: E731,B023
        assert value(sol.weights) >= value(w.value) - 1e-9
        np.testing.assert_allclose(sol.weights, w.value, atol=1e-5)


def test_mean_variance_without_risk_aversion_is_the_maximum_return_portfolio():
    cov = np.diag([1.0, 1.2, 0.8])
    sol = mean_variance_weights(
        cov, np.array([0.1, 0.4, 0.3]), np.zeros(3), np.full(3, 0.6), np.inf
    )
    np.testing.assert_allclose(sol.weights, [0.0, 0.6, 0.4])


@pytest.mark.parametrize(("n", "lower", "upper"), SHAPES)
def test_min_variance_walk_matches_the_quadratic_program(rng, n, lower, upper):
    cov, _ = _problem(rng, n, 3 * n)
    lb, ub = np.full(n, lower), np.full(n, upper)
    sol = min_variance_weights(cov, lb, ub)
    assert sol.weights is not None, sol.status
    w = cp.Variable(n)
    box = [cp.sum(w) == 1, w >= lb, w <= ub]
    cp.Problem(cp.Minimize(cp.quad_form(w, cov)), box).solve(solver=cp.CLARABEL)
    assert sol.weights @ cov @ sol.weights <= w.value @ cov @ w.value + 1e-10
    np.testing.assert_allclose(sol.weights, w.value, atol=1e-5)


def test_min_variance_with_equal_volatilities_breaks_the_tie():
    # Equal variances tie every asset at the walk's start; the tilt by position must not
    # change the answer (here: inverse-variance weights capped at 40%).
    cov = np.diag([1.0, 1.0, 1.0, 4.0])
    sol = min_variance_weights(cov, np.zeros(4), np.full(4, 0.4))
    inverse = np.array([1.0, 1.0, 1.0, 0.25]) / 3.25
    assert inverse.max() < 0.4
    np.testing.assert_allclose(sol.weights, inverse, atol=1e-12)


def test_infinite_bounds_are_declined_not_returned_as_garbage():
    lb, ub = np.full(3, -np.inf), np.full(3, np.inf)
    mu = np.array([1.0, 2.0, 3.0])
    with np.errstate(all="ignore"):
        solutions = [
            min_variance_weights(np.eye(3), lb, ub),
            max_sharpe_weights(np.eye(3), mu, lb, ub),
            target_volatility_weights(np.eye(3), mu, lb, ub, 0.5),
        ]
    for sol in solutions:
        assert sol.weights is None and sol.status.startswith("failed"), sol.status


def _sectors(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint sectors (some assets in none) with caps; some caps round, so that caps
    fill exactly as assets reach their bounds."""
    labels = rng.integers(0, 5, n)
    groups = np.array([(labels == k).astype(float) for k in range(4)])  # sector 4: uncapped
    caps = rng.uniform(0.1, 0.5, 4)
    return groups, np.round(caps, 1) if rng.random() < 0.5 else caps


def test_sector_capped_walks_match_clarabel():
    rng = np.random.default_rng(11)
    checked = 0
    for trial in range(40):
        n = int(rng.integers(6, 50))
        cov, mu = _problem(rng, n, 3 * n + 10)
        groups, caps = _sectors(rng, n)
        lb, ub = np.zeros(n), np.full(n, rng.uniform(max(1.0 / n, 0.1), 1.0))
        w = cp.Variable(n)
        feasible = [cp.sum(w) == 1, w >= lb, w <= ub, groups @ w <= caps]
        problem = cp.Problem(cp.Minimize(cp.quad_form(w, cov)), feasible)
        problem.solve(solver=cp.CLARABEL)
        if problem.status != cp.OPTIMAL:
            continue  # the caps cannot hold the budget; optimize's rescue handles that
        checked += 1
        minimum = w.value.copy()
        walked = min_variance_weights(cov, lb, ub, sectors=(groups, caps))
        assert walked.weights @ cov @ walked.weights <= minimum @ cov @ minimum + 1e-9, trial
        assert np.all(groups @ walked.weights <= caps + 1e-9)
        cp.Problem(cp.Maximize(mu @ w), feasible).solve(solver=cp.CLARABEL)
        variance = 0.5 * (minimum @ cov @ minimum + w.value @ cov @ w.value)
        _, cone = _soc(cov, mu, lb, ub, variance, (groups, caps))
        walked = target_volatility_weights(cov, mu, lb, ub, variance, sectors=(groups, caps))
        assert walked.status == "binding", (trial, walked.status)
        assert mu @ walked.weights >= mu @ cone - 1e-6 * abs(mu @ cone), trial
        sharpe = max_sharpe_weights(cov, mu, lb, ub, sectors=(groups, caps))
        reference = _tangency(cov, mu, lb, ub, (groups, caps))
        ratios = [(mu @ x) / np.sqrt(x @ cov @ x) for x in (sharpe.weights, reference)]
        assert ratios[0] >= ratios[1] * (1 - 1e-7), trial
    assert checked >= 25


def test_overlapping_sectors_are_declined():
    groups = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    sol = min_variance_weights(
        np.eye(3), np.zeros(3), np.ones(3), sectors=(groups, np.full(2, 0.7))
    )
    assert sol.weights is None and "disjoint" in sol.status


def test_optimize_walks_the_line_under_sector_caps(rng, monkeypatch):
    import correlation_platform.portfolio.objectives as opt
    from correlation_platform.portfolio.active_set import ActiveSetSolution

    cov, _ = _problem(rng, 12, 100)
    assets = [f"a{i}" for i in range(12)]
    frame = pd.DataFrame(cov * 1e-4, index=assets, columns=assets)
    sectors = pd.Series(["x"] * 4 + ["y"] * 4 + ["z"] * 4, index=assets)
    kwargs = {"groups": sectors, "group_caps": {"x": 0.2, "y": 0.3}, "bounds": (0.0, 0.4)}
    first = optimize(frame, objective="min_variance", **kwargs)
    # The line is the second exact method of minimum variance: after the active set.
    declined = ActiveSetSolution(weights=None, status="failed: declined by the test", iterations=0)
    monkeypatch.setattr(opt, "quadratic_weights", lambda *a, **k: declined)
    walked = optimize(frame, objective="min_variance", **kwargs)
    cone = optimize(frame, objective="min_variance", method="cvxpy", **kwargs)
    assert first.solver == "active_set" and walked.solver == "critical_line"
    assert walked.attempts[0].outcome == "failed: declined by the test"
    assert cone.solver == "CLARABEL"
    np.testing.assert_allclose(walked.weights, cone.weights, atol=1e-5)
    np.testing.assert_allclose(first.weights, walked.weights, atol=1e-9)
    assert walked.weights[sectors == "x"].sum() <= 0.2 + 1e-12


@pytest.mark.parametrize("objective", ["min_variance", "target_volatility", "max_sharpe"])
def test_caps_that_imply_the_budget_still_give_the_optimum(rng, objective):
    # Two sectors over every asset, capped at 60% and 40%: both caps must hold exactly,
    # which makes the budget row redundant in the multiplier system.
    cov, mu = _problem(rng, 6, 80)
    assets = list("abcdef")
    frame = pd.DataFrame(cov * 1e-4, index=assets, columns=assets)
    kwargs = {
        "expected_returns": pd.Series(mu * 1e-4, index=assets),
        "groups": {"x": list("abc"), "y": list("def")},
        "group_caps": {"x": 0.6, "y": 0.4},
        "target_volatility": 0.11,
    }
    walked = optimize(frame, objective=objective, **kwargs)
    cone = optimize(frame, objective=objective, method="cvxpy", **kwargs)
    # An exact method answers: the active set (max Sharpe) or the line, whose multiplier
    # system must cope with the redundant budget row.
    assert walked.solver in ("active_set", "critical_line") and walked.fallback == cone.fallback
    np.testing.assert_allclose(walked.weights, cone.weights, atol=1e-5)
    np.testing.assert_allclose(walked.weights[list("abc")].sum(), 0.6, atol=1e-9)


def test_a_budget_implied_by_holding_caps_is_dropped_from_the_multiplier_system(rng):
    # Every asset free, both caps (0.5 + 0.5 over all assets) holding: the budget row is
    # the sum of the cap rows, the multipliers are not unique, and the segment must
    # still come out (without the budget row), satisfying the caps and stationarity.
    cov, mu = _problem(rng, 4, 40)
    groups = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    start = critical_line.WalkState(
        free=[0, 1, 2, 3],
        is_free=np.ones(4, dtype=bool),
        w=np.full(4, 0.25),
        upper=np.zeros(4, dtype=bool),
        active=[0, 1],
    )
    walk = critical_line._Walk(
        cov, (np.zeros(4), np.ones(4)), (groups, np.array([0.5, 0.5])), start
    )
    seg = walk.segment(mu)
    p, q, nu0, nu1 = seg.p, seg.q, seg.nu0, seg.nu1
    np.testing.assert_allclose(groups @ p, [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(groups @ q, [0.0, 0.0], atol=1e-12)
    # Stationarity on every (free) asset: S w - t mu = E' nu for any t.
    rows = walk.rows()
    for t in (0.0, 0.7):
        np.testing.assert_allclose(cov @ (p + t * q) - t * mu, rows.T @ (nu0 + t * nu1), atol=1e-10)
