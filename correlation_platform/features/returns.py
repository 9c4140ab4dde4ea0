"""Returns and trailing volatility: every value at t uses prices up to t only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.units import TRADING_DAYS


def simple_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Close-to-close simple returns; the first row (no previous close) is dropped.

    Parameters
    ----------
    prices : pandas.DataFrame
        Closes.

    Returns
    -------
    pandas.DataFrame
        Returns.
    """
    return prices.pct_change(fill_method=None).iloc[1:]


def trailing_volatility(
    returns: pd.DataFrame, *, window: int = 21, annualise: bool = True
) -> pd.DataFrame:
    """Sample standard deviation of the trailing ``window`` returns, causal.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    window : int, default 21
        Rows per window.
    annualise : bool, default True
        Multiply by sqrt(252).

    Returns
    -------
    pandas.DataFrame
        Volatility by date and asset (NaN before a full window).
    """
    vol = returns.rolling(window, min_periods=window).std()
    return vol * np.sqrt(TRADING_DAYS) if annualise else vol


def ewma_volatility(
    returns: pd.DataFrame, *, halflife: float = 21.0, annualise: bool = True
) -> pd.DataFrame:
    """RiskMetrics-style EWMA volatility (zero mean), causal.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    halflife : float, default 21.0
        Half-life in days.
    annualise : bool, default True
        Multiply by sqrt(252).

    Returns
    -------
    pandas.DataFrame
        Volatility by date and asset.
    """
    var = (returns**2).ewm(halflife=halflife, adjust=True).mean()
    vol = np.sqrt(var)
    return vol * np.sqrt(TRADING_DAYS) if annualise else vol
