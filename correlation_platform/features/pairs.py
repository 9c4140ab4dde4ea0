"""Pairwise trailing correlations at several windows, for dates of interest only."""

from __future__ import annotations

import numpy as np
import pandas as pd

PAIR_WINDOWS = (21, 63, 252)


def trailing_correlations(
    x: np.ndarray, positions: np.ndarray, window: int, *, min_periods: int | None = None
) -> np.ndarray:
    """Sample correlation of the rows (p - window, p] for each position p.

    Positions with fewer than ``min_periods`` rows (default ``window``) give NaN, and so do
    the row and column of an asset with zero variance in its window.

    Parameters
    ----------
    x : numpy.ndarray
        Returns, T x N.
    positions : numpy.ndarray
        As-of rows.
    window : int
        Rows per window.
    min_periods : int, optional
        Rows needed (default ``window``).

    Returns
    -------
    numpy.ndarray
        (len(positions), N, N).
    """
    need = window if min_periods is None else min_periods
    n = x.shape[1]
    out = np.full((len(positions), n, n), np.nan)
    for k, p in enumerate(positions):
        lo = max(0, p - window + 1)
        if p - lo + 1 < need:
            continue
        win = x[lo : p + 1] - x[lo : p + 1].mean(axis=0)
        cov = win.T @ win
        d = np.sqrt(np.diag(cov))
        d[d == 0] = np.nan
        out[k] = cov / np.outer(d, d)
    return out


def pair_correlation_features(
    returns: pd.DataFrame, dates: pd.Index, *, windows: tuple[int, ...] = PAIR_WINDOWS
) -> dict[int, np.ndarray]:
    """Upper-triangle trailing correlations at several windows.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    dates : pandas.Index
        As-of dates.
    windows : tuple of int, default PAIR_WINDOWS
        Trailing windows.

    Returns
    -------
    dict of int to numpy.ndarray
        Window -> (len(dates), N(N-1)/2) array.
    """
    x = returns.to_numpy(dtype=float)
    positions = pd.DatetimeIndex(returns.index).get_indexer(pd.DatetimeIndex(dates))
    if np.any(positions < 0):
        raise ValueError("every date must be in the returns index")
    iu = np.triu_indices(x.shape[1], 1)
    return {w: trailing_correlations(x, positions, w)[:, iu[0], iu[1]] for w in windows}
