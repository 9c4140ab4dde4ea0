"""The inputs and the rebalance the backtest shares with the daily chain."""

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from correlation_platform.portfolio import expected_returns, portfolio_constraints
from correlation_platform.portfolio.inputs import _garch_params, input_path
from correlation_platform.portfolio.rebalance import rebalance_weights


def test_garch_path_equals_arch_forecast_on_refit_days(bundled_market):
    returns = bundled_market.prices.iloc[:, :3].pct_change().dropna().iloc[:1400]
    positions = np.array([899, 920, 1151, 1399])
    path = input_path(returns, positions, volatility="garch", horizon=21, refit_every=252)
    assert not path.fallbacks
    for k in (0, 2):  # refit days: 899 and 1151 (252 rows after 899)
        p = positions[k]
        series = returns.iloc[max(0, p + 1 - 1500) : p + 1, 1] * 100
        res = arch_model(series, mean="Constant", vol="GARCH", p=1, q=1, rescale=False).fit(
            disp="off"
        )
        expected = np.sqrt(res.forecast(horizon=21, reindex=False).variance.iloc[-1].mean()) / 100
        assert path.daily_volatility[k, 1] == pytest.approx(expected, rel=1e-6)
    # Day 920 is filtered with day 899's parameters, using rows up to 920 only.
    later = returns.copy()
    later.iloc[921:] *= 5
    moved = input_path(later, positions[:2], volatility="garch", horizon=21, refit_every=252)
    np.testing.assert_array_equal(moved.daily_volatility, path.daily_volatility[:2])


def test_expected_returns_path_is_point_in_time(regime_returns):
    positions = np.array([300, 500, 700])
    path = input_path(regime_returns, positions, expected_returns_method="historical")
    for k, p in enumerate(positions):
        expected = expected_returns(regime_returns.iloc[: p + 1], method="historical")
        np.testing.assert_allclose(path.expected_returns[k], expected.to_numpy())
    custom = input_path(
        regime_returns,
        positions,
        volatility=lambda known: known.std(),
        expected_returns_method=lambda known: known.iloc[-21:].mean(),
    )
    np.testing.assert_allclose(
        custom.daily_volatility[1], regime_returns.iloc[:501].std().to_numpy()
    )
    assert custom.volatility_model == "<lambda>"
    with pytest.raises(ValueError, match="volatility='har' is not accepted"):
        input_path(regime_returns, positions, volatility="har")


def test_rebalance_honours_every_constraint(regime_returns):
    assets = list(regime_returns.columns)
    corr = regime_returns.iloc[-250:].corr()
    vol = regime_returns.iloc[-250:].std()
    mu = regime_returns.iloc[-250:].mean() + 0.0005
    sectors = pd.Series(["x", "x", "y", "y", "z", "z"], index=assets)
    current = pd.Series(1 / 6, index=assets)
    constraints = portfolio_constraints(
        assets, bounds=(0.0, 0.4), sectors=sectors, sector_cap=0.5, max_turnover=0.2,
        cost_bps=10.0, horizon=21,
    )  # fmt: skip
    assert constraints.transaction_cost == pytest.approx(10e-4 / 21)
    for objective in ("min_variance", "mean_variance", "target_volatility", "max_sharpe"):
        res = rebalance_weights(
            corr, vol, mu, objective=objective, constraints=constraints,
            target_volatility=0.15, current_weights=current,
        )  # fmt: skip
        w = res.weights
        assert w.sum() == pytest.approx(1.0)
        assert (w <= 0.4 + 1e-7).all() and (w >= -1e-8).all()
        assert (w.groupby(sectors).sum() <= 0.5 + 1e-7).all()
        assert (w - current).abs().sum() <= 0.2 + 1e-6, objective
    # From cash (no book) the turnover limit does not apply.
    cash = rebalance_weights(corr, vol, mu, objective="min_variance", constraints=constraints)
    assert cash.weights.sum() == pytest.approx(1.0)


def test_max_sharpe_net_of_costs_trades_less():
    rng = np.random.default_rng(2)
    n = 8
    loadings = rng.normal(0.3, 0.2, n)
    cov = np.outer(loadings, loadings) * 1e-4 + np.diag(rng.uniform(1, 3, n)) * 1e-4
    vol = np.sqrt(np.diag(cov))
    corr = cov / np.outer(vol, vol)
    mu = rng.normal(4e-4, 2e-4, n)
    current = pd.Series(1 / n, index=range(n))
    free = portfolio_constraints(list(range(n)), cost_bps=0.0)
    paid = portfolio_constraints(list(range(n)), cost_bps=200.0, horizon=1)
    w_free = rebalance_weights(
        corr,
        vol,
        mu,
        objective="max_sharpe",
        constraints=free,
        current_weights=current,
        assets=list(range(n)),
    ).weights
    w_paid = rebalance_weights(
        corr,
        vol,
        mu,
        objective="max_sharpe",
        constraints=paid,
        current_weights=current,
        assets=list(range(n)),
    ).weights
    assert (w_paid - current).abs().sum() < (w_free - current).abs().sum() - 0.05

    # Net Sharpe: the costly solution is at least as good once costs are counted.
    def net(w):
        return (mu @ w - 0.02 * np.abs(w - current).sum()) / np.sqrt(w @ cov @ w)

    assert net(w_paid.to_numpy()) >= net(w_free.to_numpy()) - 1e-9


def test_garch_params_refuse_nonstationary_fits():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal(400))  # a random walk is no GARCH return series
    with pytest.raises(RuntimeError):
        _garch_params(x * 10)


def test_risk_parity_says_costs_are_charged_not_optimised(regime_returns):
    assets = list(regime_returns.columns)
    constraints = portfolio_constraints(assets, cost_bps=5.0)
    res = rebalance_weights(
        regime_returns.corr(), regime_returns.std(), None, objective="risk_parity",
        constraints=constraints,
    )  # fmt: skip
    assert "costs are charged, not optimised" in res.reason
    assert res.weights.sum() == pytest.approx(1.0)
