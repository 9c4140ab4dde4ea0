"""Point-in-time alignment of indicators to trading days."""

from __future__ import annotations

import pandas as pd


def align_indicators(indicators: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Value of each indicator known at the close of each date in ``dates``.

    ``indicators`` holds each value on its release day; a release on a non-trading day is
    first usable on the next trading day. Only forward fills: nothing is back-filled.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Values by release date.
    dates : pandas.DatetimeIndex
        Trading days.

    Returns
    -------
    pandas.DataFrame
        Dates x indicators.
    """
    if indicators.empty:
        return pd.DataFrame(index=dates)
    known = indicators.sort_index().ffill()
    aligned = known.reindex(known.index.union(dates)).ffill().reindex(dates)
    aligned.index.name = "date"
    return aligned
