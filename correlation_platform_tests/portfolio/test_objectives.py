"""The objectives beyond min-variance, each against an independent reference."""

import numpy as np
import pandas as pd
import pytest
from skfolio import RiskMeasure
from skfolio.moments import EmpiricalCovariance, EmpiricalMu
from skfolio.optimization import MeanRisk, ObjectiveFunction, RiskBudgeting
from skfolio.prior import EmpiricalPrior

from correlation_platform.portfolio import optimize, optimize_weights

ASSETS = list("abcdef")


@pytest.fixture
def sample(rng):
    vols = np.array([0.010, 0.012, 0.015, 0.020, 0.011, 0.018])
    mix = rng.standard_normal((6, 6)) * 0.3 + np.eye(6)
    z = rng.standard_normal((750, 6)) @ mix.T
    z = z / z.std(axis=0) * vols + np.array([4, 6, 5, 9, 2, 7]) * 1e-4
    x = pd.DataFrame(z, columns=ASSETS)
    cov = pd.DataFrame(np.cov(z, rowvar=False), index=ASSETS, columns=ASSETS)
    return x, cov, x.mean()


def _prior():
    return EmpiricalPrior(mu_estimator=EmpiricalMu(), covariance_estimator=EmpiricalCovariance())


def test_max_sharpe_matches_skfolio(sample):
    x, cov, mu = sample
    ours = optimize_weights(cov, objective="max_sharpe", expected_returns=mu, bounds=(0.0, 1.0))
    assert ours.attrs["optimization"]["solver"] == "active_set"
    ref = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
        risk_measure=RiskMeasure.VARIANCE,
        prior_estimator=_prior(),
        min_weights=0.0,
        max_weights=1.0,
    ).fit(x)
    np.testing.assert_allclose(ours.to_numpy(), ref.weights_, atol=2e-3)
    sharpe = lambda w: (w @ mu) / np.sqrt(w @ cov.to_numpy() @ w)  # noqa: E731
    assert sharpe(ours.to_numpy()) >= sharpe(np.asarray(ref.weights_)) - 1e-6


def test_max_sharpe_without_positive_returns_falls_back(sample):
    _, cov, mu = sample
    res = optimize(cov, objective="max_sharpe", expected_returns=-mu.abs())
    assert res.fallback == "min_variance" and "tangency" in res.reason


def test_risk_parity_equalises_risk_and_matches_skfolio(sample):
    x, cov, _ = sample
    res = optimize(cov, objective="risk_parity")
    assert res.solver == "newton"
    np.testing.assert_allclose(res.info["risk_contributions"], np.full(6, 1 / 6), atol=5e-5)
    ref = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, prior_estimator=_prior()).fit(x)
    np.testing.assert_allclose(res.weights.to_numpy(), ref.weights_, atol=1e-4)
    budgets = pd.Series([0.3, 0.1, 0.1, 0.1, 0.2, 0.2], index=ASSETS)
    skewed = optimize(cov, objective="risk_parity", risk_budgets=budgets)
    np.testing.assert_allclose(skewed.info["risk_contributions"], budgets.to_numpy(), atol=5e-5)


def test_mean_variance_matches_closed_form(sample):
    _, cov, mu = sample
    gamma = 50.0
    weights = optimize_weights(
        cov,
        objective="mean_variance",
        expected_returns=mu,
        risk_aversion=gamma,
        bounds=(-10.0, 10.0),
    )
    assert weights.attrs["optimization"]["solver"] == "active_set"
    w = weights.to_numpy()
    s_inv = np.linalg.inv(cov.to_numpy())
    one = np.ones(6)
    gmv = s_inv @ one / (one @ s_inv @ one)
    tilt = s_inv @ mu.to_numpy() - (one @ s_inv @ mu.to_numpy()) / (one @ s_inv @ one) * (
        s_inv @ one
    )
    np.testing.assert_allclose(w, gmv + tilt / (2 * gamma), atol=1e-5)


def test_group_caps_and_per_asset_bounds(sample):
    _, cov, mu = sample
    groups = pd.Series({"a": "g1", "b": "g1", "c": "g2", "d": "g2", "e": "g3", "f": "g3"})
    free = optimize_weights(cov, objective="min_variance")
    assert free[["a", "b"]].sum() > 0.25  # the cap below binds
    capped = optimize_weights(cov, objective="min_variance", groups=groups, group_caps={"g1": 0.2})
    assert capped[["a", "b"]].sum() <= 0.2 + 1e-7
    upper = pd.Series([0.5, 0.1, 0.5, 0.5, 0.5, 0.5], index=ASSETS)
    w = optimize_weights(
        cov,
        objective="max_sharpe",
        expected_returns=mu,
        bounds=(0.0, upper),
        groups={"g2": ["c", "d"]},
        group_caps={"g2": 0.2},
    )
    assert w["b"] <= 0.1 + 1e-7 and w[["c", "d"]].sum() <= 0.2 + 1e-6
    with pytest.raises(ValueError, match="unknown groups"):
        optimize_weights(cov, groups=groups, group_caps={"nope": 0.1})


def test_objectives_needing_returns_say_so(sample):
    _, cov, _ = sample
    with pytest.raises(ValueError, match="needs expected_returns"):
        optimize_weights(cov, objective="mean_variance")


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (0.0, 0.3)])
def test_target_volatility_matches_skfolio(sample, bounds):
    # skfolio: maximum return under a standard-deviation cap (its own cvxpy cone program);
    # ours walks the critical line. The cap sits between the minimum-variance and the
    # maximum-return portfolios' volatilities, so it binds.
    x, cov, mu = sample
    ref = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_RETURN,
        risk_measure=RiskMeasure.VARIANCE,
        prior_estimator=_prior(),
        max_standard_deviation=0.0065,
        min_weights=bounds[0],
        max_weights=bounds[1],
    ).fit(x)
    res = optimize(
        cov,
        objective="target_volatility",
        expected_returns=mu,
        target_volatility=0.0065 * np.sqrt(252),
        bounds=bounds,
    )
    assert res.solver == "critical_line" and res.fallback is None
    np.testing.assert_allclose(res.weights.to_numpy(), ref.weights_, atol=2e-4)
    assert res.ex_ante_volatility == pytest.approx(0.0065 * np.sqrt(252), rel=1e-9)
