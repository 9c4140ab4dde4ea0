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


def test_panel_holds_the_frame_in_float32_and_its_full_matrices(regime_returns):
    from correlation_platform.features import realized_correlation_panel

    frame = realized_correlation_frame(regime_returns, horizon=21, step=5)
    panel = realized_correlation_panel(regime_returns, horizon=21, step=5)
    assert panel.values.dtype == np.float32 and list(panel.pairs) == list(frame.columns)
    np.testing.assert_allclose(panel.values, frame.to_numpy(), atol=1e-7)
    date = panel.dates[7]
    mats, _ = forward_realized_correlation(regime_returns, horizon=21, dates=[date])
    np.testing.assert_allclose(panel.matrix(date).to_numpy(), mats[0], atol=1e-7)
    np.testing.assert_allclose(panel.average(), frame.mean(axis=1), atol=1e-7)


def test_panel_never_holds_the_stack_of_matrices():
    import tracemalloc

    import pandas as pd

    from correlation_platform.features import realized_correlation_panel

    rng = np.random.default_rng(0)
    returns = pd.DataFrame(
        rng.standard_normal((400, 150)) * 0.01, index=pd.bdate_range("2020-01-01", periods=400)
    )
    tracemalloc.start()
    panel = realized_correlation_panel(returns, horizon=21)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    stack = len(panel.dates) * 150 * 150 * 8  # what forward_realized_correlation allocates
    assert peak < panel.values.nbytes + 5 * 150 * 150 * 8 < stack / 3
