"""Each model against an independent computation of the same quantity."""

import numpy as np

from correlation_platform.forecasters import get_forecaster


def test_historical_equals_pandas_rolling_correlation(regime_returns):
    f = get_forecaster("historical", window=120).fit(regime_returns)
    t = 700
    expected = regime_returns.iloc[t - 119 : t + 1].corr().to_numpy()
    np.testing.assert_allclose(
        f.predict_path(regime_returns, dates=regime_returns.index[[t]])[0], expected, atol=1e-12
    )


def test_ewma_equals_explicit_weighted_sum(regime_returns):
    lam, m = 0.94, 40
    f = get_forecaster("ewma", decay=lam, min_periods=m).fit(regime_returns)
    x = regime_returns.to_numpy()
    t = 250
    # S_t = lam^(t-m+1) S_0 + sum_{k=m}^{t} (1-lam) lam^(t-k) x_k x_k'
    s0 = x[:m].T @ x[:m] / m
    ks = np.arange(m, t + 1)
    w = (1 - lam) * lam ** (t - ks)
    s = lam ** (t - m + 1) * s0 + (x[ks] * w[:, None]).T @ x[ks]
    d = np.sqrt(np.diag(s))
    expected = s / np.outer(d, d)
    got = f.predict_path(regime_returns, dates=regime_returns.index[[t]])[0]
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_ewma_tracks_regime_shift_faster_than_historical(regime_market, regime_returns):
    truth = regime_market.true_correlation[1:]  # aligned with returns
    dates = regime_returns.index[300:]
    errors = {}
    for name in ("historical", "ewma"):
        f = get_forecaster(name).fit(regime_returns.iloc[:300])
        path = f.predict_path(regime_returns, dates=dates)
        errors[name] = np.mean(
            [np.linalg.norm(p - t) for p, t in zip(path, truth[300:], strict=True)]
        )
    assert errors["ewma"] < errors["historical"]


def test_sliding_historical_path_matches_fresh_windows_everywhere(regime_returns):
    f = get_forecaster("historical", window=120).fit(regime_returns)
    dates = regime_returns.index[119:]  # daily: exercises the incremental slide and rebuilds
    path = f.predict_path(regime_returns, dates=dates)
    for t in (119, 300, 371, 372, 600, len(regime_returns) - 1):
        expected = regime_returns.iloc[t - 119 : t + 1].corr().to_numpy()
        np.testing.assert_allclose(path[t - 119], expected, atol=1e-10)
    irregular = regime_returns.index[[700, 130, 500, 501]]  # unsorted and with gaps
    out = f.predict_path(regime_returns, dates=irregular)
    np.testing.assert_allclose(out[1], regime_returns.iloc[11:131].corr().to_numpy(), atol=1e-10)
