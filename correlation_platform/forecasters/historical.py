"""The benchmark: trailing sample correlation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

import numpy as np
from typing_extensions import override

from correlation_platform.forecasters._window import inverse_scale, rank_one_update
from correlation_platform.forecasters.base import RecursiveForecaster
from correlation_platform.params import Interval

RECOMPUTE_EVERY = 252  # rows of incremental updates before the window sums are rebuilt
RANK_ONE_UP_TO = 8  # gaps between forecast dates up to this many rows use rank-one updates


class HistoricalForecaster(RecursiveForecaster):
    """Sample correlation of the last ``window`` returns, held constant over the horizon.

    The window's sums (of x and of x x') are slid from one forecast date to the next by
    adding the new rows and removing the old ones, so a daily path costs O(N^2) per date;
    they are rebuilt from scratch every ``RECOMPUTE_EVERY`` rows to bound rounding drift.

    Parameters
    ----------
    window : int, default 252
        Trailing returns per forecast (at least 2; a forecast needs this many rows).
    """

    name: ClassVar[str] = "historical"
    refit_changes_path: ClassVar[bool] = False
    psd_by_construction: ClassVar[bool] = True

    PARAMETERS: ClassVar = {"window": Interval(int, 2, None)}

    def __init__(self, window: int = 252):
        self.window = window

    @override
    def rows_needed(self) -> int:
        """The window (a forecast needs that many rows).

        Returns
        -------
        int
            ``window``.
        """
        return self.window

    def _stream(
        self, x: np.ndarray, positions: np.ndarray, horizon: int, slots: Iterable[np.ndarray]
    ) -> Iterator[np.ndarray]:
        w = self.window
        for p in positions:
            self._need_history(p, w, f"historical(window={w})")
        prev, since_rebuild = None, 0
        total, cross = np.zeros(x.shape[1]), None
        for p, out in zip(positions, slots, strict=False):
            p = int(p)
            if prev is None or p - prev >= w or since_rebuild >= RECOMPUTE_EVERY:
                win = x[p - w + 1 : p + 1]
                total, cross = win.sum(axis=0), win.T @ win
                since_rebuild = 0
            elif p > prev:
                add, drop = x[prev + 1 : p + 1], x[prev - w + 1 : p - w + 1]
                total += add.sum(axis=0) - drop.sum(axis=0)
                if p - prev <= RANK_ONE_UP_TO:
                    for row_in, row_out in zip(add, drop, strict=True):
                        rank_one_update(cross, 1.0, row_in)
                        rank_one_update(cross, -1.0, row_out)
                else:
                    cross += add.T @ add - drop.T @ drop
                since_rebuild += p - prev
            # corr = D^-1 (cross - total total' / w) D^-1 = D^-1 cross D^-1 - u u',
            # u = D^-1 total / sqrt(w): three in-place passes, no N x N temporary.
            inv = inverse_scale(np.diag(cross) - total * total / w)
            np.multiply(cross, inv[:, None], out=out)
            out *= inv[None, :]
            rank_one_update(out, -1.0, total * inv / np.sqrt(w))
            prev = p
            yield out
