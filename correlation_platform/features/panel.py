"""The feature panel: market-level features by date, all known at that date's close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.features.indicators import align_indicators
from correlation_platform.features.returns import ewma_volatility, trailing_volatility

VOL_WINDOWS = (21, 63)
CORR_WINDOW = 63


def average_trailing_correlation(returns: pd.DataFrame, window: int = CORR_WINDOW) -> pd.Series:
    """Mean off-diagonal sample correlation over the trailing window, per date."""
    x = returns.to_numpy(dtype=float)
    n = x.shape[1]
    out = np.full(len(x), np.nan)
    for t in range(window - 1, len(x)):
        c = np.corrcoef(x[t - window + 1 : t + 1], rowvar=False)
        out[t] = (np.nansum(c) - n) / (n * (n - 1))
    return pd.Series(out, index=returns.index, name=f"avg_corr_{window}")


def build_feature_panel(returns: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Cross-sectional averages of vol features, average correlation and aligned indicators."""
    feats: dict[str, pd.Series] = {}
    for w in VOL_WINDOWS:
        feats[f"mean_vol_{w}"] = trailing_volatility(returns, w).mean(axis=1)
    feats["mean_ewma_vol"] = ewma_volatility(returns).mean(axis=1)
    feats[f"avg_corr_{CORR_WINDOW}"] = average_trailing_correlation(returns)
    panel = pd.DataFrame(feats)
    aligned = align_indicators(indicators, pd.DatetimeIndex(returns.index))
    panel = panel.join(aligned)
    panel.index.name = "date"
    return panel
