"""A configuration that cannot run fails before any work, naming the parameter."""

import pandas as pd
import pytest

from correlation_platform.backtest import run_backtest, run_backtests
from correlation_platform.forecasters import EWMAForecaster


class NeverFit(EWMAForecaster):
    def fit(self, returns, features=None):
        raise AssertionError("work started before the configuration was checked")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"train_size": 10_000}, r"train_size=10000 .*use 2 <= train_size < 898"),
        ({"objective": "min_var"}, r"objective='min_var' is not accepted: use one of \("),
        ({"expected_returns": "capm"}, r"expected_returns='capm' is not accepted: use one of"),
        (
            {"volatility": "har"},
            r"volatility='har' is not accepted: use one of \('garch', 'ewma'\)",
        ),
        ({"bounds": (0.0, 0.1)}, r"bounds upper=0.1 is below 1/N = 0.1667 for 6 assets"),
        ({"cost_bps": -5.0}, r"cost_bps must be >= 0"),
        ({"rebalance_every": 0}, r"rebalance_every must be a whole number of days >= 1"),
        ({"max_turnover": 3.0}, r"max_turnover must be in \(0, 2\]"),
        ({"sector_cap": 0.2}, r"sector_cap needs sectors"),
        (
            {"objective": "target_volatility", "target_volatility": -0.1},
            r"target_volatility=-0.1 must be an annualised fraction",
        ),
    ],
)
def test_bad_configuration_fails_before_any_work(regime_returns, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_backtest(regime_returns, NeverFit(), **kwargs)


def test_returns_with_a_gap_are_refused_naming_where(regime_returns):
    gappy = regime_returns.copy()
    gappy.iloc[40, 2] = float("nan")
    with pytest.raises(ValueError, match=r"returns contain NaN or inf \(column 'A002', date"):
        run_backtest(gappy, NeverFit())


def test_sector_caps_that_cannot_hold_a_portfolio(regime_returns):
    sectors = pd.Series(["a", "a", "a", "b", "b", "b"], index=regime_returns.columns)
    with pytest.raises(ValueError, match=r"sector_cap=0.3 with 2 sectors .* room for only 0.60"):
        run_backtest(regime_returns, NeverFit(), sectors=sectors, sector_cap=0.3)
    with pytest.raises(ValueError, match=r"no sector for assets \['A5'\]|no sector for assets"):
        run_backtest(regime_returns, NeverFit(), sectors=sectors.iloc[:5], sector_cap=0.6)


def test_fan_out_refuses_unknown_arguments_and_bad_objectives(regime_returns):
    with pytest.raises(ValueError, match=r"unknown run_backtest arguments \['rebalance'\]"):
        run_backtests(regime_returns, ["ewma"], rebalance=21)
    with pytest.raises(ValueError, match=r"objective='sharpe' is not accepted"):
        run_backtests(regime_returns, [NeverFit()], objectives=["min_variance", "sharpe"])
