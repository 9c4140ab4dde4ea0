"""Look-ahead is a defect: features as of t must not move when data after t changes."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.features import align_indicators, build_feature_panel, simple_returns
from correlation_platform.features.outliers import winsorize_returns
from correlation_platform.features.pairs import pair_correlation_features

MARKET = simulate_market(n_assets=5, n_days=400, kind="regime", seed=11)
RETURNS = simple_returns(MARKET.prices)


@settings(max_examples=10, deadline=None)
@given(
    cut=st.integers(min_value=70, max_value=390),
    scale=st.floats(0.2, 5.0),
    shift=st.floats(-0.05, 0.05),
)
def test_feature_panel_unchanged_by_data_after_t(cut, scale, shift):
    t = RETURNS.index[cut]
    altered_r = RETURNS.copy()
    altered_r.loc[altered_r.index > t] = altered_r.loc[altered_r.index > t] * scale + shift
    altered_i = MARKET.indicators.copy()
    altered_i.loc[altered_i.index > t] = altered_i.loc[altered_i.index > t] * scale + 100 * shift
    base = build_feature_panel(RETURNS, MARKET.indicators).loc[:t]
    moved = build_feature_panel(altered_r, altered_i).loc[:t]
    pd.testing.assert_frame_equal(base, moved)
    dates = RETURNS.index[max(cut - 5, 0) : cut + 1]
    for w, values in pair_correlation_features(RETURNS, dates).items():
        np.testing.assert_array_equal(values, pair_correlation_features(altered_r, dates)[w])
    pd.testing.assert_frame_equal(
        winsorize_returns(RETURNS).returns.loc[:t], winsorize_returns(altered_r).returns.loc[:t]
    )


def test_indicator_released_on_weekend_is_usable_next_trading_day():
    dates = pd.bdate_range("2021-03-01", periods=10, name="date")
    released = pd.DataFrame(
        {"cpi": [1.0, 2.0]}, index=pd.DatetimeIndex(["2021-03-06", "2021-03-10"])
    )
    aligned = align_indicators(released, dates)
    assert aligned.loc[:"2021-03-05", "cpi"].isna().all()  # nothing before its release
    assert aligned.loc["2021-03-08", "cpi"] == 1.0  # Saturday release -> Monday
    assert aligned.loc["2021-03-09", "cpi"] == 1.0
    assert aligned.loc["2021-03-10", "cpi"] == 2.0
    assert not np.isnan(aligned["cpi"].iloc[-1])
