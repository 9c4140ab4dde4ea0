"""RiskMetrics EWMA correlation, computed in one recursive pass over history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import numpy as np
from typing_extensions import override

from correlation_platform.forecasters._window import rank_one_update, scale_to_correlation
from correlation_platform.forecasters.base import RecursiveForecaster
from correlation_platform.params import Interval

RESCALE_ABOVE = 1e100  # the unscaled accumulator is renormalised before it can overflow


class EWMAForecaster(RecursiveForecaster):
    """S_t = decay * S_{t-1} + (1 - decay) r_t r_t' (zero mean), normalised to a correlation.

    The recursion starts from the sample covariance of the first ``min_periods`` returns,
    so the first forecast is available at row ``min_periods - 1``. A flat EWMA forecast is
    the same for every day of the horizon.

    Correlation ignores a common scale, so the path keeps U_t = S_t / decay^(t - t0) and
    updates it with one in-place rank-one BLAS call a day instead of decaying all of S.

    Parameters
    ----------
    decay : float, default 0.97
        Weight of yesterday's matrix, in (0, 1) (RiskMetrics used 0.94 daily, 0.97 monthly).
    min_periods : int, default 63
        Returns whose sample covariance starts the recursion (at least 2).

    References
    ----------
    J.P. Morgan/Reuters (1996), RiskMetrics Technical Document, 4th ed.
    """

    name: ClassVar[str] = "ewma"
    refit_changes_path: ClassVar[bool] = False
    psd_by_construction: ClassVar[bool] = True

    PARAMETERS: ClassVar = {
        "decay": Interval(float, 0.0, 1.0, closed="neither"),
        "min_periods": Interval(int, 2, None),
    }

    def __init__(self, decay: float = 0.97, min_periods: int = 63):
        self.decay = decay
        self.min_periods = min_periods

    @override
    def rows_needed(self) -> int:
        """The min_periods (a forecast needs that many rows).

        Returns
        -------
        int
            ``min_periods``.
        """
        return self.min_periods

    def _stream(
        self, x: np.ndarray, positions: np.ndarray, horizon: int, slots: Iterable[np.ndarray]
    ) -> Iterator[np.ndarray]:
        if len(positions) == 0:
            return
        for p in positions:
            self._need_history(p, self.min_periods, f"ewma(min_periods={self.min_periods})")
        start = self.min_periods - 1
        init = x[: self.min_periods]
        u = np.asfortranarray(init.T @ init / self.min_periods)
        growth, weight = 1.0 / self.decay, 1.0 - self.decay
        slots = iter(slots)
        k = 0
        for t in range(start, int(positions[-1]) + 1):
            if t > start:
                weight *= growth  # (1 - decay) / decay^(t - t0)
                if weight > RESCALE_ABOVE:
                    u /= weight
                    weight = 1.0
                rank_one_update(u, weight, x[t])
            while k < len(positions) and positions[k] == t:
                yield scale_to_correlation(u, next(slots))
                k += 1
