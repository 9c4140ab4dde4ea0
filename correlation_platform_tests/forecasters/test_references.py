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


def test_historical_path_with_every_kind_of_gap_matches_fresh_windows(regime_returns):
    # Consecutive days use rank-one updates, gaps of 9..119 rows a block update, and gaps
    # of a window or more a rebuild; all must equal the window's own correlation.
    f = get_forecaster("historical", window=120).fit(regime_returns)
    rows = [200, 201, 206, 214, 215, 240, 300, 301, 421, 430]
    path = f.predict_path(regime_returns, dates=regime_returns.index[rows])
    for got, t in zip(path, rows, strict=True):
        expected = regime_returns.iloc[t - 119 : t + 1].corr().to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-10)


def test_ewma_long_path_survives_accumulator_rescaling(regime_returns):
    # With decay 0.5 the unscaled accumulator passes 1e100 every ~330 rows and is
    # renormalised; every date, just before and just after a rescale, must still equal the
    # textbook recursion S_t = lam S_{t-1} + (1 - lam) x_t x_t'.
    lam, m = 0.5, 20
    f = get_forecaster("ewma", decay=lam, min_periods=m).fit(regime_returns)
    x = regime_returns.to_numpy()
    assert (1 / lam) ** (len(x) - m) > 1e200  # the rescale branch runs at least twice
    path = f.predict_path(regime_returns, dates=regime_returns.index[m - 1 :])
    s = x[:m].T @ x[:m] / m
    for t in range(m - 1, len(x)):
        if t > m - 1:
            s = lam * s + (1 - lam) * np.outer(x[t], x[t])
        d = np.sqrt(np.diag(s))
        np.testing.assert_allclose(path[t - m + 1], s / np.outer(d, d), atol=1e-10)
