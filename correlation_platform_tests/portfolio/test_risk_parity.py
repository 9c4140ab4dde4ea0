"""Spinu's Newton method against Clarabel on the same log-barrier problem."""

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import objectives, optimize
from correlation_platform.portfolio.risk_parity import NewtonSolution, risk_budget_weights


def _cov(rng, n: int, t: int) -> np.ndarray:
    x = rng.standard_normal((t, 3)) @ rng.normal(0.5, 0.4, (3, n)) * 0.01
    x += rng.standard_normal((t, n)) * rng.uniform(0.004, 0.02, n)
    return np.cov(x, rowvar=False) * 1e4


def _clarabel(cov: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    y = cp.Variable(len(budgets))
    objective = 0.5 * cp.quad_form(y, cov) - budgets @ cp.log(y)
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL)
    return y.value / y.value.sum()


@pytest.mark.parametrize("n", [3, 40, 150])
def test_newton_matches_clarabel_and_hits_the_budgets(rng, n):
    cov = _cov(rng, n, 3 * n)
    budgets = rng.uniform(0.5, 2.0, n)
    budgets /= budgets.sum()
    sol = risk_budget_weights(cov, budgets)
    assert sol.status == "converged" and sol.iterations < 30
    w = sol.weights
    contributions = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(contributions, budgets, rtol=1e-9)
    # Clarabel stops at its interior-point tolerance; the budgets above are the exact check.
    np.testing.assert_allclose(w, _clarabel(cov, budgets), atol=5e-5)


def test_singular_covariance_still_has_a_risk_parity_portfolio(rng):
    # Fewer days than assets: S is singular, S + diag(b / y^2) is not.
    cov = _cov(rng, 60, 30)
    assert np.linalg.matrix_rank(cov) < 60
    sol = risk_budget_weights(cov, np.full(60, 1 / 60))
    assert sol.status == "converged" and np.all(sol.weights > 0)
    w = sol.weights
    np.testing.assert_allclose(w * (cov @ w) / (w @ cov @ w), np.full(60, 1 / 60), rtol=1e-8)


def test_non_positive_budgets_are_declined():
    sol = risk_budget_weights(np.eye(3), np.array([0.5, 0.5, 0.0]))
    assert sol.weights is None and sol.status.startswith("failed")


def test_optimize_falls_back_to_clarabel_when_newton_declines(rng, monkeypatch):
    assets = list("abcdef")
    frame = pd.DataFrame(_cov(rng, 6, 200) * 1e-4, index=assets, columns=assets)
    newton = optimize(frame, objective="risk_parity")
    assert newton.solver == "newton" and "converged" in newton.info["newton"]
    declined = NewtonSolution(None, "failed: declined for this test", 3)
    monkeypatch.setattr(objectives, "risk_budget_weights", lambda *a: declined)
    cone = optimize(frame, objective="risk_parity")
    assert cone.solver == "CLARABEL" and cone.fallback is None
    assert cone.info["newton"] == "failed: declined for this test (3 steps)"
    np.testing.assert_allclose(newton.weights, cone.weights, atol=1e-5)
