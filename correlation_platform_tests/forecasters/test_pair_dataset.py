"""Pair panels in bounded memory: chunked builds, pair samples, and the ML families on them."""

import tracemalloc

import numpy as np
import pytest

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.features import build_feature_panel, simple_returns
from correlation_platform.forecasters import get_forecaster, pair_dataset
from correlation_platform.forecasters.pair_dataset import (
    SAMPLE_STRATA,
    PairFeatureBuilder,
    all_pairs,
    base_pair_z,
    pair_targets,
    sample_pairs,
    training_positions,
)
from correlation_platform.linalg import fisher_z, is_correlation_matrix


@pytest.fixture(scope="module")
def wide():
    market = simulate_market(n_assets=40, n_days=500, kind="macro", seed=2)
    returns = simple_returns(market.prices)
    return returns, build_feature_panel(returns, market.indicators)


def test_chunked_build_and_targets_equal_one_block(wide, monkeypatch):
    returns, panel = wide
    positions = training_positions(returns, 21, 5, 63)
    builder = PairFeatureBuilder().fit(panel, returns.index[positions[-1]])
    whole = builder.build(returns, panel, positions)
    labels = pair_targets(returns, positions, 21)
    # A budget of three 40 x 40 matrices: every date is its own chunk or nearly.
    monkeypatch.setattr(pair_dataset, "MATRIX_BUDGET", 3 * 40 * 40)
    np.testing.assert_array_equal(builder.build(returns, panel, positions), whole)
    np.testing.assert_array_equal(pair_targets(returns, positions, 21), labels)
    some = sample_pairs(returns.to_numpy(), 100, seed=0)
    at = np.flatnonzero(np.isin(np.ravel_multi_index(all_pairs(40), (40, 40)),
                                np.ravel_multi_index(some, (40, 40))))  # fmt: skip
    np.testing.assert_array_equal(
        builder.build(returns, panel, positions, pairs=some), whole[:, at]
    )
    np.testing.assert_array_equal(pair_targets(returns, positions, 21, pairs=some), labels[:, at])


def test_pair_sample_is_deterministic_stratified_and_exact(wide):
    x = wide[0].to_numpy()
    first = sample_pairs(x, 200, seed=5)
    assert len(first[0]) == 200 and np.array_equal(first[0], sample_pairs(x, 200, seed=5)[0])
    assert not np.array_equal(first, sample_pairs(x, 200, seed=6))
    flat = np.ravel_multi_index(first, (40, 40))
    assert len(np.unique(flat)) == 200 and np.all(np.diff(flat) > 0) and np.all(first[0] < first[1])
    # Each correlation decile of the 780 pairs gives its share (78 pairs -> 20 each).
    corr = np.corrcoef(x, rowvar=False)
    everyone = np.sort(corr[all_pairs(40)])
    edges = everyone[np.linspace(0, len(everyone), SAMPLE_STRATA + 1).astype(int)[1:-1]]
    counts = np.bincount(np.searchsorted(edges, corr[first], side="right"), minlength=10)
    assert counts.min() >= 18 and counts.max() <= 22, counts
    every = sample_pairs(x, 10_000, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(every, all_pairs(40), strict=True))


@pytest.mark.parametrize("family", ["gbm", "lstm"])
def test_ml_families_train_on_the_sample_and_forecast_every_pair(family, wide, monkeypatch):
    returns, panel = wide
    fast = {"gbm": {"max_iter": 30}, "lstm": {"epochs": 2, "max_rows": 3000, "hidden": 8}}
    model = get_forecaster(family, max_pairs=60, **fast[family]).fit(returns, panel)
    assert len(model.pairs_[0]) == 60
    dates = returns.index[-40::10]
    path = model.predict_path(returns, panel, dates=dates)
    assert path.shape == (4, 40, 40) and all(is_correlation_matrix(m) for m in path)
    monkeypatch.setattr(pair_dataset, "MATRIX_BUDGET", 1)  # one date per chunk
    np.testing.assert_array_equal(model.predict_path(returns, panel, dates=dates), path)


def test_a_pair_sample_bounds_the_training_memory():
    market = simulate_market(n_assets=150, n_days=700, kind="macro", seed=1)
    returns = simple_returns(market.prices)
    panel = build_feature_panel(returns, market.indicators)
    tracemalloc.start()
    try:
        get_forecaster("gbm", max_iter=5, max_pairs=300).fit(returns, panel)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # All 11,175 pairs x 123 dates x 30 features would be 330 MB of float64 alone.
    assert peak < 120e6, f"peak {peak / 1e6:.0f} MB"


def test_a_model_pickled_before_max_pairs_existed_still_clones(regime_returns, regime_panel):
    import pickle

    from sklearn.base import clone

    model = get_forecaster("gbm", max_iter=5).fit(regime_returns, regime_panel)
    del model.__dict__["max_pairs"]  # what a model stored by the previous version holds
    old = pickle.loads(pickle.dumps(model))
    assert old.get_params()["max_pairs"] == pair_dataset.MAX_PAIRS
    assert clone(old).get_params() == get_forecaster("gbm", max_iter=5).get_params()
    np.testing.assert_array_equal(
        old.predict(regime_returns, regime_panel), model.predict(regime_returns, regime_panel)
    )


def test_a_model_pickled_before_stacking_predicts_the_same(regime_returns, regime_panel):
    import pickle

    model = get_forecaster("lstm", epochs=2, max_rows=2000, hidden=8).fit(
        regime_returns, regime_panel
    )
    expected = model.predict(regime_returns, regime_panel)
    for name in ("base", "n_components"):  # what the previous version stored
        del model.__dict__[name]
    for name in ("base", "n_components", "horizon"):
        del model.builder_.__dict__[name]
    del model.model_.__dict__["anchor"]
    old = pickle.loads(pickle.dumps(model))
    assert old.get_params()["base"] == "none" and old.builder_.base_column is None
    np.testing.assert_array_equal(old.predict(regime_returns, regime_panel), expected)


def test_base_pair_z_is_the_base_forecast_as_of_each_position(wide):
    returns, _ = wide
    ewma = get_forecaster("ewma", min_periods=40).fit(returns)
    pairs = sample_pairs(returns.to_numpy(), 30, seed=1)
    # Unordered, repeated, and two positions before the base has its 40 rows.
    positions = np.array([300, 120, 39, 300, 10, 498, 20])
    fallback = np.full((len(positions), 30), -7.0)
    z = base_pair_z(ewma, returns, positions, pairs, 21, fallback)
    for k, p in enumerate(positions):
        if p + 1 < 40:
            np.testing.assert_array_equal(z[k], -7.0)
            continue
        alone = ewma.predict(returns.iloc[: p + 1], horizon=21).to_numpy()
        np.testing.assert_allclose(z[k], fisher_z(alone[pairs]), rtol=0, atol=1e-12)


def test_a_stacked_model_fits_its_base_on_the_training_window_only(wide):
    returns, panel = wide
    cut = 400
    model = get_forecaster("gbm", base="dcc", max_iter=20).fit(returns.iloc[:cut], panel.iloc[:cut])
    alone = get_forecaster("dcc").fit(returns.iloc[:cut])
    assert model.builder_.base is not None and model.builder_.names[-len(panel.columns) - 1] == (
        "z_base"
    )
    np.testing.assert_array_equal(model.builder_.base.garch_params_, alone.garch_params_)
    assert (model.builder_.base.a_, model.builder_.base.b_) == (alone.a_, alone.b_)
    # A forecast as of t reads nothing after t, the base's included.
    as_of = returns.index[450]
    later = returns.copy()
    later.iloc[451:] *= 30.0
    np.testing.assert_array_equal(
        model.predict(returns.loc[:as_of], panel.loc[:as_of]),
        model.predict_path(later, panel, dates=[as_of])[0],
    )


def test_a_stacked_model_learns_the_correction_to_its_base(wide):
    returns, panel = wide
    # Boosting that barely moves from its start (the training mean) predicts a constant
    # correction: the forecast is the base's Fisher z plus one constant, pair by pair.
    model = get_forecaster("gbm", base="ewma", max_iter=1, learning_rate=1e-9).fit(returns, panel)
    positions = np.array([200, 350, 498])
    built = model.builder_.build(returns, panel, positions)
    z = model._predict_built(built, len(positions))
    correction = z - built[:, :, model.builder_.base_column]
    np.testing.assert_allclose(correction, correction[0, 0], rtol=0, atol=1e-9)
    labels = pair_targets(returns, training_positions(returns, 21, 5, 63), 21)
    assert abs(correction[0, 0]) < 0.5 * np.nanstd(labels)  # a mean correction, not a level
    with pytest.raises(ValueError, match="base must be one of"):
        get_forecaster("gbm", base="garch").fit(returns, panel)


def test_pca_of_the_market_features_is_fitted_on_the_training_rows_only(wide):
    returns, panel = wide
    end = returns.index[300]
    builder = PairFeatureBuilder(n_components=2).fit(panel, end)
    assert builder.market_names == ["pc1", "pc2"] and builder.names[-2:] == ["mkt_pc1", "mkt_pc2"]
    moved = panel.copy()
    moved.loc[moved.index > end] *= -5.0
    other = PairFeatureBuilder(n_components=2).fit(moved, end)
    np.testing.assert_array_equal(builder.scaler.pca_.components_, other.scaler.pca_.components_)
    alone = PairFeatureBuilder(n_components=2).fit(panel.loc[:end], end)
    np.testing.assert_array_equal(builder.scaler.pca_.components_, alone.scaler.pca_.components_)
    with pytest.raises(ValueError, match="exceeds"):
        PairFeatureBuilder(n_components=panel.shape[1] + 1).fit(panel, end)
