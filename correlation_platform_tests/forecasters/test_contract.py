"""Every registered forecaster honours DESIGN.md section 3."""

import numpy as np
import pandas as pd
import pytest

from correlation_platform.features import build_feature_panel
from correlation_platform.forecasters import FORECASTERS, USES_FEATURES, get_forecaster
from correlation_platform.forecasters.base import PATH_CHUNK
from correlation_platform.linalg import is_correlation_matrix
from correlation_platform_tests.forecasters.conftest import make

NAMES = sorted(FORECASTERS)


def _features(name, panel):
    return panel if name in USES_FEATURES else None


@pytest.mark.parametrize("name", NAMES)
def test_predict_is_a_valid_correlation_frame(name, regime_returns, regime_market, regime_panel):
    feats = _features(name, regime_panel)
    f = make(name).fit(regime_returns, feats, tree=regime_market.sectors)
    r = f.predict(regime_returns, feats, horizon=21)
    assert list(r.index) == list(regime_returns.columns) == list(r.columns)
    assert is_correlation_matrix(r.to_numpy())
    # Gram-type estimators skip the O(N^3) check (NaN = not computed); the rest report it.
    assert np.isfinite(f.min_eigenvalues_before_[-1]) != f.psd_by_construction


@pytest.mark.parametrize("name", NAMES)
def test_predict_path_has_no_look_ahead(name, regime_returns, regime_market, regime_panel):
    dates = regime_returns.index[400::40]
    feats = _features(name, regime_panel)
    f = make(name).fit(
        regime_returns.iloc[:400],
        None if feats is None else feats.iloc[:400],
        tree=regime_market.sectors,
    )
    base = f.predict_path(regime_returns, feats, dates=dates)
    cut = dates[4]
    altered = regime_returns.copy()
    altered.loc[altered.index > cut] = altered.loc[altered.index > cut] * 3.0 + 0.01
    altered_ind = regime_market.indicators.copy()
    altered_ind.loc[altered_ind.index > cut] += 50.0
    moved_feats = build_feature_panel(altered, altered_ind) if feats is not None else None
    moved = f.predict_path(altered, moved_feats, dates=dates)
    np.testing.assert_array_equal(base[:5], moved[:5])
    assert not np.allclose(base[5:], moved[5:])  # the test can see a change after the cut


@pytest.mark.parametrize("name", NAMES)
def test_path_agrees_with_predict_on_truncated_history(
    name, regime_returns, regime_market, regime_panel
):
    feats = _features(name, regime_panel)
    f = make(name).fit(regime_returns, feats, tree=regime_market.sectors)
    date = regime_returns.index[500]
    path = f.predict_path(regime_returns, feats, dates=[date])
    direct = f.predict(regime_returns.loc[:date], None if feats is None else feats.loc[:date])
    np.testing.assert_allclose(path[0], direct.to_numpy(), atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_iter_path_streams_the_same_forecasts(name, regime_returns, regime_market, regime_panel):
    feats = _features(name, regime_panel)
    f = make(name).fit(
        regime_returns.iloc[:400],
        None if feats is None else feats.iloc[:400],
        tree=regime_market.sectors,
    )
    dates = regime_returns.index[400::3][: PATH_CHUNK + 10]  # more than one chunk
    batch = f.predict_path(regime_returns, feats, dates=dates)
    lams = f.min_eigenvalues_before_.copy()
    streamed = list(f.iter_path(regime_returns, feats, dates=dates))
    assert [s.date for s in streamed] == list(dates)
    np.testing.assert_allclose(np.stack([s.correlation for s in streamed]), batch, atol=1e-12)
    np.testing.assert_allclose([s.min_eigenvalue_before for s in streamed], lams, atol=1e-12)
    # Each forecast is its own array: keeping them (as list() just did) is safe.
    assert len({id(s.correlation) for s in streamed}) == len(streamed)
    with pytest.raises(ValueError, match="strictly increasing"):
        next(f.iter_path(regime_returns, feats, dates=dates[::-1]))


@pytest.mark.parametrize("name", NAMES)
def test_sklearn_params_round_trip(name):
    f = get_forecaster(name)
    params = f.get_params()
    assert params
    f.set_params(**params)
    assert get_forecaster(name, **params).get_params().keys() == params.keys()


def test_unfitted_and_bad_input_errors(regime_returns):
    f = get_forecaster("historical")
    with pytest.raises(RuntimeError, match="not fitted"):
        f.predict(regime_returns)
    f.fit(regime_returns)
    with pytest.raises(ValueError, match="differ from the fitted assets"):
        f.predict(regime_returns.iloc[:, ::-1])
    bad = regime_returns.copy()
    bad.iloc[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        f.predict(bad)
    with pytest.raises(ValueError, match="needs 252 observations"):
        f.predict(regime_returns.iloc[:100])
    with pytest.raises(ValueError, match="unknown forecaster"):
        get_forecaster("crystal_ball")
    with pytest.raises(ValueError, match="needs a tree"):
        get_forecaster("tic").fit(regime_returns)


def test_ml_models_refuse_another_horizon(regime_returns, regime_panel):
    f = get_forecaster("gbm", max_iter=20, horizon=21).fit(regime_returns, regime_panel)
    with pytest.raises(ValueError, match="21-day horizon"):
        f.predict(regime_returns, regime_panel, horizon=63)


def test_dates_outside_index_are_rejected(regime_returns):
    f = get_forecaster("ewma").fit(regime_returns)
    with pytest.raises(ValueError, match="not in the returns index"):
        f.predict_path(regime_returns, dates=[pd.Timestamp("1990-01-01")])


@pytest.mark.parametrize("family", sorted(FORECASTERS))
def test_a_zero_variance_asset_is_refused_clearly(family, regime_returns, regime_market):
    frozen = regime_returns.copy()
    frozen.iloc[:, 3] = 0.0  # a frozen price: no correlation exists
    with pytest.raises(ValueError, match=r"assets \['A003'\] have zero variance"):
        get_forecaster(family).fit(frozen, tree=regime_market.sectors)


def test_dcc_refuses_more_assets_than_it_can_estimate(regime_returns):
    with pytest.raises(ValueError, match="dcc needs more than twice as many observations"):
        get_forecaster("dcc").fit(regime_returns.iloc[:10])


def test_dcc_names_two_collinear_assets_instead_of_a_cholesky_failure(regime_returns):
    copied = regime_returns.copy()
    copied["A005"] = copied["A001"]
    with pytest.raises(ValueError, match=r"assets 'A001' and 'A005' move together"):
        get_forecaster("dcc").fit(copied)


@pytest.mark.parametrize("horizon", [0, -3, 2.5])
def test_a_horizon_that_is_not_a_positive_whole_number_is_refused(regime_returns, horizon):
    model = get_forecaster("ewma").fit(regime_returns)
    with pytest.raises(ValueError, match="horizon must be a whole number of days >= 1"):
        model.predict(regime_returns, horizon=horizon)
