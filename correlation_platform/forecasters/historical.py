"""The benchmark: trailing sample correlation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.features.pairs import trailing_correlations
from correlation_platform.forecasters.base import CorrelationForecaster


class HistoricalForecaster(CorrelationForecaster):
    """Sample correlation of the last ``window`` returns, held constant over the horizon."""

    name: ClassVar[str] = "historical"

    def __init__(self, window: int = 252):
        self.window = window

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        for p in positions:
            self._need_history(p, self.window, f"historical(window={self.window})")
        out = np.nan_to_num(trailing_correlations(x, positions, self.window), nan=0.0)
        out[:, np.arange(x.shape[1]), np.arange(x.shape[1])] = 1.0  # a flat asset: uncorrelated
        return out
