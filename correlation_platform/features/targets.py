"""Labels: realised correlation over the next ``horizon`` days (kept apart from features)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.linalg import matrices_to_pairs


def forward_realized_correlation(
    returns: pd.DataFrame, *, horizon: int = 21, dates: pd.Index | None = None
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Sample correlation of returns over days t+1..t+horizon for each date t.

    Only dates with a full forward window are returned. These are targets: no feature
    may be built from them.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days per window.
    dates : pandas.Index, optional
        Dates t (default every row).

    Returns
    -------
    tuple
        The (len, N, N) matrices and the dates kept.
    """
    x = returns.to_numpy(dtype=float)
    idx = pd.DatetimeIndex(returns.index)
    positions = np.arange(len(idx) - horizon)
    if dates is not None:
        wanted = idx.get_indexer(pd.DatetimeIndex(dates))
        positions = np.array([p for p in wanted if 0 <= p < len(idx) - horizon], dtype=int)
    out = np.empty((len(positions), x.shape[1], x.shape[1]))
    for k, p in enumerate(positions):
        window = x[p + 1 : p + 1 + horizon]
        c = np.corrcoef(window, rowvar=False)
        out[k] = np.nan_to_num(c, nan=0.0)
        np.fill_diagonal(out[k], 1.0)
    return out, idx[positions]


def realized_correlation_frame(
    returns: pd.DataFrame, *, horizon: int = 21, step: int = 1
) -> pd.DataFrame:
    """Forward realised correlations as a date x pair frame (upper triangle, ``A|B`` columns).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days per window.
    step : int, default 1
        Rows between dates.

    Returns
    -------
    pandas.DataFrame
        Date x pair.
    """
    dates = returns.index[::step]
    mats, kept = forward_realized_correlation(returns, horizon=horizon, dates=dates)
    return matrices_to_pairs(mats, kept, returns.columns)
