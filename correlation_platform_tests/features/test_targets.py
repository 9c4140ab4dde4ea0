import numpy as np

from correlation_platform.features import forward_realized_correlation, realized_correlation_frame


def test_label_is_correlation_of_the_next_h_days(regime_returns):
    h = 21
    mats, dates = forward_realized_correlation(regime_returns, horizon=h)
    assert len(dates) == len(regime_returns) - h
    t = 300
    expected = np.corrcoef(regime_returns.iloc[t + 1 : t + 1 + h].to_numpy(), rowvar=False)
    np.testing.assert_allclose(mats[t], expected)
    assert dates[t] == regime_returns.index[t]


def test_label_frame_has_one_column_per_pair(regime_returns):
    frame = realized_correlation_frame(regime_returns, horizon=21, step=5)
    n = regime_returns.shape[1]
    assert frame.shape[1] == n * (n - 1) // 2
    assert frame.abs().max().max() <= 1.0
