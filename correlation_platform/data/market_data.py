"""The one container every source returns (DESIGN.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MarketData:
    """Prices and point-in-time context for one universe.

    ``indicators`` holds each value on the first day it was publicly known (release lags
    applied), so aligning it to trading days with a forward fill never looks ahead.

    Attributes
    ----------
    prices : pandas.DataFrame
        Closes, dates x assets.
    volumes : pandas.DataFrame or None
        Volumes, same shape, when the source has them.
    indicators : pandas.DataFrame
        Indicators by publication date.
    sectors : pandas.DataFrame
        The sector tree, indexed by asset, columns leaves -> root.
    true_correlation : numpy.ndarray or None
        Synthetic markets only: the conditional correlation of the shocks on each day, the
        target a perfect forecaster would hit.
    source : str
        Where the data came from.
    notes : tuple of str
        What loading had to fix or drop.
    benchmark : pandas.Series or None
        The index's closes, when known.
    release_lags : dict of str to str
        The release-lag rule of each indicator, in words.
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
        """The asset names, in column order."""
        return list(self.prices.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The price dates."""
        return pd.DatetimeIndex(self.prices.index)


def arrived_by(data: MarketData, as_of: str | pd.Timestamp) -> MarketData:
    """What had arrived by the close of ``as_of``: rows dated after it are dropped.

    Indicators are stamped on their release day, so this is also what was public. Used by
    the daily run (a partition ingests what had arrived by its day) and by the replay, where
    a synthetic market "arrives" one day at a time.

    Parameters
    ----------
    data : MarketData
        A full load of the source.
    as_of : str or pd.Timestamp
        The close the data is cut at.

    Returns
    -------
    MarketData
    """
    cut = pd.Timestamp(as_of)
    keep = data.prices.index <= cut
    if not keep.any():
        raise ValueError(f"no price row on or before {cut.date()}: nothing had arrived yet")
    truth = data.true_correlation
    return replace(
        data,
        prices=data.prices.loc[keep],
        volumes=None if data.volumes is None else data.volumes.loc[data.volumes.index <= cut],
        indicators=data.indicators.loc[data.indicators.index <= cut],
        benchmark=None
        if data.benchmark is None
        else data.benchmark.loc[data.benchmark.index <= cut],
        true_correlation=None if truth is None else truth[: int(keep.sum())],
    )
