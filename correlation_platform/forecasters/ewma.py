"""RiskMetrics EWMA correlation, computed in one recursive pass over history."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.forecasters.base import CorrelationForecaster


class EWMAForecaster(CorrelationForecaster):
    """S_t = decay * S_{t-1} + (1 - decay) r_t r_t' (zero mean), normalised to a correlation.

    The recursion starts from the sample covariance of the first ``min_periods`` returns,
    so the first forecast is available at row ``min_periods - 1``. A flat EWMA forecast is
    the same for every day of the horizon.
    """

    name: ClassVar[str] = "ewma"

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
        order = np.argsort(positions)
        start = self.min_periods - 1
        init = x[: self.min_periods]
        s = init.T @ init / self.min_periods
        wanted = positions[order]
        k = 0
        while k < len(wanted) and wanted[k] == start:
            out[order[k]] = s
            k += 1
        lam, one_minus = self.decay, 1.0 - self.decay
        last = int(wanted[-1])
        for t in range(start + 1, last + 1):
            r = x[t]
            s *= lam
            s += one_minus * np.outer(r, r)
            while k < len(wanted) and wanted[k] == t:
                out[order[k]] = s
                k += 1
        d = np.sqrt(np.einsum("kii->ki", out))
        d[d == 0] = 1.0
        return out / (d[:, :, None] * d[:, None, :])
