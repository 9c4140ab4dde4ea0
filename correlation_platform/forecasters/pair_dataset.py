"""Pair-level design matrices for the ML forecasters (one row per date and asset pair).

Features at date t use returns and market features known at t's close only; the target is
the Fisher z of the correlation realised over t+1..t+h, so training rows are limited to
dates whose label window closed before the end of the training data. Market features are
min-max scaled on the training dates only (:class:`TrainWindowScaler`).
"""

from __future__ import annotations

from collections.abc import Callable
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
#: Floats a block of intermediate N x N matrices may hold at once (256 MB in float64):
#: dates are processed in chunks so that chunk x N^2 stays below it, which keeps a
#: 500-asset build at a few hundred MB instead of len(dates) x N^2 (1 GB per 500 dates).
MATRIX_BUDGET = 2**25
#: Default pairs the ML families train on: 5,000 pairs x ~480 weekly dates x ~30
#: features is ~0.6 GB in float64; 124,750 pairs (500 assets) would be 14 GB.
MAX_PAIRS = 5_000
#: Quantile bins of the pairs' correlation over the training rows that a pair sample is
#: stratified over: high- and low-correlation pairs stay represented in proportion.
SAMPLE_STRATA = 10

Pairs = tuple[np.ndarray, np.ndarray]


def all_pairs(n: int) -> Pairs:
    """Every asset pair (i < j) in the order of ``np.triu_indices(n, 1)``.

    Parameters
    ----------
    n : int
        Assets.

    Returns
    -------
    tuple of numpy.ndarray
        Row and column indices.
    """
    return np.triu_indices(n, 1)


def sample_pairs(x: np.ndarray, max_pairs: int, *, seed: int) -> Pairs:
    """A deterministic sample of ``max_pairs`` pairs, stratified by their correlation.

    The pairs are binned into ``SAMPLE_STRATA`` quantile bins of their sample correlation
    over the rows of ``x`` (the training rows); each bin gives its share of the sample,
    drawn without replacement with ``seed``. All pairs when there are no more than
    ``max_pairs``.

    Parameters
    ----------
    x : numpy.ndarray
        Training returns, T x N.
    max_pairs : int
        Pairs wanted.
    seed : int
        Random seed.

    Returns
    -------
    tuple of numpy.ndarray
        Row and column indices, in ``all_pairs`` order.
    """
    iu = all_pairs(x.shape[1])
    n_pairs = len(iu[0])
    if n_pairs <= max_pairs:
        return iu
    corr = np.nan_to_num(np.corrcoef(x, rowvar=False)[iu])
    edges = np.quantile(corr, np.linspace(0, 1, SAMPLE_STRATA + 1)[1:-1])
    stratum = np.searchsorted(edges, corr, side="right")
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(stratum == k) for k in range(SAMPLE_STRATA)]
    quota = np.floor([max_pairs * len(m) / n_pairs for m in members]).astype(int)
    # Largest remainders get the pairs the floors left over, so the sample has max_pairs.
    short = max_pairs - quota.sum()
    remainders = [max_pairs * len(m) / n_pairs - q for m, q in zip(members, quota, strict=True)]
    quota[np.argsort(remainders, kind="stable")[::-1][:short]] += 1
    chosen = np.concatenate(
        [rng.choice(m, size=q, replace=False) for m, q in zip(members, quota, strict=True)]
    )
    chosen.sort()
    return iu[0][chosen], iu[1][chosen]


def by_chunks(
    positions: np.ndarray,
    width: int,
    floats_each: int,
    compute: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Rows ``compute(chunk)`` for consecutive chunks of ``positions``, in one array.

    Each chunk holds as many positions as fit ``MATRIX_BUDGET`` floats of intermediate
    work (at least one), so the memory is the result's plus one chunk's.

    Parameters
    ----------
    positions : numpy.ndarray
        Rows to process, in the order of the result.
    width : int
        Columns of the result (e.g. pairs).
    floats_each : int
        Floats of intermediate work one position needs (e.g. N^2, pairs x features).
    compute : callable
        ``compute(chunk) -> (len(chunk), width)`` array.

    Returns
    -------
    numpy.ndarray
        (len(positions), width).
    """
    out = np.empty((len(positions), width))
    size = max(1, MATRIX_BUDGET // max(1, floats_each))
    for start in range(0, len(positions), size):
        out[start : start + size] = compute(positions[start : start + size])
    return out


#: Families a feature-learning model can stack on (``base``): it then learns the
#: correction, in Fisher z, to that family's forecast. "none" learns the level itself.
BASE_FAMILIES = ("none", "ewma", "dcc", "historical")


@dataclass
class PairFeatureBuilder:
    """Builds pair features; ``fit`` learns the market-feature scaling on training rows.

    Parameters
    ----------
    n_components : int, optional
        Principal components of the scaled market features to keep instead of the
        features themselves (fitted on the training rows only, like the scaling).
    base : CorrelationForecaster, optional
        A fitted family whose forecast (Fisher z of each pair) becomes one more pair
        feature, ``z_base``, for models that learn the correction to it.
    horizon : int, default 21
        Days of the base family's forecasts.
    market_columns : list of str, optional
        Market features used (set by ``fit``).
    scaler : TrainWindowScaler, optional
        Their scaling (set by ``fit``).
    """

    n_components: int | None = None
    base: object | None = None
    horizon: int = 21
    market_columns: list[str] | None = None
    scaler: TrainWindowScaler | None = None

    def fit(self, features: pd.DataFrame | None, train_end: pd.Timestamp) -> PairFeatureBuilder:
        """Learn the market features' scaling (and PCA) on rows up to ``train_end``.

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
            if self.n_components is not None and self.n_components > len(self.market_columns):
                raise ValueError(
                    f"n_components={self.n_components} exceeds the {len(self.market_columns)} "
                    "market features"
                )
            self.scaler = TrainWindowScaler(n_components=self.n_components).fit(
                features[self.market_columns], train_end
            )
        return self

    @property
    def market_names(self) -> list[str]:
        """Names of the market block's columns: the features, or ``pc1..pcK`` with PCA."""
        if not self.market_columns:
            return []
        if getattr(self, "n_components", None):
            return [f"pc{k + 1}" for k in range(self.n_components)]
        return list(self.market_columns)

    @property
    def names(self) -> list[str]:
        """Feature names, in the order of the built array's last axis."""
        pair = [f"z_corr_{w}" for w in PAIR_WINDOWS] + ["z_corr_ewma", "vol_min", "vol_max"]
        if getattr(self, "base", None) is not None:
            pair.append("z_base")
        return pair + [f"mkt_{c}" for c in self.market_names]

    @property
    def base_column(self) -> int | None:
        """Index of ``z_base`` on the built array's last axis (None without a base)."""
        return self.names.index("z_base") if getattr(self, "base", None) is not None else None

    def raw_market(self, features: pd.DataFrame | None, dates: pd.Index) -> pd.DataFrame:
        """The fitted market features as the caller gave them, one row per date.

        Parameters
        ----------
        features : pandas.DataFrame or None
            The feature panel (the fitted columns at least).
        dates : pandas.Index
            Dates wanted, repeats allowed (rows of the panel; missing ones are NaN).

        Returns
        -------
        pandas.DataFrame
            ``len(dates)`` rows on a range index, the fitted columns.
        """
        columns = self.market_columns or []
        if not columns:
            return pd.DataFrame(index=range(len(dates)))
        if features is None:
            raise ValueError("fitted with market features: pass the feature panel")
        return features[columns].reindex(dates).reset_index(drop=True)

    def scale_market(self, raw: pd.DataFrame) -> np.ndarray:
        """Raw market features as the model reads them: scaled, projected with PCA.

        Parameters
        ----------
        raw : pandas.DataFrame
            From :meth:`raw_market` (possibly altered, e.g. one column shuffled).

        Returns
        -------
        numpy.ndarray
            (len(raw), K), K = ``len(market_names)``.
        """
        return self.scaler.transform(raw).to_numpy()

    def market_block(self, features: pd.DataFrame, dates: pd.Index) -> np.ndarray:
        """The scaled (or projected) market features at ``dates``, (len(dates), K).

        Parameters
        ----------
        features : pandas.DataFrame
            The feature panel (the fitted columns at least).
        dates : pandas.Index
            Dates wanted (rows of the panel; missing ones are NaN).

        Returns
        -------
        numpy.ndarray
            One row per date.
        """
        return self.scale_market(self.raw_market(features, dates))

    def build(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None,
        positions: np.ndarray,
        *,
        pairs: Pairs | None = None,
    ) -> np.ndarray:
        """Pair features at each position: trailing Fisher z, EWMA z, volatilities, market features.

        Intermediate N x N matrices are built ``MATRIX_BUDGET`` floats at a time, so the
        memory is that of the result.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns.
        features : pandas.DataFrame or None
            The feature panel.
        positions : numpy.ndarray
            As-of rows.
        pairs : tuple of numpy.ndarray, optional
            The pairs wanted (default :func:`all_pairs`).

        Returns
        -------
        numpy.ndarray
            (len(positions), n_pairs, n_features).
        """
        x = returns.to_numpy(dtype=float)
        n = x.shape[1]
        iu = all_pairs(n) if pairs is None else pairs
        blocks = []
        for w in PAIR_WINDOWS:
            blocks.append(_trailing_pair_z(x, positions, w, iu))
        blocks.append(_ewma_pair_z(x, positions, iu))
        vol = _trailing_vol(x, positions, VOL_WINDOW)
        blocks.append(np.minimum(vol[:, iu[0]], vol[:, iu[1]]))
        blocks.append(np.maximum(vol[:, iu[0]], vol[:, iu[1]]))
        if getattr(self, "base", None) is not None:
            # Before the base can forecast (its window), the pair's 63-day z stands in.
            blocks.append(base_pair_z(self.base, returns, positions, iu, self.horizon, blocks[1]))
        out = np.stack(blocks, axis=2)
        if self.market_columns:
            mkt = self.market_block(features, returns.index[positions])
            out = np.concatenate([out, np.repeat(mkt[:, None, :], len(iu[0]), axis=1)], axis=2)
        return out


def fit_builder(
    returns: pd.DataFrame,
    features: pd.DataFrame | None,
    train_end: pd.Timestamp,
    *,
    base: str,
    n_components: int | None,
    horizon: int,
) -> PairFeatureBuilder:
    """The feature builder of a model fitted on ``returns`` (its training window).

    The base family (``base`` other than "none") is fitted on these rows only, with its
    default hyper-parameters; the scaling and PCA of the market features on rows up to
    ``train_end`` only.

    Parameters
    ----------
    returns : pandas.DataFrame
        The training window's returns.
    features : pandas.DataFrame or None
        The feature panel.
    train_end : pandas.Timestamp
        Last row whose label is known at fit time.
    base : str
        One of :data:`BASE_FAMILIES`.
    n_components : int or None
        Principal components of the market features (None: the features themselves).
    horizon : int
        Days of the label (and of the base family's forecasts).

    Returns
    -------
    PairFeatureBuilder
        Fitted.
    """
    from correlation_platform.forecasters import get_forecaster  # the registry imports us

    fitted_base = None if base == "none" else get_forecaster(base).fit(returns)
    return PairFeatureBuilder(n_components=n_components, base=fitted_base, horizon=horizon).fit(
        features, train_end
    )


def base_pair_z(
    base,
    returns: pd.DataFrame,
    positions: np.ndarray,
    iu: Pairs,
    horizon: int,
    fallback: np.ndarray,
) -> np.ndarray:
    """Fisher z of a fitted family's forecast of each pair, as of each position.

    The family streams its path once over the distinct positions (each forecast uses
    rows up to its own date only), one N x N matrix at a time. Positions before the
    family has the history it needs (:meth:`CorrelationForecaster.rows_needed`) take
    ``fallback`` instead.

    Parameters
    ----------
    base : CorrelationForecaster
        The fitted family.
    returns : pandas.DataFrame
        Daily returns (its fitted assets).
    positions : numpy.ndarray
        As-of rows, in any order, repeats allowed.
    iu : tuple of numpy.ndarray
        The pairs wanted.
    horizon : int
        Days of its forecasts.
    fallback : numpy.ndarray
        (len(positions), n_pairs) values where it cannot forecast yet.

    Returns
    -------
    numpy.ndarray
        (len(positions), n_pairs).
    """
    out = np.array(fallback, dtype=float, copy=True)
    unique = np.unique(positions)
    unique = unique[unique + 1 >= base.rows_needed()]
    if len(unique) == 0:
        return out
    at = {}
    for forecast in base.iter_path(returns, dates=returns.index[unique], horizon=horizon):
        at[int(returns.index.get_loc(forecast.date))] = fisher_z(forecast.correlation[iu[0], iu[1]])
    for k, p in enumerate(positions):
        row = at.get(int(p))
        if row is not None:
            out[k] = row
    return out


def _trailing_pair_z(x: np.ndarray, positions: np.ndarray, window: int, iu) -> np.ndarray:
    """Fisher z of trailing pair correlations; early dates use what exists (10 rows minimum)."""

    def compute(chunk: np.ndarray) -> np.ndarray:
        corr = trailing_correlations(x, chunk, window, min_periods=10)
        return fisher_z(corr[:, iu[0], iu[1]])

    return by_chunks(positions, len(iu[0]), x.shape[1] ** 2, compute)


def _ewma_pair_z(x: np.ndarray, positions: np.ndarray, iu) -> np.ndarray:
    from scipy.signal import lfilter

    last = int(positions.max()) + 1
    lam = EWMA_DECAY
    v = lfilter([1 - lam], [1, -lam], x[:last] ** 2, axis=0)
    cov = np.empty((len(positions), len(iu[0])))
    # The filter runs over blocks of pairs (each a T x block array), so its memory is
    # bounded by the budget, not T x N(N-1)/2 (2.5 GB at 500 assets and 2,500 days).
    block = max(1, MATRIX_BUDGET // last)
    for lo in range(0, len(iu[0]), block):
        i, j = iu[0][lo : lo + block], iu[1][lo : lo + block]
        filtered = lfilter([1 - lam], [1, -lam], x[:last, i] * x[:last, j], axis=0)
        cov[:, lo : lo + block] = filtered[positions]
    rho = cov / np.sqrt(v[positions][:, iu[0]] * v[positions][:, iu[1]])
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


def pair_targets(
    returns: pd.DataFrame,
    positions: np.ndarray,
    horizon: int,
    *,
    pairs: Pairs | None = None,
) -> np.ndarray:
    """The Fisher z of each pair's realised correlation over the horizon after each position.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    positions : numpy.ndarray
        Training rows (label windows closed).
    horizon : int
        Days per label window.
    pairs : tuple of numpy.ndarray, optional
        The pairs wanted (default :func:`all_pairs`).

    Returns
    -------
    numpy.ndarray
        (len(positions), n_pairs) labels.
    """
    iu = all_pairs(returns.shape[1]) if pairs is None else pairs

    def compute(chunk: np.ndarray) -> np.ndarray:
        realized, _ = forward_realized_correlation(
            returns, horizon=horizon, dates=returns.index[chunk]
        )
        return fisher_z(realized[:, iu[0], iu[1]])

    return by_chunks(positions, len(iu[0]), returns.shape[1] ** 2, compute)


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
