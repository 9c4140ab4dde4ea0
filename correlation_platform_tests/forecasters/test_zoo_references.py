"""Each new family against an independent reference (scikit-learn, skfolio, pymgarch, the
papers' formulas worked elementwise) or a property it must have on a known market."""

import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import LedoitWolf, ledoit_wolf_shrinkage

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.features import simple_returns
from correlation_platform.forecasters import get_forecaster
from correlation_platform.forecasters.shrinkage import (
    analytical_nonlinear_shrinkage,
    ledoit_wolf_constant_correlation,
    ledoit_wolf_identity,
)
from correlation_platform.linalg import cov_to_corr


def test_ledoit_wolf_identity_matches_scikit_learn(rng):
    x = rng.standard_normal((120, 15)) @ (np.eye(15) + 0.3)
    x = x - x.mean(axis=0)
    cov, shrink = ledoit_wolf_identity(x)
    ref = LedoitWolf(assume_centered=True).fit(x)
    np.testing.assert_allclose(cov, ref.covariance_, rtol=1e-10)
    assert shrink == pytest.approx(ledoit_wolf_shrinkage(x, assume_centered=True))
    returns = pd.DataFrame(rng.standard_normal((300, 5)) * 0.01)
    returns.columns = list("abcde")
    f = get_forecaster("ledoit_wolf", window=252, target="identity").fit(returns)
    win = returns.iloc[-252:].to_numpy()
    expected, _ = cov_to_corr(LedoitWolf().fit(win).covariance_)
    np.testing.assert_allclose(f.predict(returns).to_numpy(), expected, atol=1e-12)


def test_constant_correlation_target_matches_the_paper_elementwise(rng):
    t, n = 80, 4
    x = rng.standard_normal((t, n)) @ (np.eye(n) + 0.5)
    x = x - x.mean(axis=0)
    s = x.T @ x / t
    sd = np.sqrt(np.diag(s))
    r = s / np.outer(sd, sd)
    rbar = (r.sum() - n) / (n * (n - 1))
    f = np.array(
        [[s[i, i] if i == j else rbar * sd[i] * sd[j] for j in range(n)] for i in range(n)]
    )
    pi = sum(np.mean((x[:, i] * x[:, j] - s[i, j]) ** 2) for i in range(n) for j in range(n))
    theta = lambda i, j: np.mean((x[:, i] ** 2 - s[i, i]) * (x[:, i] * x[:, j] - s[i, j]))  # noqa: E731
    rho = sum(np.mean((x[:, i] ** 2 - s[i, i]) ** 2) for i in range(n))
    rho += sum(
        rbar / 2 * (sd[j] / sd[i] * theta(i, j) + sd[i] / sd[j] * theta(j, i))
        for i in range(n)
        for j in range(n)
        if i != j
    )
    gamma = np.sum((f - s) ** 2)
    delta = max(0.0, min(1.0, (pi - rho) / gamma / t))
    cov, shrink = ledoit_wolf_constant_correlation(x)
    assert shrink == pytest.approx(delta, rel=1e-10)
    np.testing.assert_allclose(cov, delta * f + (1 - delta) * s, rtol=1e-10)


def test_nonlinear_shrinkage_beats_sample_and_keeps_eigenvectors(rng):
    n, t = 100, 200
    true_eig = np.concatenate([np.full(80, 1.0), np.full(20, 5.0)])
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    sigma = (q * true_eig) @ q.T
    x = rng.standard_normal((t, n)) @ np.linalg.cholesky(sigma).T
    x = x - x.mean(axis=0)
    sample = x.T @ x / t
    nl = analytical_nonlinear_shrinkage(x)
    linear, _ = ledoit_wolf_identity(x)
    # Two-level true spectrum at N/T = 1/2: nonlinear shrinkage beats both alternatives.
    assert np.linalg.norm(nl - sigma) < 0.75 * np.linalg.norm(sample - sigma)
    assert np.linalg.norm(nl - sigma) < np.linalg.norm(linear - sigma)
    _, u = np.linalg.eigh(sample)
    d = np.diag(u.T @ nl @ u)
    np.testing.assert_allclose(u @ np.diag(d) @ u.T, nl, atol=1e-8)  # same eigenvectors


def test_denoised_matches_skfolio(regime_returns):
    from skfolio.moments import DenoiseCovariance

    f = get_forecaster("denoised", window=252).fit(regime_returns)
    ours = f.predict(regime_returns).to_numpy()
    ref = DenoiseCovariance().fit(regime_returns.iloc[-252:]).covariance_
    expected, _ = cov_to_corr(ref)
    np.testing.assert_allclose(ours, expected, atol=2e-3)
    assert 1 <= f.n_factors_[-1] < regime_returns.shape[1]


def test_tic_true_tree_beats_a_shuffled_tree():
    m = simulate_market(n_assets=16, n_days=700, kind="constant", seed=8)
    r = simple_returns(m.prices)
    shuffled = m.sectors.copy()
    shuffled["sector"] = np.random.default_rng(0).permutation(shuffled["sector"].to_numpy())
    truth = m.true_correlation[0]
    dates = r.index[100::20]
    errors = {}
    for label, tree in (("true", m.sectors), ("shuffled", shuffled)):
        f = get_forecaster("tic", window=63, denoise=False).fit(r, tree=tree)
        errors[label] = np.mean([np.linalg.norm(p - truth) for p in f.predict_path(r, dates=dates)])
    hist = get_forecaster("historical", window=63).fit(r)
    errors["historical"] = np.mean(
        [np.linalg.norm(p - truth) for p in hist.predict_path(r, dates=dates)]
    )
    assert errors["true"] < errors["shuffled"]
    assert errors["true"] < errors["historical"]


def test_dcc_matches_pymgarch_and_recovers_parameters():
    from pymgarch import DCC

    m = simulate_market(n_assets=4, n_days=3000, kind="dcc", seed=3)
    r = simple_returns(m.prices)
    ours = get_forecaster("dcc").fit(r)
    ref = DCC().fit(r * 100, compute_se=False)
    assert ours.a_ == pytest.approx(ref.params["alpha"], abs=1e-4)
    assert ours.b_ == pytest.approx(ref.params["beta"], abs=1e-4)
    assert ours.loglik_ >= ref.loglikelihood - 1e-3  # equal or better likelihood
    # Simulated with a = 0.04, b = 0.94.
    assert ours.a_ == pytest.approx(0.04, abs=0.015) and ours.b_ == pytest.approx(0.94, abs=0.03)


def test_dcc_composite_is_close_to_full_and_horizon_forecast_is_the_normalised_sum():
    m = simulate_market(n_assets=6, n_days=2000, kind="dcc", seed=4)
    r = simple_returns(m.prices)
    full = get_forecaster("dcc").fit(r)
    comp = get_forecaster("dcc", composite_above=2).fit(r)
    assert comp.method_ == "composite" and full.method_ == "full"
    assert comp.a_ == pytest.approx(full.a_, abs=0.02) and comp.b_ == pytest.approx(
        full.b_, abs=0.05
    )
    one_step = full._path(r, None, np.array([len(r) - 1]), horizon=1)[0]
    long_run = full._path(r, None, np.array([len(r) - 1]), horizon=5000)[0]
    q_next = one_step  # h = 1: the forecast is Q_{t+1} itself
    d = np.sqrt(np.diag(full.qbar_))
    np.testing.assert_allclose(cov_to_corr(long_run)[0], full.qbar_ / np.outer(d, d), atol=0.02)
    h = 21
    k = (full.a_ + full.b_) ** np.arange(h)
    manual = sum(full.qbar_ + w * (q_next - full.qbar_) for w in k)
    np.testing.assert_allclose(
        full._path(r, None, np.array([len(r) - 1]), horizon=h)[0], manual, rtol=1e-10
    )


def test_cdcc_variant_runs_and_is_valid():
    m = simulate_market(n_assets=4, n_days=800, kind="dcc", seed=5)
    r = simple_returns(m.prices)
    f = get_forecaster("dcc", variant="cdcc").fit(r)
    assert 0 <= f.a_ + f.b_ < 1
    assert np.allclose(np.diag(f.predict(r).to_numpy()), 1.0)
