import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import optimize, optimize_weights
from correlation_platform.portfolio.optimizer import _CACHE, InfeasiblePortfolioError


def _two_asset(rho: float) -> pd.DataFrame:
    vol = np.array([0.16, 0.10]) / np.sqrt(252)
    corr = np.array([[1.0, rho], [rho, 1.0]])
    return pd.DataFrame(
        np.outer(vol, vol) * corr, index=["equity", "bond"], columns=["equity", "bond"]
    )


@pytest.mark.parametrize(("rho", "equity"), [(0.20, 0.60), (0.75, 0.35), (-0.30, 0.75)])
def test_seed_two_asset_target_volatility(rho, equity):
    # Long-only, fully invested, 11.25% target vol, equities expected to earn more.
    w = optimize_weights(
        _two_asset(rho),
        objective="target_volatility",
        expected_returns=pd.Series({"equity": 0.07, "bond": 0.03}),
        target_volatility=0.1125,
    )
    assert w["equity"] == pytest.approx(equity, abs=0.025)
    assert w.sum() == pytest.approx(1.0)
    assert w.attrs["optimization"]["ex_ante_volatility"] == pytest.approx(0.1125, abs=1e-4)


def test_two_asset_target_vol_matches_closed_form():
    rho, s1, s2, target = 0.2, 0.16, 0.10, 0.1125
    # Solve w^2 s1^2 + (1-w)^2 s2^2 + 2 w (1-w) rho s1 s2 = target^2 for the larger root.
    a = s1**2 + s2**2 - 2 * rho * s1 * s2
    b = -2 * s2**2 + 2 * rho * s1 * s2
    c = s2**2 - target**2
    w_closed = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    w = optimize_weights(
        _two_asset(rho),
        objective="target_volatility",
        expected_returns=pd.Series({"equity": 0.07, "bond": 0.03}),
        target_volatility=target,
    )
    assert w["equity"] == pytest.approx(w_closed, abs=1e-4)


def test_min_variance_matches_closed_form_and_skfolio(rng):
    z = rng.standard_normal((500, 5)) * np.array([0.01, 0.012, 0.015, 0.02, 0.011])
    cov = pd.DataFrame(np.cov(z, rowvar=False), columns=list("abcde"), index=list("abcde"))
    w = optimize_weights(cov, objective="min_variance", bounds=(-10.0, 10.0))
    inv = np.linalg.solve(cov.to_numpy(), np.ones(5))
    np.testing.assert_allclose(w.to_numpy(), inv / inv.sum(), atol=1e-5)

    from skfolio.moments import EmpiricalCovariance
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        min_weights=0.0,
        max_weights=1.0,
        prior_estimator=EmpiricalPrior(covariance_estimator=EmpiricalCovariance()),
    )
    model.fit(pd.DataFrame(z, columns=list("abcde")))
    ours = optimize_weights(cov, objective="min_variance", bounds=(0.0, 1.0))
    np.testing.assert_allclose(ours.to_numpy(), model.weights_, atol=2e-4)


def test_problem_is_compiled_once_and_resolved(rng):
    cov = pd.DataFrame(np.diag([1.0, 2.0, 3.0]) * 1e-4, index=list("xyz"), columns=list("xyz"))
    optimize_weights(cov, method="cvxpy")
    before = len(_CACHE)
    compiled = _CACHE[(3, "min_variance", False, 0, False)]
    w = optimize_weights(cov * 2, method="cvxpy")
    assert len(_CACHE) == before and _CACHE[(3, "min_variance", False, 0, False)] is compiled
    # Inverse-variance weights for a diagonal covariance.
    np.testing.assert_allclose(w.to_numpy(), np.array([1, 1 / 2, 1 / 3]) / (11 / 6), atol=1e-5)


@pytest.mark.parametrize(
    ("objective", "kwargs"),
    [
        ("min_variance", {}),
        ("mean_variance", {"risk_aversion": 3.0}),
        ("target_volatility", {"target_volatility": 0.12}),
        ("max_sharpe", {}),
        ("risk_parity", {}),
    ],
)
def test_resolves_reuse_the_canonicalised_problem(objective, kwargs, rng, monkeypatch):
    # A re-solve must only substitute parameter values: the reduction chain (the costly
    # canonicalisation) runs once per problem, never again for new data.
    from cvxpy.reductions.solvers.solving_chain import SolvingChain

    calls = []
    original = SolvingChain.apply
    monkeypatch.setattr(
        SolvingChain, "apply", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    assets = [f"a{i}" for i in range(7)]
    mu = pd.Series(np.linspace(0.0002, 0.0008, 7), index=assets)
    _CACHE.clear()
    for _ in range(3):
        z = rng.standard_normal((300, 7)) * 0.01
        cov = pd.DataFrame(np.cov(z, rowvar=False), index=assets, columns=assets)
        res = optimize(cov, objective=objective, expected_returns=mu, method="cvxpy", **kwargs)
        assert res.fallback is None and res.status == "optimal"
    assert len(calls) == 1


def test_indefinite_covariance_is_projected_not_rejected():
    # Pairwise-estimated covariances can be slightly indefinite; the optimiser solves with
    # the nearest PSD matrix (eigenvalues clipped) instead of failing in the solver.
    corr = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.2], [0.9, -0.2, 1.0]])
    assert np.linalg.eigvalsh(corr).min() < -0.05
    cov = pd.DataFrame(corr * 1e-4, index=list("abc"), columns=list("abc"))
    res = optimize(cov, objective="min_variance")
    assert res.fallback is None
    lam, vec = np.linalg.eigh(corr)
    projected = (vec * np.clip(lam, 0, None)) @ vec.T
    from scipy.optimize import minimize

    ref = minimize(
        lambda w: w @ projected @ w,
        np.full(3, 1 / 3),
        jac=lambda w: 2 * projected @ w,
        bounds=[(0, 1)] * 3,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
        method="SLSQP",
        options={"ftol": 1e-14},
    )
    w = res.weights.to_numpy()
    assert w @ projected @ w == pytest.approx(ref.fun, abs=1e-7)
    np.testing.assert_allclose(w, ref.x, atol=1e-3)


def test_negative_risk_aversion_is_a_clear_error():
    cov = pd.DataFrame(np.eye(2) * 1e-4, index=list("ab"), columns=list("ab"))
    with pytest.raises(ValueError, match="risk_aversion"):
        optimize_weights(
            cov,
            objective="mean_variance",
            expected_returns=pd.Series(0.001, index=list("ab")),
            risk_aversion=-1.0,
        )


def test_unreachable_target_volatility_falls_back_with_reason():
    res = optimize(
        _two_asset(0.2),
        objective="target_volatility",
        expected_returns=pd.Series({"equity": 0.07, "bond": 0.03}),
        target_volatility=0.02,
    )
    assert res.fallback == "min_variance"
    assert "not reachable" in res.reason
    assert res.ex_ante_volatility > 0.02


def test_bounds_and_turnover_are_respected():
    cov = pd.DataFrame(
        np.diag([1.0, 4.0, 9.0, 16.0]) * 1e-4, index=list("abcd"), columns=list("abcd")
    )
    w = optimize_weights(cov, bounds=(0.05, 0.4))
    assert w.max() <= 0.4 + 1e-7 and w.min() >= 0.05 - 1e-7
    w0 = pd.Series(0.25, index=list("abcd"))
    w2 = optimize_weights(cov, current_weights=w0, max_turnover=0.1)
    assert (w2 - w0).abs().sum() <= 0.1 + 1e-6


def test_infeasible_bounds_are_a_clear_error():
    cov = pd.DataFrame(np.eye(3) * 1e-4, index=list("abc"), columns=list("abc"))
    with pytest.raises(ValueError, match="cannot hold a fully invested"):
        optimize_weights(cov, bounds=(0.0, 0.2))
    with pytest.raises(ValueError, match="unknown objective"):
        optimize_weights(cov, objective="astrology")
    with pytest.raises(ValueError, match="bounds must be finite"):
        optimize_weights(cov, bounds=(-np.inf, np.inf))


def test_transaction_cost_penalty_reduces_trading():
    cov = pd.DataFrame(
        np.diag([1.0, 2.0, 3.0, 4.0]) * 1e-4, index=list("abcd"), columns=list("abcd")
    )
    w0 = pd.Series([0.1, 0.2, 0.3, 0.4], index=list("abcd"))
    free = optimize_weights(cov, current_weights=w0)
    costly = optimize_weights(cov, current_weights=w0, transaction_cost=1e-4)
    assert (costly - w0).abs().sum() < (free - w0).abs().sum()
    huge = optimize_weights(cov, current_weights=w0, transaction_cost=1.0)
    np.testing.assert_allclose(huge.to_numpy(), w0.to_numpy(), atol=1e-6)  # not worth trading


def _record_solvers(monkeypatch, fail: str | None = None) -> list[str]:
    """Record which solvers cvxpy is asked for; ``fail`` makes that one raise."""
    import cvxpy as cp

    used = []
    original = cp.Problem.solve

    def solve(self, *args, **kwargs):
        used.append(kwargs.get("solver"))
        if kwargs.get("solver") == fail:
            raise cp.error.SolverError(f"{fail} crashed (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", solve)
    return used


def test_solver_error_falls_back_to_scs(monkeypatch):
    used = _record_solvers(monkeypatch, fail="CLARABEL")
    cov = pd.DataFrame(np.diag([1.0, 2.0, 3.0]) * 1e-4, index=list("xyz"), columns=list("xyz"))
    res = optimize(cov, method="cvxpy")
    assert used == ["CLARABEL", "SCS"]
    assert res.solver == "SCS" and res.fallback is None
    np.testing.assert_allclose(res.weights.to_numpy(), np.array([6, 3, 2]) / 11, atol=1e-3)


def test_certified_infeasibility_skips_the_backup_solver(monkeypatch):
    # Clarabel's infeasibility certificate is an answer: the rescue runs at once, without
    # a second (slow, equally infeasible) attempt with SCS.
    used = _record_solvers(monkeypatch)
    res = optimize(
        _two_asset(0.2),
        objective="target_volatility",
        expected_returns=pd.Series({"equity": 0.07, "bond": 0.03}),
        target_volatility=0.02,
        method="cvxpy",
    )
    assert res.fallback == "min_variance" and "infeasible" in res.reason
    assert used == ["CLARABEL", "CLARABEL"]  # the target-vol attempt, then the rescue


def test_infeasible_constraints_are_refused_never_replaced_by_a_violating_fallback(monkeypatch):
    # One sector holding every asset, capped at 50%: no fully invested portfolio exists,
    # and neither equal weight nor the current book meets the cap.
    used = _record_solvers(monkeypatch)
    cov = pd.DataFrame(np.eye(3) * 1e-4, index=list("abc"), columns=list("abc"))
    sectors = pd.Series("tech", index=list("abc"))
    with pytest.raises(
        InfeasiblePortfolioError,
        match=r"CLARABEL reports infeasible.*equal_weight breaks a sector cap",
    ):
        optimize(cov, groups=sectors, group_caps={"tech": 0.5})
    assert used == ["CLARABEL"]
    w0 = pd.Series([0.2, 0.3, 0.5], index=list("abc"))
    with pytest.raises(InfeasiblePortfolioError, match="hold_current_weights breaks a sector cap"):
        optimize(cov, current_weights=w0, groups=sectors, group_caps={"tech": 0.5})


def test_a_solver_failure_holds_a_feasible_book_or_equal_weight(monkeypatch):
    import correlation_platform.portfolio.objectives as opt
    from correlation_platform.portfolio.active_set import ActiveSetSolution
    from correlation_platform.portfolio.programs import Attempt, ProgramSolution

    injected = Attempt("CLARABEL", "solver error: injected")
    declined = ActiveSetSolution(weights=None, status="failed: injected", iterations=0)
    monkeypatch.setattr(opt, "quadratic_weights", lambda *a, **k: declined)
    monkeypatch.setattr(
        opt,
        "solve",
        lambda c: ProgramSolution(None, "solver error: injected", "CLARABEL", (injected,)),
    )
    cov = pd.DataFrame(np.diag([1e-4, 2e-4, 3e-4]), index=list("abc"), columns=list("abc"))
    w0 = pd.Series([0.2, 0.3, 0.5], index=list("abc"))
    held = optimize(cov, current_weights=w0, max_turnover=0.1, transaction_cost=1e-4)
    assert held.fallback == "hold_current_weights" and "injected" in held.reason
    np.testing.assert_allclose(held.weights.to_numpy(), w0.to_numpy())
    fresh = optimize(cov, transaction_cost=1e-4)
    assert fresh.fallback == "equal_weight"
    np.testing.assert_allclose(fresh.weights.to_numpy(), np.full(3, 1 / 3))
    # A lower bound of 0.5 on "a" rules out equal weight: nothing feasible to fall back on.
    lower = pd.Series([0.5, 0.0, 0.0], index=list("abc"))
    with pytest.raises(InfeasiblePortfolioError, match="equal_weight breaks the bounds"):
        optimize(cov, bounds=(lower, 1.0), transaction_cost=1e-4)


def test_degenerate_risk_and_mislabelled_inputs_are_refused():
    assets = list("abc")
    frozen = pd.DataFrame(np.diag([1e-4, 0.0, 2e-4]), index=assets, columns=assets)
    with pytest.raises(ValueError, match=r"zero or negative variance for \['b'\]"):
        optimize(frozen)
    cov = pd.DataFrame(np.eye(3) * 1e-4, index=assets, columns=assets)
    with pytest.raises(ValueError, match=r"missing \['c'\], unknown \['d'\]"):
        optimize(
            cov,
            objective="max_sharpe",
            expected_returns=pd.Series([1e-3, 1e-3, 1e-3], index=list("abd")),
        )
    shuffled = pd.DataFrame(np.eye(3) * 1e-4, index=list("cab"), columns=assets)
    with pytest.raises(ValueError, match="different labels"):
        optimize(shuffled)
    with pytest.raises(ValueError, match="risk_parity cannot honour"):
        optimize(
            cov, objective="risk_parity", groups=pd.Series("x", index=assets), group_caps={"x": 1.0}
        )
    with pytest.raises(ValueError, match="risk_parity has no cost term"):
        optimize(cov, objective="risk_parity", transaction_cost=1e-4)
    with pytest.raises(ValueError, match="transaction_cost must be >= 0"):
        optimize(cov, transaction_cost=-1e-4)


def test_a_non_psd_covariance_is_repaired_with_the_reason():
    assets = list("abc")
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]) * 1e-4
    res = optimize(pd.DataFrame(bad, index=assets, columns=assets))
    assert "not PSD" in res.reason and res.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("objective", "kwargs", "solver"),
    [
        ("min_variance", {}, "active_set"),
        ("mean_variance", {"risk_aversion": 4.0}, "active_set"),
        ("target_volatility", {"target_volatility": 0.293}, "critical_line"),
        ("max_sharpe", {}, "active_set"),
        ("risk_parity", {}, "newton"),
    ],
)
def test_exact_solvers_agree_with_the_clarabel_programs(objective, kwargs, solver, rng):
    assets = [f"a{i}" for i in range(30)]
    z = rng.standard_normal((400, 30)) @ (np.eye(30) + 0.3) * 0.01
    cov = pd.DataFrame(np.cov(z, rowvar=False), index=assets, columns=assets)
    mu = pd.Series(rng.uniform(0, 8e-4, 30), index=assets)
    common = {"expected_returns": mu, "bounds": (0.0, 0.15), **kwargs}
    auto = optimize(cov, objective=objective, **common)
    cone = optimize(cov, objective=objective, method="cvxpy", **common)
    assert auto.solver == solver and cone.solver == "CLARABEL"
    assert auto.fallback is None and cone.fallback is None
    np.testing.assert_allclose(auto.weights, cone.weights, atol=1e-4)
    if objective == "target_volatility":
        assert auto.info["risk_constraint"] == "binding"


def test_unknown_method_is_a_clear_error():
    cov = pd.DataFrame(np.eye(2) * 1e-4, index=list("ab"), columns=list("ab"))
    with pytest.raises(ValueError, match="method"):
        optimize(cov, method="gurobi")


def test_the_fallback_chain_is_a_parameter_and_every_step_is_recorded():
    mu = pd.Series({"equity": 0.07, "bond": 0.03})
    kwargs = {"expected_returns": mu, "target_volatility": 0.02, "method": "cvxpy"}
    res = optimize(_two_asset(0.2), objective="target_volatility", **kwargs)
    assert [(a.step, a.outcome) for a in res.attempts] == [
        ("CLARABEL", "infeasible"),
        ("min_variance/CLARABEL", "optimal"),
        ("min_variance", "optimal"),
    ]
    # Without minimum variance in the chain, equal weight is the next feasible rescue.
    equal = optimize(
        _two_asset(0.2), objective="target_volatility", fallback=("equal_weight",), **kwargs
    )
    assert equal.fallback == "equal_weight" and equal.attempts[-1].step == "equal_weight"
    np.testing.assert_allclose(equal.weights.to_numpy(), [0.5, 0.5])
    with pytest.raises(
        InfeasiblePortfolioError, match=r"target_volatility failed: CLARABEL reports infeasible"
    ):
        optimize(_two_asset(0.2), objective="target_volatility", fallback=(), **kwargs)
    with pytest.raises(ValueError, match=r"unknown fallback steps \['pray'\]"):
        optimize(_two_asset(0.2), fallback=("pray",))


def test_a_declined_walk_is_an_attempt_before_clarabel():
    assets = list("abcdef")
    cov = pd.DataFrame(np.eye(6) * 1e-4, index=assets, columns=assets)
    res = optimize(
        cov, objective="target_volatility", expected_returns=pd.Series(3e-4, index=assets)
    )
    steps = [a.step for a in res.attempts]
    assert steps[0] == "critical_line" and res.attempts[0].outcome == res.info["critical_line"]
    assert steps[1] == res.solver == "CLARABEL" and res.attempts[-1].outcome == "optimal"


def test_max_sharpe_with_no_positive_return_within_the_turnover_limit_is_min_variance():
    # Only "a" earns a positive return, but the turnover limit keeps the book mostly in
    # the losers: no reachable portfolio has a positive return, the same situation as no
    # positive expected return at all, and the same rescue (minimum variance under the
    # same limit), not a silent hold.
    assets = list("abc")
    cov = pd.DataFrame(np.diag([1e-4, 2e-4, 3e-4]), index=assets, columns=assets)
    mu = pd.Series([1e-3, -1e-3, -1e-3], index=assets)
    w0 = pd.Series([0.0, 0.5, 0.5], index=assets)
    res = optimize(
        cov, objective="max_sharpe", expected_returns=mu, current_weights=w0, max_turnover=0.2
    )
    assert res.fallback == "min_variance" and "max_sharpe failed" in res.reason
    assert np.abs(res.weights - w0).sum() <= 0.2 + 1e-6
    best = optimize(cov, current_weights=w0, max_turnover=0.2)
    np.testing.assert_allclose(res.weights.to_numpy(), best.weights.to_numpy(), atol=1e-9)
