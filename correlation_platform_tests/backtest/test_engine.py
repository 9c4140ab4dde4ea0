import numpy as np
import pandas as pd
import pytest

from correlation_platform.backtest import run_backtest
from correlation_platform.backtest.metrics import drawdown, performance_metrics, relative_metrics


def test_backtest_has_no_look_ahead(regime_returns):
    kwargs = dict(rebalance_every=21, train_size=300, refit_every=63, benchmark=False)
    base = run_backtest(regime_returns, "ewma", **kwargs)
    cut = base.weights.index[5]
    altered = regime_returns.copy()
    altered.loc[altered.index > cut] = altered.loc[altered.index > cut] * 2.5 - 0.003
    moved = run_backtest(altered, "ewma", **kwargs)
    pd.testing.assert_frame_equal(base.weights.loc[:cut], moved.weights.loc[:cut])
    pd.testing.assert_series_equal(base.returns.loc[:cut], moved.returns.loc[:cut])
    assert not np.allclose(base.weights.iloc[6:].to_numpy(), moved.weights.iloc[6:].to_numpy())


def test_costs_are_charged_on_turnover_the_next_day(regime_returns):
    kwargs = dict(rebalance_every=21, train_size=300, benchmark=False)
    free = run_backtest(regime_returns, "historical", cost_bps=0.0, **kwargs)
    paid = run_backtest(regime_returns, "historical", cost_bps=20.0, **kwargs)
    diff = free.returns - paid.returns
    charged = diff[diff.abs() > 1e-15]
    expected = free.turnover * 20 / 1e4
    next_days = [
        free.returns.index[free.returns.index.get_indexer([d])[0] + 1]
        if d in free.returns.index
        else free.returns.index[0]
        for d in free.turnover.index
    ]
    np.testing.assert_allclose(charged.to_numpy(), expected.to_numpy()[: len(charged)], rtol=1e-9)
    assert list(charged.index) == next_days[: len(charged)]


def test_benchmark_relative_metrics_and_weights(regime_returns):
    res = run_backtest(regime_returns, "ewma", rebalance_every=21, train_size=300)
    assert res.benchmark is not None and res.benchmark.name == "historical"
    assert {"information_ratio", "tracking_error", "sharpe", "max_drawdown"} <= set(res.metrics)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, atol=1e-8)
    assert (res.weights >= -1e-9).all().all()
    assert len(res.forecast_loss) > 0 and res.predicted.shape[0] == len(res.weights)


def test_train_size_too_long_is_an_error(regime_returns):
    with pytest.raises(ValueError, match="no out-of-sample days"):
        run_backtest(regime_returns, "historical", train_size=len(regime_returns))


def test_metrics_by_hand():
    r = pd.Series([0.01, -0.02, 0.03, -0.01], index=pd.bdate_range("2020-01-01", periods=4))
    m = performance_metrics(r)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std() * np.sqrt(252))
    wealth = np.cumprod(1 + r.to_numpy())
    assert m["max_drawdown"] == pytest.approx(wealth[1] / wealth[0] - 1)
    assert drawdown(r).iloc[0] == 0.0
    rel = relative_metrics(r, r * 0.5)
    active = r * 0.5
    assert rel["tracking_error"] == pytest.approx(active.std() * np.sqrt(252))
    assert rel["information_ratio"] == pytest.approx(active.mean() * 252 / rel["tracking_error"])
