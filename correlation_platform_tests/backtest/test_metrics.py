"""Metrics against empyrical (an independent implementation) and by hand."""

import empyrical
import numpy as np
import pandas as pd
import pytest

from correlation_platform.backtest.metrics import (
    drawdown,
    performance_metrics,
    relative_metrics,
    target_tracking,
)


@pytest.fixture(params=[0, 1, 2])
def daily_returns(request) -> pd.Series:
    rng = np.random.default_rng(request.param)
    r = rng.standard_t(4, size=1500) * 0.01 + 0.0003
    if request.param == 2:
        r[0] = -0.05  # a loss on the first day is a drawdown from the starting wealth
    return pd.Series(r, index=pd.bdate_range("2010-01-01", periods=len(r)))


def test_metrics_agree_with_empyrical(daily_returns):
    m = performance_metrics(daily_returns)
    assert m["sharpe"] == pytest.approx(empyrical.sharpe_ratio(daily_returns), rel=1e-10)
    assert m["sortino"] == pytest.approx(empyrical.sortino_ratio(daily_returns), rel=1e-10)
    assert m["max_drawdown"] == pytest.approx(empyrical.max_drawdown(daily_returns), rel=1e-10)
    assert m["calmar"] == pytest.approx(empyrical.calmar_ratio(daily_returns), rel=1e-10)
    assert m["annual_return"] == pytest.approx(empyrical.annual_return(daily_returns), rel=1e-10)
    assert m["annual_volatility"] == pytest.approx(
        empyrical.annual_volatility(daily_returns), rel=1e-10
    )


def test_metrics_by_hand():
    r = pd.Series([0.01, -0.02, 0.03, -0.01], index=pd.bdate_range("2020-01-01", periods=4))
    m = performance_metrics(r)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std() * np.sqrt(252))
    wealth = np.cumprod(1 + r.to_numpy())
    assert m["max_drawdown"] == pytest.approx(wealth[1] / wealth[0] - 1)
    assert m["calmar"] == pytest.approx(m["annual_return"] / abs(m["max_drawdown"]))
    assert drawdown(r).iloc[0] == 0.0
    rel = relative_metrics(r, r * 0.5)
    active = r * 0.5
    assert rel["tracking_error"] == pytest.approx(active.std() * np.sqrt(252))
    assert rel["information_ratio"] == pytest.approx(active.mean() * 252 / rel["tracking_error"])


def test_target_tracking_counts_days_within_the_band():
    # 300 days at 1% daily vol (15.9% a year) then 300 at 2% (31.7%): against a 16% target
    # the first block's full windows are on target, the second block's are not.
    rng = np.random.default_rng(5)
    z = rng.standard_normal(600)
    z = (z - z.mean()) / z.std()
    r = pd.Series(
        np.r_[z[:300] * 0.01, z[300:] * 0.02], index=pd.bdate_range("2015-01-01", periods=600)
    )
    out = target_tracking(r, 0.16)
    rolling = r.rolling(63).std().dropna() * np.sqrt(252) / 0.16
    assert out["share_on_target"] == pytest.approx(float(((rolling - 1).abs() <= 0.2).mean()))
    assert 0.35 < out["share_on_target"] < 0.65
    assert out["realized_vs_target_volatility"] == pytest.approx(r.std() * np.sqrt(252) / 0.16)
    with pytest.raises(ValueError, match="target_volatility must be > 0"):
        target_tracking(r, 0.0)
