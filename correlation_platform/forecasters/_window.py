"""Shared helpers of the window-based estimators: trailing windows, covariance -> correlation."""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dger


def trailing_window(x: np.ndarray, position: int, window: int) -> np.ndarray:
    """Demeaned rows (position - window, position]."""
    win = x[position - window + 1 : position + 1]
    return win - win.mean(axis=0)


def inverse_scale(variances: np.ndarray) -> np.ndarray:
    """1 / sqrt(variance), 0 for a zero-variance asset (its correlations become 0)."""
    d = np.sqrt(np.clip(variances, 0.0, None))
    return np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)


def scale_to_correlation(cov: np.ndarray, out: np.ndarray) -> np.ndarray:
    """D^-1 cov D^-1 written into ``out`` (may be ``cov``); a zero-variance asset gets 0."""
    inv = inverse_scale(np.diag(cov).copy())
    np.multiply(cov, inv[:, None], out=out)
    out *= inv[None, :]
    return out


def to_correlation(cov: np.ndarray) -> np.ndarray:
    return scale_to_correlation(cov, np.empty_like(cov))


def rank_one_update(a: np.ndarray, alpha: float, v: np.ndarray) -> None:
    """Add alpha v v' to ``a`` in place (BLAS dger, one pass, no N x N temporary).

    ``a`` must be symmetric and C- or F-contiguous: a C-ordered array is updated through
    its F-ordered transpose, which is the same matrix because the update is symmetric.
    """
    target = a if a.flags.f_contiguous else a.T
    dger(alpha, v, v, a=target, overwrite_a=1)
