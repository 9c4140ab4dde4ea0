import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlation_platform.backtest import EQUAL_WEIGHT, performance_metrics, run_backtest
from correlation_platform.backtest.engine import _simulate, forecast_path, rebalance_positions
from correlation_platform.forecasters import EWMAForecaster, HistoricalForecaster
from correlation_platform.portfolio import OBJECTIVES

FAST = dict(rebalance_every=21, train_size=300, refit_every=63, significance=False)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_no_look_ahead_for_every_objective(regime_returns, objective):
    kwargs = dict(FAST, objective=objective, benchmark=False, bounds=(0.0, 0.6))
    base = run_backtest(regime_returns, "ewma", **kwargs)
    cut = base.weights.index[5]
    altered = regime_returns.copy()
    later = altered.index > cut
    altered.loc[later] = altered.loc[later] * 2.5 - 0.003
    moved = run_backtest(altered, "ewma", **kwargs)
    pd.testing.assert_frame_equal(base.weights.loc[:cut], moved.weights.loc[:cut])
    pd.testing.assert_series_equal(base.returns.loc[:cut], moved.returns.loc[:cut])
    pd.testing.assert_series_equal(base.turnover.loc[:cut], moved.turnover.loc[:cut])
    pd.testing.assert_series_equal(
        base.ex_ante_volatility.loc[:cut], moved.ex_ante_volatility.loc[:cut]
    )
    assert not np.allclose(base.weights.iloc[7:].to_numpy(), moved.weights.iloc[7:].to_numpy())


def test_no_look_ahead_with_garch_volatility_and_a_refitted_family(regime_returns):
    kwargs = dict(FAST, objective="target_volatility", volatility="garch", benchmark=False)
    base = run_backtest(regime_returns, "dcc", **kwargs)
    cut = base.weights.index[4]
    altered = regime_returns.copy()
    altered.loc[altered.index > cut] *= 3.0
    moved = run_backtest(altered, "dcc", **kwargs)
    pd.testing.assert_frame_equal(base.weights.loc[:cut], moved.weights.loc[:cut])
    pd.testing.assert_series_equal(base.returns.loc[:cut], moved.returns.loc[:cut])


def test_one_pass_path_equals_refitting_at_every_block(regime_returns):
    positions = rebalance_positions(len(regime_returns), 300, 21)
    streamed = forecast_path(
        regime_returns, None, EWMAForecaster(), positions, refit_every=63, horizon=21,
        progress=lambda _: None,
    )  # fmt: skip
    refitted_model = EWMAForecaster()
    refitted_model.refit_changes_path = True  # force the block-by-block refits
    refitted = forecast_path(
        regime_returns, None, refitted_model, positions, refit_every=63, horizon=21,
        progress=lambda _: None,
    )  # fmt: skip
    np.testing.assert_allclose(streamed, refitted, atol=1e-12)


def test_costs_are_charged_on_the_next_day_from_drifted_weights():
    x = np.array([[0.0, 0.0], [0.10, -0.05], [0.02, 0.01], [0.0, 0.0], [0.01, 0.03]])
    targets = [np.array([0.5, 0.5]), np.array([0.2, 0.8])]
    sim = _simulate(x, np.array([0, 2]), lambda k, w: (targets[k], 0.0, None), cost_bps=20.0)
    # Day 1: 0.5*0.10 + 0.5*(-0.05) = 0.025, minus the cost of buying 1.0 of turnover.
    assert sim.returns[1] == pytest.approx(0.025 - 1.0 * 20e-4)
    drifted = np.array([0.5 * 1.10, 0.5 * 0.95]) / 1.025
    drifted = drifted * np.array([1.02, 1.01]) / (drifted @ np.array([1.02, 1.01]))
    assert sim.turnover[1] == pytest.approx(np.abs(targets[1] - drifted).sum())
    assert sim.returns[3] == pytest.approx(0.0 - sim.turnover[1] * 20e-4)
    assert sim.returns[4] == pytest.approx(0.2 * 0.01 + 0.8 * 0.03)


def test_costs_enter_the_optimiser_and_lower_turnover(regime_returns):
    free = run_backtest(regime_returns, "ewma", cost_bps=0.0, benchmark=False, **FAST)
    paid = run_backtest(regime_returns, "ewma", cost_bps=50.0, benchmark=False, **FAST)
    assert paid.turnover.iloc[1:].mean() < 0.8 * free.turnover.iloc[1:].mean()


def test_turnover_limit_and_sector_caps_hold_at_every_rebalance(regime_returns):
    assets = list(regime_returns.columns)
    sectors = pd.Series(["a", "a", "a", "b", "b", "c"], index=assets)
    res = run_backtest(
        regime_returns, "ewma", objective="max_sharpe", bounds=(0.0, 0.5), sectors=sectors,
        sector_cap=0.45, max_turnover=0.15, benchmark=False, **FAST,
    )  # fmt: skip
    assert (res.turnover.iloc[1:] <= 0.15 + 1e-6).all()
    by_sector = res.weights.T.groupby(sectors).sum().T
    assert (by_sector <= 0.45 + 1e-6).all().all()
    assert (res.weights <= 0.5 + 1e-8).all().all()


def test_reference_rows_and_relative_metrics(regime_returns):
    index = regime_returns.mean(axis=1).rename("index")
    res = run_backtest(regime_returns, "ewma", references={"index": index}, **FAST)
    assert set(res.references) == {EQUAL_WEIGHT, "index"}
    equal = res.references[EQUAL_WEIGHT]
    first = equal.index[0]
    # The day after the first rebalance: the equal-weight return minus the cost from cash.
    assert equal.loc[first] == pytest.approx(regime_returns.loc[first].mean() - 5e-4)
    for ref in ("historical", EQUAL_WEIGHT, "index"):
        active = res.returns - (
            res.benchmark.returns if ref == "historical" else res.references[ref]
        )
        te = active.std() * np.sqrt(252)
        assert res.metrics[f"tracking_error_vs_{ref}"] == pytest.approx(te)
        assert res.metrics[f"information_ratio_vs_{ref}"] == pytest.approx(active.mean() * 252 / te)


def test_significance_regimes_and_calibration_are_reported(regime_returns):
    res = run_backtest(regime_returns, "ewma", **{**FAST, "significance": True})
    tests = set(res.significance.index)
    assert {
        "Sharpe difference, Ledoit-Wolf HAC",
        "Sharpe difference, Ledoit-Wolf bootstrap",
        "Sharpe difference, Jobson-Korkie-Memmel",
        "Probabilistic Sharpe ratio (vs 0)",
        "Diebold-Mariano, realised portfolio variance",
        "Diebold-Mariano, Frobenius forecast loss",
    } <= tests
    assert res.significance["pvalue"].between(0, 1).all()
    assert {"all", "calm", "stress"} <= set(res.regimes.index)
    assert res.regimes.loc["calm", "days"] + res.regimes.loc["stress", "days"] <= len(res.returns)
    assert res.regimes.loc["all", "sharpe"] == pytest.approx(res.metrics["sharpe"])
    assert res.calibration["days"].iloc[:-1].eq(21).all()
    assert 0.5 < res.metrics["bias_statistic"] < 2.0


def test_mahalanobis_ratio_matches_skfolio(regime_returns):
    from skfolio.metrics import mahalanobis_calibration_ratio

    res = run_backtest(regime_returns, "ewma", benchmark=False, volatility="ewma", **FAST)
    x = regime_returns.to_numpy()
    positions = rebalance_positions(len(x), 300, 21)
    from correlation_platform.portfolio.inputs import input_path

    vol = input_path(regime_returns, positions).daily_volatility
    for k in (0, 5, 11):
        p = positions[k]

        class Fitted:
            covariance_ = res.predicted[k] * np.outer(vol[k], vol[k])

        window = x[p + 1 : p + 22]
        expected = mahalanobis_calibration_ratio(Fitted(), window)
        assert res.calibration["mahalanobis_ratio"].iloc[k] == pytest.approx(expected, rel=1e-9)


def test_historical_run_is_its_own_benchmark(regime_returns):
    res = run_backtest(regime_returns, HistoricalForecaster(), **FAST)
    assert res.benchmark is None and res.metrics["tracking_error"] == 0.0


def test_predicted_shapes_and_weights(regime_returns):
    res = run_backtest(regime_returns, "ewma", **FAST)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, atol=1e-8)
    assert (res.weights >= -1e-9).all().all()
    assert len(res.forecast_loss) > 0 and res.predicted.shape[0] == len(res.weights)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    objective=st.sampled_from(OBJECTIVES),
    cut_rebalance=st.integers(min_value=1, max_value=20),
    scale=st.floats(min_value=0.2, max_value=4.0),
    shift=st.floats(min_value=-0.01, max_value=0.01),
)
def test_property_altering_the_future_never_changes_the_past(
    regime_returns, objective, cut_rebalance, scale, shift
):
    kwargs = dict(FAST, objective=objective, benchmark=False, bounds=(0.0, 0.5))
    base = run_backtest(regime_returns, "ledoit_wolf", **kwargs)
    cut = base.weights.index[cut_rebalance]
    altered = regime_returns.copy()
    later = altered.index > cut
    altered.loc[later] = altered.loc[later] * scale + shift
    moved = run_backtest(altered, "ledoit_wolf", **kwargs)
    pd.testing.assert_frame_equal(base.weights.loc[:cut], moved.weights.loc[:cut])
    pd.testing.assert_series_equal(base.returns.loc[:cut], moved.returns.loc[:cut])
    pd.testing.assert_series_equal(
        pd.Series(performance_metrics(base.returns.loc[:cut])),
        pd.Series(performance_metrics(moved.returns.loc[:cut])),
    )
