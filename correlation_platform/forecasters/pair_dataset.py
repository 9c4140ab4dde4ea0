"""Pair-level design matrices for the ML forecasters (one row per date and asset pair).

Features at date t use returns and market features known at t's close only; the target is
the Fisher z of the correlation realised over t+1..t+h, so training rows are limited to
dates whose label window closed before the end of the training data. Market features are
min-max scaled on the training dates only (:class:`TrainWindowScaler`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.features.normalization import TrainWindowScaler
from correlation_platform.features.pairs import PAIR_WINDOWS, trailing_correlations
from correlation_platform.features.targets import forward_realized_correlation
from correlation_platform.linalg import fisher_z
from correlation_platform.units import TRADING_DAYS

VOL_WINDOW = 21
EWMA_DECAY = 0.97


@dataclass
class PairFeatureBuilder:
    """Builds pair features; ``fit`` learns the market-feature scaling on training rows.

    Parameters
    ----------
    market_columns : list of str, optional
        Market features used (set by ``fit``).
    scaler : TrainWindowScaler, optional
        Their scaling (set by ``fit``).
    """

    market_columns: list[str] | None = None
    scaler: TrainWindowScaler | None = None

    def fit(self, features: pd.DataFrame | None, train_end: pd.Timestamp) -> PairFeatureBuilder:
        """Learn the market features' scaling on rows up to ``train_end``.

        Parameters
        ----------
        features : pandas.DataFrame or None
            The feature panel.
        train_end : pandas.Timestamp
            Last row whose label is known at fit time.

        Returns
        -------
        PairFeatureBuilder
            ``self``, fitted.
        """
        if features is not None and features.shape[1]:
            self.market_columns = list(features.columns)
            self.scaler = TrainWindowScaler().fit(features[self.market_columns], train_end)
        return self

    @property
    def names(self) -> list[str]:
        """Feature names, in the order of the built array's last axis."""
        pair = [f"z_corr_{w}" for w in PAIR_WINDOWS] + ["z_corr_ewma", "vol_min", "vol_max"]
        return pair + [f"mkt_{c}" for c in (self.market_columns or [])]

    def build(
        self, returns: pd.DataFrame, features: pd.DataFrame | None, positions: np.ndarray
    ) -> np.ndarray:
        """Pair features at each position: trailing Fisher z, EWMA z, volatilities, market features.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns.
        features : pandas.DataFrame or None
            The feature panel.
        positions : numpy.ndarray
            As-of rows.

        Returns
        -------
        numpy.ndarray
            (len(positions), n_pairs, n_features).
        """
        x = returns.to_numpy(dtype=float)
        n = x.shape[1]
        iu = np.triu_indices(n, 1)
        blocks = []
        for w in PAIR_WINDOWS:
            blocks.append(_trailing_pair_z(x, positions, w, iu))
        blocks.append(_ewma_pair_z(x, positions, iu))
        vol = _trailing_vol(x, positions, VOL_WINDOW)
        blocks.append(np.minimum(vol[:, iu[0]], vol[:, iu[1]]))
        blocks.append(np.maximum(vol[:, iu[0]], vol[:, iu[1]]))
        out = np.stack(blocks, axis=2)
        if self.market_columns:
            if features is None:
                raise ValueError("fitted with market features: pass the feature panel")
            dates = returns.index[positions]
            mkt = self.scaler.transform(features[self.market_columns].reindex(dates)).to_numpy()
            out = np.concatenate([out, np.repeat(mkt[:, None, :], len(iu[0]), axis=1)], axis=2)
        return out


def _trailing_pair_z(x: np.ndarray, positions: np.ndarray, window: int, iu) -> np.ndarray:
    """Fisher z of trailing pair correlations; early dates use what exists (10 rows minimum)."""
    return fisher_z(trailing_correlations(x, positions, window, min_periods=10)[:, iu[0], iu[1]])


def _ewma_pair_z(x: np.ndarray, positions: np.ndarray, iu) -> np.ndarray:
    from scipy.signal import lfilter

    last = int(positions.max()) + 1
    outer = (x[:last, :, None] * x[:last, None, :])[:, iu[0], iu[1]]
    var = x[:last] ** 2
    lam = EWMA_DECAY
    cov = lfilter([1 - lam], [1, -lam], outer, axis=0)
    v = lfilter([1 - lam], [1, -lam], var, axis=0)
    rho = cov[positions] / np.sqrt(v[positions][:, iu[0]] * v[positions][:, iu[1]])
    return fisher_z(np.nan_to_num(rho))


def _trailing_vol(x: np.ndarray, positions: np.ndarray, window: int) -> np.ndarray:
    out = np.full((len(positions), x.shape[1]), np.nan)
    for k, p in enumerate(positions):
        lo = max(0, p - window + 1)
        out[k] = x[lo : p + 1].std(axis=0) * np.sqrt(TRADING_DAYS)
    return out


def training_positions(
    returns: pd.DataFrame, horizon: int, step: int, min_history: int
) -> np.ndarray:
    """Dates (as row positions) whose label window closes inside ``returns``.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int
        Days per label window.
    step : int
        Rows between training dates.
    min_history : int
        Rows before the first one.

    Returns
    -------
    numpy.ndarray
        The positions.
    """
    last = len(returns) - 1 - horizon
    if last < min_history:
        raise ValueError(
            f"need at least {min_history + horizon + 1} rows to train, got {len(returns)}"
        )
    return np.arange(last, min_history - 1, -step)[::-1]


def pair_targets(returns: pd.DataFrame, positions: np.ndarray, horizon: int) -> np.ndarray:
    """The Fisher z of each pair's realised correlation over the horizon after each position.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    positions : numpy.ndarray
        Training rows.
    horizon : int
        Days per label window.

    Returns
    -------
    numpy.ndarray
        (len(positions), N(N-1)/2) labels.
    """
    realized, _ = forward_realized_correlation(
        returns, horizon=horizon, dates=returns.index[positions]
    )
    iu = np.triu_indices(returns.shape[1], 1)
    return fisher_z(realized[:, iu[0], iu[1]])


def pairs_to_matrix(z_pairs: np.ndarray, n: int) -> np.ndarray:
    """Per-pair Fisher z back to correlation-like matrices (to be repaired).

    Parameters
    ----------
    z_pairs : numpy.ndarray
        (len, N(N-1)/2) predictions.
    n : int
        Assets.

    Returns
    -------
    numpy.ndarray
        (len, n, n) with a unit diagonal.
    """
    iu = np.triu_indices(n, 1)
    out = np.repeat(np.eye(n)[None], len(z_pairs), axis=0)
    rho = np.tanh(z_pairs)
    out[:, iu[0], iu[1]] = rho
    out[:, iu[1], iu[0]] = rho
    return out
