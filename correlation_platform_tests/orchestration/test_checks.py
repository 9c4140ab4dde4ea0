import numpy as np
import pandas as pd

from correlation_platform.orchestration.checks import check_frame


def _panel() -> pd.DataFrame:
    index = pd.bdate_range("2020-01-01", periods=6)
    return pd.DataFrame(
        {"vol_21": [np.nan, np.nan, 0.1, 0.2, 0.3, 0.2], "vix": [20, 21, 22, 23, 24, 25.0]},
        index=index,
    )


def test_the_feature_panel_check_allows_warm_up_nan_only():
    assert check_frame(_panel(), warmup_nan=True).passed
    gap = _panel()
    gap.iloc[4, 0] = np.nan
    result = check_frame(gap, warmup_nan=True)
    assert (
        not result.passed
        and "NaN after the warm-up in ['vol_21']" in result.metadata["problems"].text
    )


def test_inf_fails_every_frame_check():
    bad = _panel()
    bad.iloc[5, 1] = np.inf
    for kwargs in ({}, {"allow_nan": True}, {"warmup_nan": True}):
        result = check_frame(bad, **kwargs)
        assert (
            not result.passed and "infinite values in ['vix']" in result.metadata["problems"].text
        )
