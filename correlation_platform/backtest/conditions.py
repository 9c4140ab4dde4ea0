"""Market conditions: calm vs stress days and named crisis windows, known point in time.

A day's condition is decided from what was known at the **previous** close, so it never
uses the day it classifies: the day is *stress* when the volatility indicator (VIX, or its
proxy) at the previous close is above the 80th percentile of the indicator's own history
up to that close (expanding, once at least a year of it exists), *calm* otherwise. Without
an indicator the proxy is the annualised 21-day realised volatility of the equally
weighted portfolio of the assets. Crisis windows are fixed calendar spans, shown when the
out-of-sample period covers at least a month of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.units import TRADING_DAYS

#: Share of the indicator's history below which a day is calm (top quintile = stress).
STRESS_QUANTILE = 0.80
#: Days of indicator history before the expanding threshold is trusted.
MIN_HISTORY = 252
#: Days of the realised-volatility proxy window when no indicator is given.
PROXY_WINDOW = 21
#: A crisis window needs this many out-of-sample days to get a row.
MIN_WINDOW_DAYS = 21
CRISES: dict[str, tuple[str, str]] = {
    "dot-com bust 2000-02": ("2000-03-01", "2002-10-31"),
    "financial crisis 2007-09": ("2007-10-01", "2009-03-31"),
    "euro debt crisis 2011": ("2011-07-01", "2011-12-31"),
    "China and oil 2015-16": ("2015-08-01", "2016-02-29"),
    "Q4 2018 sell-off": ("2018-10-01", "2018-12-31"),
    "COVID crash 2020": ("2020-02-01", "2020-04-30"),
}


def volatility_proxy(returns: pd.DataFrame) -> pd.Series:
    """Annualised 21-day realised volatility of the equally weighted portfolio (causal).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.

    Returns
    -------
    pandas.Series
        The proxy by date (NaN before 21 days).
    """
    portfolio = returns.mean(axis=1)
    return (portfolio.rolling(PROXY_WINDOW).std() * np.sqrt(TRADING_DAYS) * 100).rename(
        "volatility_proxy"
    )


def stress_days(indicator: pd.Series, dates: pd.DatetimeIndex) -> pd.Series:
    """True on ``dates`` whose previous close had the indicator in its top quintile so far.

    Parameters
    ----------
    indicator : pd.Series
        A volatility level by date (sparse release days allowed; forward-filled).
    dates : pd.DatetimeIndex
        The days to classify.

    Returns
    -------
    pd.Series of bool (NaN where there is not yet a year of history)
    """
    level = indicator.dropna().sort_index()
    level = level[~level.index.duplicated(keep="last")]
    threshold = level.expanding(MIN_HISTORY).quantile(STRESS_QUANTILE)
    stressed = (level > threshold).where(threshold.notna())
    # Known at a close, used for the following day: shift by one observation after aligning.
    union = dates.union(level.index)
    known = stressed.reindex(union).ffill().shift(1)
    return known.reindex(dates).rename("stress")


def market_conditions(
    dates: pd.DatetimeIndex,
    *,
    indicator: pd.Series | None = None,
    returns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One boolean column per market condition over ``dates`` (the out-of-sample days).

    Parameters
    ----------
    dates : pd.DatetimeIndex
        Days to classify.
    indicator : pd.Series, optional
        Volatility indicator (e.g. VIX); without it the proxy from ``returns`` is used.
    returns : pd.DataFrame, optional
        Asset returns for the proxy.

    Returns
    -------
    pd.DataFrame
        Columns ``all``, ``calm``, ``stress`` and each covered crisis window, index ``dates``.
    """
    if indicator is None:
        if returns is None:
            raise ValueError("market_conditions needs an indicator or the returns for a proxy")
        indicator = volatility_proxy(returns)
    stress = stress_days(indicator, dates)
    out = {
        "all": pd.Series(True, index=dates),
        "calm": stress.eq(0.0) & stress.notna(),
        "stress": stress.eq(1.0),
    }
    for name, (start, end) in CRISES.items():
        inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
        if inside.sum() >= MIN_WINDOW_DAYS:
            out[name] = pd.Series(inside, index=dates)
    return pd.DataFrame(out, index=dates).astype(bool)
