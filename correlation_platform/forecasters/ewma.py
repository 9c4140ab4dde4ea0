"""RiskMetrics EWMA correlation, computed in one recursive pass over history."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.forecasters._window import scale_to_correlation
from correlation_platform.forecasters.base import CorrelationForecaster


class EWMAForecaster(CorrelationForecaster):
    """S_t = decay * S_{t-1} + (1 - decay) r_t r_t' (zero mean), normalised to a correlation.

    The recursion starts from the sample covariance of the first ``min_periods`` returns,
    so the first forecast is available at row ``min_periods - 1``. A flat EWMA forecast is
    the same for every day of the horizon.
    """

    name: ClassVar[str] = "ewma"
    psd_by_construction: ClassVar[bool] = True

    def __init__(self, decay: float = 0.97, min_periods: int = 63):
        self.decay = decay
        self.min_periods = min_periods

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        if not 0.0 < self.decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {self.decay}")
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        if len(positions) == 0:
            return out
        for p in positions:
            self._need_history(p, self.min_periods, f"ewma(min_periods={self.min_periods})")
        order = np.argsort(positions, kind="stable")
        wanted = positions[order]
        start = self.min_periods - 1
        init = x[: self.min_periods]
        s = init.T @ init / self.min_periods
        tmp = np.empty_like(s)
        lam, one_minus = self.decay, 1.0 - self.decay
        k = 0
        for t in range(start, int(wanted[-1]) + 1):
            if t > start:  # in place: no per-day allocation of an N x N outer product
                s *= lam
                np.multiply.outer(one_minus * x[t], x[t], out=tmp)
                s += tmp
            while k < len(wanted) and wanted[k] == t:
                scale_to_correlation(s, out[order[k]])
                k += 1
        return out
