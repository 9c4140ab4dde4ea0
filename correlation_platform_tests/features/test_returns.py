import numpy as np
import pandas as pd

from correlation_platform.features import ewma_volatility, simple_returns, trailing_volatility


def test_simple_returns_by_hand():
    idx = pd.bdate_range("2021-01-01", periods=3)
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0]}, index=idx)
    r = simple_returns(prices)
    np.testing.assert_allclose(r["A"].to_numpy(), [0.10, -0.10])
    assert r.index[0] == idx[1]


def test_trailing_volatility_matches_numpy(regime_returns):
    vol = trailing_volatility(regime_returns, window=21)
    t = 100
    expected = regime_returns.iloc[t - 20 : t + 1].std(ddof=1) * np.sqrt(252)
    np.testing.assert_allclose(vol.iloc[t].to_numpy(), expected.to_numpy())
    assert vol.iloc[:20].isna().all().all()


def test_ewma_volatility_is_causal(regime_returns):
    t = 400
    altered = regime_returns.copy()
    altered.iloc[t + 1 :] *= 5.0
    pd.testing.assert_frame_equal(
        ewma_volatility(regime_returns).iloc[: t + 1], ewma_volatility(altered).iloc[: t + 1]
    )
