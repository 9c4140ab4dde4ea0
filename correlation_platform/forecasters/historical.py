"""The benchmark: trailing sample correlation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.forecasters.base import CorrelationForecaster


class HistoricalForecaster(CorrelationForecaster):
    """Sample correlation of the last ``window`` returns, held constant over the horizon."""

    name: ClassVar[str] = "historical"

    def __init__(self, window: int = 252):
        self.window = window

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        for k, p in enumerate(positions):
            self._need_history(p, self.window, f"historical(window={self.window})")
            win = x[p - self.window + 1 : p + 1]
            win = win - win.mean(axis=0)
            cov = win.T @ win
            d = np.sqrt(np.diag(cov))
            d[d == 0] = 1.0
            out[k] = cov / np.outer(d, d)
        return out
