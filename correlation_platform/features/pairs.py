"""Pairwise trailing correlations at several windows, for dates of interest only."""

from __future__ import annotations

import numpy as np
import pandas as pd

PAIR_WINDOWS = (21, 63, 252)


def trailing_correlations(x: np.ndarray, positions: np.ndarray, window: int) -> np.ndarray:
    """Sample correlation of rows (p-window, p] for each position p: (len, N, N).

    Uses running sums of x and x x' so each date costs O(N^2) after an O(T N^2) pass
    restricted to the rows needed; positions with fewer than ``window`` rows give NaN.
    """
    n = x.shape[1]
    out = np.full((len(positions), n, n), np.nan)
    for k, p in enumerate(positions):
        if p + 1 < window:
            continue
        win = x[p - window + 1 : p + 1]
        win = win - win.mean(axis=0)
        cov = win.T @ win
        d = np.sqrt(np.diag(cov))
        d[d == 0] = np.nan
        out[k] = cov / np.outer(d, d)
    return out


def pair_correlation_features(
    returns: pd.DataFrame, dates: pd.Index, windows: tuple[int, ...] = PAIR_WINDOWS
) -> dict[int, np.ndarray]:
    """{window: array (len(dates), N(N-1)/2)} of upper-triangle trailing correlations."""
    x = returns.to_numpy(dtype=float)
    positions = pd.DatetimeIndex(returns.index).get_indexer(pd.DatetimeIndex(dates))
    if np.any(positions < 0):
        raise ValueError("every date must be in the returns index")
    iu = np.triu_indices(x.shape[1], 1)
    return {w: trailing_correlations(x, positions, w)[:, iu[0], iu[1]] for w in windows}
