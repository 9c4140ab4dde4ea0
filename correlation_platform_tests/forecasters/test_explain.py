"""Explanations recover the driver of a synthetic market's correlation, without look-ahead."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from correlation_platform.forecasters import get_forecaster
from correlation_platform.forecasters.explain import (
    INTERACTION,
    PAIR_GROUP,
    Explanation,
    explain,
)

torch.set_num_threads(1)

#: Daily persistence of the indicators: a driver that moves within the label horizon, so
#: the trailing correlations (the pair features) lag what it says about the next month.
PERSISTENCE = 0.97


def _ar1(rng, n, phi):
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
    return x


def driven_market(sign: float = 1.0, seed: int = 0, n_assets: int = 10, n_days: int = 2000):
    """Equicorrelated returns whose correlation is set by one indicator among three."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2012-01-02", periods=n_days)
    features = pd.DataFrame(
        {
            name: _ar1(rng, n_days, PERSISTENCE)
            for name in ("driver", "noise_a", "noise_b", "noise_c")
        },
        index=dates,
    )
    # The correlation of day t follows the driver published at the close before it.
    level = 0.4 + sign * 0.35 * np.tanh(np.r_[0.0, features["driver"].to_numpy()[:-1]])
    x = np.empty((n_days, n_assets))
    for t in range(n_days):
        corr = np.full((n_assets, n_assets), level[t])
        np.fill_diagonal(corr, 1.0)
        x[t] = np.linalg.cholesky(corr) @ rng.standard_normal(n_assets) * 0.01
    returns = pd.DataFrame(x, index=dates, columns=[f"A{i}" for i in range(n_assets)])
    return returns, features


@pytest.fixture(scope="module")
def market():
    return driven_market()


@pytest.fixture(scope="module")
def gbm(market):
    returns, features = market
    return get_forecaster("gbm").fit(returns, features)


def test_the_driver_ranks_first_for_gbm_well_above_noise(gbm, market):
    returns, features = market
    importance = gbm.feature_importances(returns, features)
    assert importance.index[0] == "driver", importance
    assert set(importance.index) == {"driver", "noise_a", "noise_b", "noise_c", PAIR_GROUP}
    noise = importance[["noise_a", "noise_b", "noise_c"]].abs().max()
    assert importance["driver"] > 3 * noise, importance
    # Deterministic with a seed.
    pd.testing.assert_series_equal(importance, gbm.feature_importances(returns, features))


def test_partial_dependence_recovers_the_sign_of_the_effect(gbm, market):
    returns, features = market
    curve = gbm.partial_dependence(returns, features, feature="driver")
    assert len(curve) == 9 and curve.index.is_monotonic_increasing
    assert curve.iloc[-1] - curve.iloc[0] > 0.1, curve
    # Each point is the forecast with the feature set to that value (all 45 pairs are
    # trained on here; before the PSD repair).
    value = curve.index[6]
    raw = gbm._path(returns, features.assign(driver=value), np.array([len(returns) - 1]), 21)
    off = ~np.eye(returns.shape[1], dtype=bool)
    assert curve.iloc[6] == pytest.approx(raw[0][off].mean(), abs=1e-12)
    with pytest.raises(ValueError, match="not a market feature"):
        gbm.partial_dependence(returns, features, feature="unknown")


def test_importances_do_not_read_past_the_explained_date(gbm, market):
    returns, features = market
    as_of = returns.index[-200]
    before = gbm.feature_importances(returns.loc[:as_of], features.loc[:as_of])
    # Rows after as_of, even absurd ones, change nothing.
    later = returns.copy()
    later.loc[later.index > as_of] *= 50.0
    shuffled = features.copy()
    shuffled.loc[shuffled.index > as_of] = 9.0
    pd.testing.assert_series_equal(
        before, gbm.feature_importances(later, shuffled, as_of=as_of), check_exact=True
    )
    curve = gbm.partial_dependence(returns.loc[:as_of], features.loc[:as_of], feature="driver")
    pd.testing.assert_series_equal(
        curve, gbm.partial_dependence(later, shuffled, feature="driver", as_of=as_of)
    )


def test_a_negative_driver_gives_a_falling_curve():
    returns, features = driven_market(sign=-1.0, seed=1)
    model = get_forecaster("gbm").fit(returns, features)
    curve = model.partial_dependence(returns, features, feature="driver")
    assert curve.iloc[-1] - curve.iloc[0] < -0.1, curve


@pytest.fixture(scope="module")
def lstm(market):
    returns, features = market
    return get_forecaster("lstm").fit(returns, features)


def test_the_driver_ranks_first_for_lstm_and_its_curve_rises(lstm, market):
    returns, features = market
    importance = lstm.feature_importances(returns, features)
    assert importance.index[0] == "driver", importance
    noise = importance[["noise_a", "noise_b", "noise_c"]].abs().max()
    assert importance["driver"] > 2 * noise, importance
    curve = lstm.partial_dependence(returns, features, feature="driver")
    assert curve.iloc[-1] - curve.iloc[0] > 0.1, curve


def test_lstm_explanations_do_not_read_past_the_explained_date(lstm, market):
    returns, features = market
    as_of = returns.index[-150]
    importance = lstm.feature_importances(returns, features, as_of=as_of)
    assert set(importance.index) == {"driver", "noise_a", "noise_b", "noise_c", PAIR_GROUP}
    later = features.copy()
    later.loc[later.index > as_of] = -9.0
    pd.testing.assert_series_equal(
        importance, lstm.feature_importances(returns, later, as_of=as_of), check_exact=True
    )
    curve = lstm.partial_dependence(returns, features, feature="driver", as_of=as_of)
    assert len(curve) == 9 and np.isfinite(curve).all()


def _moved(features, previous, as_of, **values):
    """The panel with some features set to given values on the two dates."""
    out = features.copy()
    for name, (then, now) in values.items():
        out.loc[previous, name] = then
        out.loc[as_of, name] = now
    return out


@pytest.mark.parametrize("family", ["gbm", "lstm"])
def test_forecast_move_attributes_the_change_to_the_driver(family, gbm, lstm, market):
    model = {"gbm": gbm, "lstm": lstm}[family]
    returns, features = market
    previous, as_of = returns.index[-22], returns.index[-1]
    # The driver rises from its 10th to its 90th percentile; noise_b is held still (over
    # every date an lstm sequence reads, too).
    low, high = np.quantile(features["driver"], [0.1, 0.9])
    panel = _moved(features.assign(noise_b=0.3), previous, as_of, driver=(low, high))
    move = model.forecast_move(returns, panel, previous=previous)
    table = move.contributions
    assert move.previous == previous and move.as_of == as_of
    # Contributions (with the interaction) add up to the change, exactly.
    assert table["contribution"].sum() == pytest.approx(move.change, abs=1e-12)
    assert move.after == pytest.approx(
        float(np.tanh(model._predict_built(_built(model, returns, panel, -1), 1)).mean())
    )
    # An input that did not move contributes nothing; the driver's rise raises the forecast.
    assert table.loc["noise_b", "contribution"] == 0.0
    assert table.loc["driver", ["previous_value", "value"]].tolist() == [low, high]
    market_rows = table.drop([PAIR_GROUP, INTERACTION])
    assert market_rows["contribution"].abs().idxmax() == "driver", table
    assert table.loc["driver", "contribution"] > 0.05, table
    with pytest.raises(ValueError, match="before"):
        model.forecast_move(returns, panel, previous=as_of)


def _built(model, returns, features, row):
    positions = np.array([len(returns) + row if row < 0 else row])
    return model.builder_.build(returns, features, model._input_rows(positions))


def test_explain_bundles_importances_curves_and_round_trips(gbm, market):
    returns, features = market
    explanation = explain(gbm, returns, features, top=2, previous=returns.index[-6])
    assert explanation.family == "gbm" and explanation.as_of == returns.index[-1]
    assert (
        list(explanation.dependence)
        == [f for f in explanation.importances.index if f != PAIR_GROUP][:2]
    )
    assert explanation.move is not None and explanation.move.previous == returns.index[-6]
    back = Explanation.from_dict(json.loads(json.dumps(explanation.to_dict())))
    pd.testing.assert_series_equal(back.importances, explanation.importances)
    for name, curve in explanation.dependence.items():
        pd.testing.assert_series_equal(back.dependence[name], curve)
    with pytest.raises(TypeError, match="does not learn from features"):
        explain(get_forecaster("ewma").fit(returns), returns)


def test_importances_stay_under_the_callers_names_with_pca(market):
    returns, features = market
    model = get_forecaster("gbm", n_components=2).fit(returns, features)
    assert model.builder_.market_names == ["pc1", "pc2"]
    importance = model.feature_importances(returns, features)
    assert set(importance.index) == {"driver", "noise_a", "noise_b", "noise_c", PAIR_GROUP}
    curve = model.partial_dependence(returns, features, feature="driver")
    assert np.isfinite(curve).all()
