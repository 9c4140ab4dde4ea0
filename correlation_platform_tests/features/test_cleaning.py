import numpy as np
import pandas as pd

from correlation_platform.features import clean_prices


def test_cleaning_reports_every_decision():
    idx = pd.bdate_range("2020-01-01", periods=50)
    prices = pd.DataFrame(
        {"A": np.linspace(1, 2, 50), "B": np.linspace(3, 4, 50), "C": np.linspace(5, 6, 50)},
        index=idx,
    )
    prices.iloc[10:13, 0] = np.nan  # short gap: filled
    prices.iloc[:30, 2] = np.nan  # mostly missing: dropped
    prices.iloc[:2, 1] = np.nan  # late start: trimmed, never back-filled
    result = clean_prices(prices)
    actions = set(result.report["action"])
    assert {"dropped asset", "forward-filled", "trimmed start"} <= actions
    assert list(result.prices.columns) == ["A", "B"]
    assert result.prices.index[0] == idx[2]
    assert result.prices.loc[idx[11], "A"] == prices.loc[idx[9], "A"]
    assert not result.prices.isna().any().any()
