"""The benchmark: trailing sample correlation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.forecasters._window import scale_to_correlation
from correlation_platform.forecasters.base import CorrelationForecaster

RECOMPUTE_EVERY = 252  # rows of incremental updates before the window sums are rebuilt


class HistoricalForecaster(CorrelationForecaster):
    """Sample correlation of the last ``window`` returns, held constant over the horizon.

    The window's sums (of x and of x x') are slid from one forecast date to the next by
    adding the new rows and removing the old ones, so a daily path costs O(N^2) per date;
    they are rebuilt from scratch every ``RECOMPUTE_EVERY`` rows to bound rounding drift.
    """

    name: ClassVar[str] = "historical"
    psd_by_construction: ClassVar[bool] = True

    def __init__(self, window: int = 252):
        self.window = window

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        w, n = self.window, x.shape[1]
        for p in positions:
            self._need_history(p, w, f"historical(window={w})")
        out = np.empty((len(positions), n, n))
        order = np.argsort(positions, kind="stable")
        prev, since_rebuild = None, 0
        total, cross = np.zeros(n), np.zeros((n, n))
        for k in order:
            p = int(positions[k])
            if prev is None or p - prev >= w or since_rebuild >= RECOMPUTE_EVERY:
                win = x[p - w + 1 : p + 1]
                total, cross = win.sum(axis=0), win.T @ win
                since_rebuild = 0
            elif p > prev:
                add, drop = x[prev + 1 : p + 1], x[prev - w + 1 : p - w + 1]
                total += add.sum(axis=0) - drop.sum(axis=0)
                cross += add.T @ add - drop.T @ drop
                since_rebuild += p - prev
            cov = out[k]  # built in place: no N x N temporaries per date
            np.multiply.outer(total, total / w, out=cov)
            np.subtract(cross, cov, out=cov)
            scale_to_correlation(cov, cov)
            prev = p
        return out
