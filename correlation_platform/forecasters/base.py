"""The forecaster contract (DESIGN.md section 3), shared by every model family."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from correlation_platform.linalg import repair_correlation


class CorrelationForecaster(BaseEstimator):
    """Forecast the average correlation over the ``horizon`` days after the last row.

    Hyper-parameters are constructor arguments (scikit-learn style), so tuning and MLflow
    logging are generic. Subclasses implement :meth:`_raw_path`; the base class turns every
    raw matrix into a valid correlation matrix and records the pre-repair minimum
    eigenvalue in ``min_eigenvalues_before_``.
    """

    name: ClassVar[str] = "base"
    #: Gram-type estimators (sample, EWMA) are PSD by construction: the O(N^3) eigenvalue
    #: check is skipped and ``min_eigenvalues_before_`` is NaN, meaning "not computed".
    psd_by_construction: ClassVar[bool] = False
    #: Packages (beyond numpy, pandas, scipy, scikit-learn) needed to unpickle a fitted model.
    runtime_packages: ClassVar[tuple[str, ...]] = ()

    def fit(self, returns: pd.DataFrame, features: pd.DataFrame | None = None):
        self._check_returns(returns)
        self.assets_ = list(returns.columns)
        self.n_train_obs_ = len(returns)
        self.train_end_ = pd.Timestamp(returns.index[-1])
        return self

    def predict(
        self, returns: pd.DataFrame, features: pd.DataFrame | None = None, horizon: int = 21
    ) -> pd.DataFrame:
        path = self.predict_path(returns, features, dates=returns.index[-1:], horizon=horizon)
        return pd.DataFrame(path[0], index=returns.columns, columns=returns.columns)

    def predict_path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        dates: pd.Index | None = None,
        horizon: int = 21,
    ) -> np.ndarray:
        """Forecasts as of each date in ``dates`` (each uses rows up to that date only)."""
        self._check_fitted(returns)
        trained_for = getattr(self, "horizon", None)
        if trained_for is not None and trained_for != horizon:
            raise ValueError(
                f"{self.name} was trained for a {trained_for}-day horizon, asked for {horizon}"
            )
        index = pd.DatetimeIndex(returns.index)
        dates = index if dates is None else pd.DatetimeIndex(dates)
        positions = index.get_indexer(dates)
        if np.any(positions < 0):
            missing = dates[positions < 0][0]
            raise ValueError(f"date {missing.date()} is not in the returns index")
        raw = self._path(returns, features, positions, horizon)
        if self.psd_by_construction:
            self.min_eigenvalues_before_ = np.full(len(raw), np.nan)
            return _unit_diagonal_in_place(raw)
        lams = np.empty(len(raw))
        for k, m in enumerate(raw):
            rep = repair_correlation(m)
            raw[k], lams[k] = rep.matrix, rep.min_eigenvalue_before
        self.min_eigenvalues_before_ = lams
        return raw

    def _path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None,
        positions: np.ndarray,
        horizon: int,
    ) -> np.ndarray:
        """Raw (unrepaired) forecasts at row ``positions``; models needing frames override this."""
        return self._raw_path(returns.to_numpy(dtype=float), positions, horizon)

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _check_returns(returns: pd.DataFrame) -> None:
        if returns.shape[1] < 2:
            raise ValueError("need at least two assets to forecast a correlation matrix")
        if not np.all(np.isfinite(returns.to_numpy(dtype=float))):
            bad = returns.columns[~np.isfinite(returns.to_numpy(dtype=float)).all(axis=0)][0]
            raise ValueError(
                f"returns contain NaN or inf (first bad column {bad!r}); clean them first"
            )

    def _check_fitted(self, returns: pd.DataFrame) -> None:
        if not hasattr(self, "assets_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")
        if list(returns.columns) != self.assets_:
            raise ValueError(
                f"returns columns {list(returns.columns)} differ from the fitted assets {self.assets_}"
            )
        self._check_returns(returns)

    @staticmethod
    def _need_history(position: int, needed: int, what: str) -> None:
        if position + 1 < needed:
            raise ValueError(
                f"{what} needs {needed} observations, only {position + 1} before this date"
            )


def _unit_diagonal_in_place(mats: np.ndarray) -> np.ndarray:
    """Clip to [-1, 1] and set the unit diagonal, without copying the stack.

    Only for estimators whose matrices are symmetric by construction (D^-1 S D^-1 with S
    a Gram matrix), so the O(N^2) transpose pass of a symmetrisation is not needed.
    """
    n = mats.shape[1]
    for m in mats:
        np.clip(m, -1.0, 1.0, out=m)
    mats[:, np.arange(n), np.arange(n)] = 1.0
    return mats
