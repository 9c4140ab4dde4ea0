"""The one container every source returns (DESIGN.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MarketData:
    """Prices and point-in-time context for one universe.

    ``indicators`` holds each value on the first day it was publicly known (release lags
    applied), so aligning it to trading days with a forward fill never looks ahead.
    ``true_correlation`` exists only for synthetic markets: the conditional correlation of
    the shocks on each day, the target a perfect forecaster would hit.
    """

    prices: pd.DataFrame
    volumes: pd.DataFrame | None = None
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    true_correlation: np.ndarray | None = None
    source: str = "unknown"
    notes: tuple[str, ...] = ()
    benchmark: pd.Series | None = None
    release_lags: dict[str, str] = field(default_factory=dict)

    @property
    def assets(self) -> list[str]:
        return list(self.prices.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.prices.index)
