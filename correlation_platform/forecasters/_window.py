"""Shared helper: trailing windows of returns for window-based estimators."""

from __future__ import annotations

import numpy as np


def trailing_window(x: np.ndarray, position: int, window: int) -> np.ndarray:
    """Demeaned rows (position - window, position]."""
    win = x[position - window + 1 : position + 1]
    return win - win.mean(axis=0)


def to_correlation(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return cov / np.outer(d, d)
