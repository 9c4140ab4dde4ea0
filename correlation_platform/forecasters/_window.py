"""Shared helpers of the window-based estimators: trailing windows, covariance -> correlation."""

from __future__ import annotations

import numpy as np


def trailing_window(x: np.ndarray, position: int, window: int) -> np.ndarray:
    """Demeaned rows (position - window, position]."""
    win = x[position - window + 1 : position + 1]
    return win - win.mean(axis=0)


def scale_to_correlation(cov: np.ndarray, out: np.ndarray) -> np.ndarray:
    """D^-1 cov D^-1 written into ``out`` (may be ``cov``); a zero-variance asset gets 0."""
    d = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    np.multiply(cov, inv[:, None], out=out)
    out *= inv[None, :]
    return out


def to_correlation(cov: np.ndarray) -> np.ndarray:
    return scale_to_correlation(cov, np.empty_like(cov))
