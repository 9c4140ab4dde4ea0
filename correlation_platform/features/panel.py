"""The feature panel: market-level features by date, all known at that date's close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.features.indicators import align_indicators
from correlation_platform.features.returns import ewma_volatility, trailing_volatility

VOL_WINDOWS = (21, 63, 126)
CORR_WINDOWS = (21, 63)
CHANGE_DAYS = 21


def average_trailing_correlation(returns: pd.DataFrame, *, window: int = 63) -> pd.DataFrame:
    """Mean and cross-sectional dispersion (std) of pairwise trailing correlations, per date.

    Never forms the N x N matrix: with Z the window's standardised returns (w x N),
    sum_ij R_ij = ||Z 1||^2 / (w-1) and sum_ij R_ij^2 = ||Z Z'||_F^2 / (w-1)^2, so a date
    costs O(w^2 N) instead of O(w N^2).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    window : int, default 63
        Trailing rows.

    Returns
    -------
    pandas.DataFrame
        Mean and dispersion columns by date.
    """
    x = returns.to_numpy(dtype=float)
    n = x.shape[1]
    mean = np.full(len(x), np.nan)
    disp = np.full(len(x), np.nan)
    pairs = n * (n - 1)
    for t in range(window - 1, len(x)):
        win = x[t - window + 1 : t + 1]
        centred = win - win.mean(axis=0)
        sd = np.sqrt((centred**2).sum(axis=0))
        if np.any(sd == 0):
            continue
        z = centred / sd  # unit-norm columns: Z'Z is the correlation matrix
        total = float(np.sum(z.sum(axis=1) ** 2))
        gram = z @ z.T
        total_sq = float(np.sum(gram**2))
        m = (total - n) / pairs
        mean[t] = m
        disp[t] = np.sqrt(max((total_sq - n) / pairs - m * m, 0.0))
    return pd.DataFrame(
        {f"avg_corr_{window}": mean, f"corr_dispersion_{window}": disp}, index=returns.index
    )


def build_feature_panel(returns: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """The market features known at each close.

    Volatilities at several windows, EWMA volatility, average correlation and its
    dispersion, return dispersion, and each indicator's level and 21-day change. No
    normalisation here: scaling is fitted by each model on its own training window.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    indicators : pandas.DataFrame
        Indicators by release date.

    Returns
    -------
    pandas.DataFrame
        Dates x features.
    """
    feats: dict[str, pd.Series] = {}
    for w in VOL_WINDOWS:
        feats[f"mean_vol_{w}"] = trailing_volatility(returns, window=w).mean(axis=1)
    feats["mean_ewma_vol"] = ewma_volatility(returns).mean(axis=1)
    feats["return_dispersion"] = returns.std(axis=1)
    panel = pd.DataFrame(feats)
    for w in CORR_WINDOWS:
        panel = panel.join(average_trailing_correlation(returns, window=w))
    aligned = align_indicators(indicators, pd.DatetimeIndex(returns.index))
    changes = aligned - aligned.shift(CHANGE_DAYS)
    panel = panel.join(aligned).join(changes.add_suffix(f"_chg{CHANGE_DAYS}"))
    panel.index.name = "date"
    return panel
