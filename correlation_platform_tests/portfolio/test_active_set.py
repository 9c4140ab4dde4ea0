"""The primal-dual active set against the Clarabel programs, structure by structure."""

import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import InfeasiblePortfolioError, optimize
from correlation_platform.portfolio.active_set import KKT_TOL, quadratic_weights


def _covariance(rng, n, structure):
    if structure == "positive":
        loadings = rng.normal(0.5, 0.3, (n, 4))
    elif structure == "mixed":
        loadings = rng.normal(0.0, 0.5, (n, 4))
    else:  # a sample covariance from few observations
        x = rng.standard_normal((int(1.5 * n), n)) @ (np.eye(n) + 0.2)
        return np.cov(x, rowvar=False) * 1e-4
    return (loadings @ loadings.T * 0.8 + np.diag(rng.uniform(0.5, 2.0, n))) * 1e-4


def _objective(cov, mu, w, w0, cost, aversion, objective="min_variance"):
    if objective == "max_sharpe":
        return -(mu @ w) / np.sqrt(w @ cov @ w)
    if mu is None:
        return w @ cov @ w + cost * np.abs(w - w0).sum()
    return -(mu @ w - aversion * w @ cov @ w - cost * np.abs(w - w0).sum())


CASES = [
    (structure, objective, cap, extra)
    for structure in ("positive", "mixed", "sample")
    for objective in ("min_variance", "mean_variance")
    for cap in (2.0, 10.0)
    for extra in ("costs", "turnover", "both", "sectors")
] + [
    (structure, "max_sharpe", cap, extra)
    for structure in ("positive", "mixed", "sample")
    for cap in (2.0, 10.0)
    for extra in ("plain", "sectors")
]


def _solve_case(rng, structure, objective, cap, extra):
    n = 40
    cov = _covariance(rng, n, structure)
    assets = [f"a{i}" for i in range(n)]
    frame = pd.DataFrame(cov, index=assets, columns=assets)
    w0 = rng.dirichlet(np.ones(n))
    w0 = np.minimum(w0, cap / n)
    w0 /= w0.sum()
    mu = rng.uniform(-2e-4, 8e-4, n) if objective != "min_variance" else None
    kwargs = {
        "objective": objective,
        "bounds": (0.0, cap / n),
        "current_weights": pd.Series(w0, index=assets),
        "risk_aversion": 3.0,
    }
    if mu is not None:
        kwargs["expected_returns"] = pd.Series(mu, index=assets)
    cost = 5e-4 if extra in ("costs", "both") else 0.0
    kwargs["transaction_cost"] = cost
    if extra in ("turnover", "both"):
        kwargs["max_turnover"] = 0.25
    if extra == "sectors":
        # Overlapping groups (the critical line takes only disjoint ones).
        groups = {"g1": assets[:15], "g2": assets[10:25]}
        kwargs.update(groups=groups, group_caps={"g1": 0.3, "g2": 0.25})
    ours = optimize(frame, **kwargs)
    cone = optimize(frame, method="cvxpy", **kwargs)
    return ours, cone, cov, mu, w0, cost, kwargs


@pytest.mark.parametrize(("structure", "objective", "cap", "extra"), CASES)
def test_matches_the_clarabel_program(rng, structure, objective, cap, extra):
    n = 40
    ours, cone, cov, mu, w0, cost, kwargs = _solve_case(rng, structure, objective, cap, extra)
    # Where the active set declines (a cycle, dependent rows), the next method answers.
    assert ours.solver in ("active_set", "critical_line", "CLARABEL"), ours.attempts
    assert ours.attempts[0].step == "active_set"
    assert cone.solver == "CLARABEL"
    w, wc = ours.weights.to_numpy(), cone.weights.to_numpy()
    tol = KKT_TOL if ours.solver == "active_set" else 1e-7  # Clarabel's own tolerance
    assert abs(w.sum() - 1) < 1e-12
    assert w.min() >= -tol and w.max() <= cap / n + tol
    if "max_turnover" in kwargs:
        assert np.abs(w - w0).sum() <= 0.25 + tol
    if extra == "sectors":
        assert w[:15].sum() <= 0.3 + tol and w[10:25].sum() <= 0.25 + tol
    # Exact: never worse than the interior-point answer beyond its own tolerance.
    ours_value = _objective(cov, mu, w, w0, cost, 3.0, objective)
    cone_value = _objective(cov, mu, wc, w0, cost, 3.0, objective)
    assert ours_value <= cone_value + 1e-8 * max(abs(cone_value), 1e-6)
    np.testing.assert_allclose(w, wc, atol=5e-4)


def test_the_active_set_answers_most_structures_itself():
    rng = np.random.default_rng(7)
    solvers = [_solve_case(rng, *case)[0].solver for case in CASES]
    # Measured: 52 of 60 at 40 assets (declines: the tightest caps, 2/N, with a binding
    # turnover limit or overlapping caps); bench/optimizer_structures.py counts at 500.
    assert solvers.count("active_set") >= 0.75 * len(CASES), solvers


def test_a_binding_turnover_limit_is_met_exactly_and_priced(rng):
    n = 30
    cov = _covariance(rng, n, "mixed")
    scale = np.mean(np.diag(cov))
    w0 = np.full(n, 1 / n)
    free = quadratic_weights(2 * cov / scale, np.zeros(n), np.zeros(n), np.full(n, 0.2), current=w0)
    moved = np.abs(free.weights - w0).sum()
    limited = quadratic_weights(
        2 * cov / scale,
        np.zeros(n),
        np.zeros(n),
        np.full(n, 0.2),
        current=w0,
        max_turnover=moved / 3,
    )
    assert limited.status == "optimal" and limited.turnover_price > 0
    assert np.abs(limited.weights - w0).sum() == pytest.approx(moved / 3, abs=KKT_TOL)
    # A zero limit holds the book; a cost larger than any gain holds it too.
    held = quadratic_weights(
        2 * cov / scale, np.zeros(n), np.zeros(n), np.full(n, 0.2), current=w0, max_turnover=0.0
    )
    np.testing.assert_allclose(held.weights, w0, atol=KKT_TOL)
    costly = quadratic_weights(
        2 * cov / scale, np.zeros(n), np.zeros(n), np.full(n, 0.2), current=w0, cost=1e3
    )
    np.testing.assert_array_equal(costly.weights, w0)


def test_an_unreachable_turnover_limit_declines_for_the_programs():
    # From cash, a fully invested book needs a turnover of at least one.
    n = 5
    res = quadratic_weights(
        np.eye(n), np.zeros(n), np.zeros(n), np.ones(n), current=np.zeros(n), max_turnover=0.5
    )
    assert res.weights is None and res.status.startswith("failed: ")
    frame = pd.DataFrame(np.eye(n) * 1e-4, index=list("abcde"), columns=list("abcde"))
    # The program then proves it infeasible, and no fallback meets the limit either.
    with pytest.raises(InfeasiblePortfolioError, match="CLARABEL reports infeasible"):
        optimize(frame, current_weights=pd.Series(0.0, index=list("abcde")), max_turnover=0.5)


@pytest.mark.parametrize("cost", [2e-5, 1e-4, 5e-4])
def test_a_daily_rebalance_from_yesterdays_optimum_matches_clarabel(rng, cost):
    # Yesterday's minimum-variance book, today's covariance moved a little: near the cost
    # that holds the book the method starts from the book (and falls back on the primal
    # active set when the primal-dual one cycles).
    n = 60
    cov = _covariance(rng, n, "mixed")
    assets = [f"a{i}" for i in range(n)]
    today = cov * np.exp(rng.normal(0, 0.05, n))[:, None] * np.exp(rng.normal(0, 0.05, n))
    today = (today + today.T) / 2
    kwargs = {"bounds": (0.0, 0.05)}
    yesterday = optimize(pd.DataFrame(cov, index=assets, columns=assets), **kwargs).weights
    kwargs.update(current_weights=yesterday, transaction_cost=cost, max_turnover=0.2)
    frame = pd.DataFrame(today, index=assets, columns=assets)
    ours = optimize(frame, **kwargs)
    cone = optimize(frame, method="cvxpy", **kwargs)
    assert ours.solver == "active_set", ours.attempts
    w, wc, w0 = ours.weights.to_numpy(), cone.weights.to_numpy(), yesterday.to_numpy()
    value = _objective(today, None, w, w0, cost, 3.0)
    assert value <= _objective(today, None, wc, w0, cost, 3.0) + 1e-12
    assert np.abs(w - w0).sum() <= 0.2 + KKT_TOL
    np.testing.assert_allclose(w, wc, atol=5e-4)


@pytest.mark.parametrize("structure", ["positive", "mixed", "sample"])
@pytest.mark.parametrize("binding", [True, False])
def test_target_volatility_with_costs_matches_clarabel(rng, structure, binding):
    n = 40
    cov = _covariance(rng, n, structure)
    assets = [f"a{i}" for i in range(n)]
    mu = rng.uniform(-2e-4, 8e-4, n)
    w0 = np.full(n, 1 / n)
    frame = pd.DataFrame(cov, index=assets, columns=assets)
    kwargs = {
        "objective": "target_volatility",
        "expected_returns": pd.Series(mu, index=assets),
        "target_volatility": 1.0,  # above any portfolio's: the risk constraint is slack
        "bounds": (0.0, 0.1),
        "current_weights": pd.Series(w0, index=assets),
        "transaction_cost": 5e-4,
    }
    if binding:  # just below the volatility of the maximum net return: the target binds
        kwargs["target_volatility"] = 0.95 * optimize(frame, **kwargs).ex_ante_volatility
    ours = optimize(frame, **kwargs)
    cone = optimize(frame, method="cvxpy", **kwargs)
    assert ours.solver == "active_set", ours.attempts
    assert ours.info["risk_constraint"] == ("binding" if binding else "slack")
    w, wc = ours.weights.to_numpy(), cone.weights.to_numpy()
    net = lambda x: mu @ x - 5e-4 * np.abs(x - w0).sum()  # noqa: E731
    # Clarabel meets the risk cone to its tolerance: where it earns more, it took more risk
    # than the target, and only a hair more return.
    if net(w) < net(wc):
        assert cone.ex_ante_volatility > kwargs["target_volatility"], (net(w), net(wc))
        assert net(w) >= net(wc) - 1e-6 * abs(net(wc))
    assert ours.ex_ante_volatility <= kwargs["target_volatility"] * (1 + 1e-8)
    np.testing.assert_allclose(w, wc, atol=5e-4)


def test_more_rows_than_free_assets_are_dependent_whatever_the_rounding():
    # Three free assets, the budget and three cap rows: four equations in three unknowns.
    # Whether LAPACK's LU meets an exact zero pivot on the Schur complement depends on
    # the machine's rounding (an AMD EPYC did not, and solved garbage with multipliers of
    # 1e14): the count alone must say so.
    from correlation_platform.portfolio.active_set import State, _DependentRows, _Problem

    n = 3
    q = np.eye(n) + 0.1
    g = np.eye(n) - 0.3  # y_i <= 0.3 * sum(y), the homogenised caps of max Sharpe
    prob = _Problem(
        q, np.zeros(n), np.zeros(n), np.full(n, np.inf), np.zeros(n), (g, np.zeros(n)),
        np.array([1.0, 2.0, 3.0]),
    )  # fmt: skip
    state = np.full(n, State.BUY, dtype=np.int8)
    with pytest.raises(_DependentRows, match="more budget and cap rows than free assets"):
        prob.solve(state, np.ones(n, dtype=bool), 0.0)
    prob.solve(state, np.array([True, True, False]), 0.0)  # three equations: solvable
