"""Labels: realised correlation over the next ``horizon`` days (kept apart from features)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.linalg import matrices_to_pairs, upper_pairs


def forward_realized_correlation(
    returns: pd.DataFrame, *, horizon: int = 21, dates: pd.Index | None = None
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Sample correlation of returns over days t+1..t+horizon for each date t.

    Only dates with a full forward window are returned. These are targets: no feature
    may be built from them.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days per window.
    dates : pandas.Index, optional
        Dates t (default every row).

    Returns
    -------
    tuple
        The (len, N, N) matrices and the dates kept.
    """
    x = returns.to_numpy(dtype=float)
    idx = pd.DatetimeIndex(returns.index)
    positions = np.arange(len(idx) - horizon)
    if dates is not None:
        wanted = idx.get_indexer(pd.DatetimeIndex(dates))
        positions = np.array([p for p in wanted if 0 <= p < len(idx) - horizon], dtype=int)
    out = np.empty((len(positions), x.shape[1], x.shape[1]))
    for k, p in enumerate(positions):
        window = x[p + 1 : p + 1 + horizon]
        c = np.corrcoef(window, rowvar=False)
        out[k] = np.nan_to_num(c, nan=0.0)
        np.fill_diagonal(out[k], 1.0)
    return out, idx[positions]


def realized_correlation_frame(
    returns: pd.DataFrame, *, horizon: int = 21, step: int = 1
) -> pd.DataFrame:
    """Forward realised correlations as a date x pair frame (upper triangle, ``A|B`` columns).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days per window.
    step : int, default 1
        Rows between dates.

    Returns
    -------
    pandas.DataFrame
        Date x pair.
    """
    dates = returns.index[::step]
    mats, kept = forward_realized_correlation(returns, horizon=horizon, dates=dates)
    return matrices_to_pairs(mats, kept, returns.columns)


#: Bytes per stored correlation: float32 keeps 7 significant digits, far finer than the
#: sampling error of a 21-day correlation (~0.2), at half the size of float64.
PANEL_DTYPE = np.float32


@dataclass(frozen=True)
class CorrelationPanel:
    """Correlation matrices over dates, stored as their upper triangles: one row per date.

    A date x pair array (float32) scales where a frame with one column per pair does not
    (124,750 columns at 500 assets); stored as one ``.npy`` file, read memory-mapped.

    Attributes
    ----------
    dates : pandas.DatetimeIndex
        One per row.
    assets : list of str
        The N assets; pair k is ``np.triu_indices(N, 1)`` at k (a|b with a before b).
    values : numpy.ndarray
        T x N(N-1)/2 correlations.
    """

    dates: pd.DatetimeIndex
    assets: list[str]
    values: np.ndarray

    def __post_init__(self) -> None:
        """Check that the array matches the dates and the pairs of the assets."""
        n = len(self.assets)
        expected = (len(self.dates), n * (n - 1) // 2)
        if self.values.shape != expected:
            raise ValueError(
                f"correlation panel values have shape {self.values.shape}; {len(self.dates)} "
                f"dates and {n} assets need {expected}"
            )

    @property
    def pairs(self) -> list[str]:
        """Pair labels ``a|b`` in column order."""
        return [f"{a}|{b}" for a, b in upper_pairs(self.assets)]

    def matrix(self, date: pd.Timestamp | str) -> pd.DataFrame:
        """The full correlation matrix at one date.

        Parameters
        ----------
        date : pandas.Timestamp or str
            A date of the panel.

        Returns
        -------
        pandas.DataFrame
            N x N, unit diagonal.
        """
        row = self.dates.get_loc(pd.Timestamp(date))
        n = len(self.assets)
        out = np.eye(n)
        i, j = np.triu_indices(n, 1)
        out[i, j] = out[j, i] = self.values[row]
        return pd.DataFrame(out, index=self.assets, columns=self.assets)

    def average(self) -> pd.Series:
        """Average pairwise correlation per date.

        Returns
        -------
        pandas.Series
            Indexed by date.
        """
        return pd.Series(self.values.mean(axis=1, dtype=float), index=self.dates)

    def to_frame(self) -> pd.DataFrame:
        """The panel as a date x pair frame (for a few assets).

        Returns
        -------
        pandas.DataFrame
            One column per pair ``a|b``.
        """
        return pd.DataFrame(
            np.asarray(self.values, dtype=float), index=self.dates, columns=self.pairs
        )


def realized_correlation_panel(
    returns: pd.DataFrame, *, horizon: int = 21, step: int = 1
) -> CorrelationPanel:
    """Forward realised correlations as a :class:`CorrelationPanel` (float32).

    Computed one date at a time into the panel: memory is the panel itself (T x N(N-1)/2
    x 4 bytes) plus one N x N matrix, never the T x N x N stack of
    :func:`forward_realized_correlation`.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days per window.
    step : int, default 1
        Rows between dates.

    Returns
    -------
    CorrelationPanel
        Dates with a full forward window.
    """
    x = returns.to_numpy(dtype=float)
    n = x.shape[1]
    positions = np.arange(0, len(x) - horizon, step)
    i, j = np.triu_indices(n, 1)
    values = np.empty((len(positions), len(i)), dtype=PANEL_DTYPE)
    for k, p in enumerate(positions):
        c = np.corrcoef(x[p + 1 : p + 1 + horizon], rowvar=False)
        values[k] = np.nan_to_num(c[i, j], nan=0.0)
    dates = pd.DatetimeIndex(returns.index[positions])
    return CorrelationPanel(dates=dates, assets=[str(a) for a in returns.columns], values=values)
