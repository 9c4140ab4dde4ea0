import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler

from correlation_platform.features.normalization import TrainWindowScaler
from correlation_platform.features.outliers import winsorize_returns
from correlation_platform.features.pairs import pair_correlation_features


def test_winsorize_clips_and_reports_a_spike(regime_returns):
    spiked = regime_returns.copy()
    day = spiked.index[500]
    spiked.loc[day, "A002"] = 0.9
    result = winsorize_returns(spiked, z=10)
    hit = result.report.set_index(["date", "asset"])
    assert (day, "A002") in hit.index
    assert result.returns.loc[day, "A002"] < 0.9
    assert abs(hit.loc[(day, "A002"), "robust_z"]) > 10
    untouched = result.returns.drop(index=day)
    assert (untouched.to_numpy() == spiked.drop(index=day).to_numpy()).mean() > 0.999


def test_winsorize_has_no_look_ahead(regime_returns):
    t = 400
    altered = regime_returns.copy()
    altered.iloc[t + 1 :] *= 20
    a = winsorize_returns(regime_returns).returns.iloc[: t + 1]
    b = winsorize_returns(altered).returns.iloc[: t + 1]
    pd.testing.assert_frame_equal(a, b)


def test_pair_features_match_pandas(regime_returns):
    dates = regime_returns.index[[300, 600]]
    feats = pair_correlation_features(regime_returns, dates, windows=(21, 63))
    assert feats[21].shape == (2, 15)
    expected = regime_returns.iloc[600 - 62 : 601].corr().to_numpy()[np.triu_indices(6, 1)]
    np.testing.assert_allclose(feats[63][1], expected, atol=1e-12)


def test_scaler_fits_on_training_rows_only(rng):
    idx = pd.bdate_range("2020-01-01", periods=200)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), index=idx, columns=list("abc"))
    train_end = idx[119]
    scaler = TrainWindowScaler().fit(frame, train_end)
    ref = MinMaxScaler().fit(frame.loc[:train_end])
    np.testing.assert_allclose(scaler.transform(frame).to_numpy(), ref.transform(frame))
    # Changing test rows changes nothing that was fitted.
    shocked = frame.copy()
    shocked.loc[idx > train_end] *= 100
    again = TrainWindowScaler().fit(shocked, train_end)
    pd.testing.assert_series_equal(again.mins_, scaler.mins_)
    assert (
        scaler.transform(shocked).loc[idx > train_end].abs().max().max() > 1.5
    )  # new extremes show
    assert TrainWindowScaler(clip=True).fit(frame, train_end).transform(shocked).max().max() <= 1.0


def test_pca_is_fitted_on_training_rows_only(rng):
    idx = pd.bdate_range("2020-01-01", periods=200)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), index=idx, columns=list("abcd"))
    scaler = TrainWindowScaler(n_components=2).fit(frame, idx[99])
    train_scaled = MinMaxScaler().fit_transform(frame.iloc[:100])
    ref = PCA(n_components=2).fit(train_scaled)
    np.testing.assert_allclose(np.abs(scaler.pca_.components_), np.abs(ref.components_), atol=1e-10)
    assert list(scaler.transform(frame).columns) == ["pc1", "pc2"]
    with pytest.raises(RuntimeError):
        TrainWindowScaler().transform(frame)


def test_average_correlation_and_dispersion_match_the_full_matrix(regime_returns):
    from correlation_platform.features.panel import average_trailing_correlation

    fast = average_trailing_correlation(regime_returns, window=63)
    iu = np.triu_indices(regime_returns.shape[1], 1)
    for t in (62, 400, len(regime_returns) - 1):
        pairs = regime_returns.iloc[t - 62 : t + 1].corr().to_numpy()[iu]
        assert fast.iloc[t, 0] == pytest.approx(pairs.mean(), abs=1e-12)
        assert fast.iloc[t, 1] == pytest.approx(pairs.std(), abs=1e-10)
    assert fast.iloc[:62].isna().all().all()


def test_a_bad_tick_in_the_warm_up_is_clipped_and_labelled(regime_returns):
    prices = (1 + regime_returns).cumprod() * 50
    ticked = prices.copy()
    ticked.iloc[10, 2] *= 100  # a x100 print on day 10 and back the next day
    returns = ticked.pct_change().dropna()
    result = winsorize_returns(returns, z=15)
    rows = result.report[result.report["asset"] == returns.columns[2]]
    assert len(rows) == 2 and (rows["date"] <= returns.index[10]).all()
    assert list(rows["suspicion"]) == [
        "bad tick (reverts next day)",
        "reversal of the previous day's bad tick",
    ]
    assert result.returns.iloc[:12, 2].abs().max() < 0.5


def test_an_unadjusted_split_is_flagged_as_such(regime_returns):
    prices = (1 + regime_returns).cumprod() * 50
    prices.iloc[400:, 1] /= 2  # a 2:1 split nobody adjusted for
    result = winsorize_returns(prices.pct_change().dropna(), z=15)
    row = result.report[result.report["asset"] == prices.columns[1]]
    assert len(row) == 1 and row["suspicion"].iloc[0].startswith("possible unadjusted split")


def test_a_small_split_inside_the_robust_band_is_still_flagged():
    rng = np.random.default_rng(4)
    dates = pd.bdate_range("2020-01-01", periods=300)
    steps = rng.normal(0, [0.03, 0.01, 0.01, 0.01], size=(300, 4))
    prices = pd.DataFrame(
        30 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["VOL", "A", "B", "C"]
    )
    # A volatile stock (3% a day) splits 5:4 on a quiet day for it: -20% is a robust z of
    # about 8, never clipped, but its price ratio to the market is 4/5.
    prices.iloc[200:, 0] *= prices.iloc[199, 0] / prices.iloc[200, 0] * 0.8
    result = winsorize_returns(prices.pct_change().dropna(), z=15)
    report = result.report
    row = report[(report["asset"] == "VOL") & (report["date"] == dates[200])]
    assert list(row["suspicion"]) == ["possible unadjusted split (5:4, kept: check actions.csv)"]
    kept = prices.pct_change().iloc[200, 0]
    assert result.returns.loc[dates[200], "VOL"] == pytest.approx(kept)
