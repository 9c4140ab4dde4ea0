"""The forecaster contract (DESIGN.md section 3), shared by every model family."""

from __future__ import annotations

import abc
import inspect
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from correlation_platform.linalg import repair_correlation
from correlation_platform.params import Constraint, validate_params

#: Dates per call of a non-streaming family's batch path inside :meth:`iter_path`.
PATH_CHUNK = 64


class PathForecast(NamedTuple):
    """One forecast of :meth:`CorrelationForecaster.iter_path`.

    Attributes
    ----------
    date : pandas.Timestamp
        The forecast's as-of date (the last row it used).
    correlation : numpy.ndarray
        The repaired N x N correlation forecast.
    min_eigenvalue_before : float
        Minimum eigenvalue before the repair; NaN where the family is PSD by construction.
    """

    date: pd.Timestamp
    correlation: np.ndarray
    #: Minimum eigenvalue before repair; NaN where the family is PSD by construction.
    min_eigenvalue_before: float


class CorrelationForecaster(BaseEstimator, abc.ABC):
    """Forecast the average correlation over the ``horizon`` days after the last row.

    Hyper-parameters are constructor arguments (scikit-learn style) and only those: data
    (returns, the feature panel, the sector tree) goes to :meth:`fit`, so
    ``sklearn.base.clone(f).set_params(**p)`` tunes every family and MLflow logs
    ``get_params()`` as they are. Each family declares its parameters' accepted ranges in
    ``PARAMETERS``; :meth:`fit` checks them before any work.

    Subclasses implement :meth:`_path` (families learning from features), or derive from
    :class:`ArrayForecaster` (``_raw_path`` on the returns array) or
    :class:`RecursiveForecaster` (``_stream``, one pass over history); the base class turns
    every raw matrix into a valid correlation matrix.

    Attributes
    ----------
    assets_ : list of str
        The fitted assets, in column order.
    n_train_obs_ : int
        Rows seen by :meth:`fit`.
    train_end_ : pandas.Timestamp
        Date of the last fitted row.
    min_eigenvalues_before_ : numpy.ndarray
        Minimum eigenvalue of each raw forecast of the last :meth:`predict_path` before
        its repair (NaN where the family is PSD by construction).
    """

    name: ClassVar[str] = "base"
    #: Gram-type estimators (sample, EWMA) are PSD by construction: the O(N^3) eigenvalue
    #: check is skipped and ``min_eigenvalues_before_`` is NaN, meaning "not computed".
    psd_by_construction: ClassVar[bool] = False
    #: Whether a refit on more history changes later forecasts. False for the families
    #: whose fit only records the assets (every forecast reads its own trailing rows), so a
    #: walk-forward backtest fits them once and streams one path instead of refitting.
    refit_changes_path: ClassVar[bool] = True
    #: Packages (beyond numpy, pandas, scipy, scikit-learn) needed to unpickle a fitted model.
    runtime_packages: ClassVar[tuple[str, ...]] = ()
    #: Constructor argument -> accepted values, checked at :meth:`fit`.
    PARAMETERS: ClassVar[Mapping[str, Constraint | tuple[Constraint, ...]]] = {}

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving a model pickled before a hyper-parameter existed its default.

        A champion stored in MLflow by an older version must still ``get_params`` and
        ``clone`` (point-in-time refits do both); the default is what that version used.
        """
        super().__setstate__(state)
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name != "self" and name not in self.__dict__ and param.default is not param.empty:
                setattr(self, name, param.default)

    def fit(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        tree: pd.DataFrame | None = None,
    ) -> CorrelationForecaster:
        """Check the hyper-parameters and the data, and learn what the family needs.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns (dates x assets), finite, at least two assets.
        features : pandas.DataFrame, optional
            The feature panel (dates x indicators); used by the families that learn from
            features, ignored by the others.
        tree : pandas.DataFrame, optional
            Asset -> group levels from leaves to root (e.g. sector, market); used by
            families built on a theory of the assets' relations (``tic``), ignored by
            the others.

        Returns
        -------
        CorrelationForecaster
            ``self``, fitted.
        """
        validate_params(self.name, self.get_params(), self.PARAMETERS)
        self._check_returns(returns)
        spread = returns.std().to_numpy(dtype=float)
        flat = list(returns.columns[~(spread > 0)])
        if flat:
            raise ValueError(
                f"{self.name}: assets {flat} have zero variance over the {len(returns)} fit "
                "rows (a frozen price or all-zero returns): their correlation is undefined; "
                "drop them or fix the prices"
            )
        self.assets_ = list(returns.columns)
        self.n_train_obs_ = len(returns)
        self.train_end_ = pd.Timestamp(returns.index[-1])
        return self

    def rows_needed(self) -> int:
        """Rows of history a forecast needs, counting its own date (1 by default).

        Returns
        -------
        int
            The earliest forecast is as of row ``rows_needed() - 1``.
        """
        return 1

    def predict(
        self, returns: pd.DataFrame, features: pd.DataFrame | None = None, *, horizon: int = 21
    ) -> pd.DataFrame:
        """The forecast as of the last row of ``returns``.

        Parameters
        ----------
        returns : pandas.DataFrame
            Returns up to the as-of date, with the fitted assets as columns.
        features : pandas.DataFrame, optional
            The feature panel, for the families that learn from it.
        horizon : int, default 21
            Days the forecast averages over; must match a horizon the family was trained
            for, where it has one.

        Returns
        -------
        pandas.DataFrame
            The N x N correlation forecast, labelled by asset.
        """
        path = self.predict_path(returns, features, dates=returns.index[-1:], horizon=horizon)
        return pd.DataFrame(path[0], index=returns.columns, columns=returns.columns)

    def predict_path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        dates: pd.Index | None = None,
        horizon: int = 21,
    ) -> np.ndarray:
        """Forecasts as of each date in ``dates`` (each uses rows up to that date only).

        Holds every forecast at once (len(dates) x N x N floats); for long paths of many
        assets stream them with :meth:`iter_path` instead.

        Parameters
        ----------
        returns : pandas.DataFrame
            Returns covering every date of ``dates`` and the history before them.
        features : pandas.DataFrame, optional
            The feature panel, for the families that learn from it.
        dates : pandas.Index, optional
            As-of dates (default every row of ``returns``).
        horizon : int, default 21
            Days each forecast averages over.

        Returns
        -------
        numpy.ndarray
            ``len(dates) x N x N`` repaired correlation forecasts.
        """
        positions = self._positions(returns, dates, horizon)
        raw = self._path(returns, features, positions, horizon)
        lams = np.empty(len(raw))
        for k, m in enumerate(raw):
            lams[k] = self._finish(m)
        self.min_eigenvalues_before_ = lams
        return raw

    def iter_path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        dates: pd.Index | None = None,
        horizon: int = 21,
    ) -> Iterator[PathForecast]:
        """The forecasts of :meth:`predict_path`, one date at a time, in date order.

        Memory stays at a few N x N matrices whatever the path length (500 assets x 2,500
        dates would be 5 GB as one array). Each yielded matrix is a new array, so keeping
        some of them is safe.

        Parameters
        ----------
        returns : pandas.DataFrame
            Returns covering every date of ``dates`` and the history before them.
        features : pandas.DataFrame, optional
            The feature panel, for the families that learn from it.
        dates : pandas.Index, optional
            Strictly increasing as-of dates (default every row of ``returns``).
        horizon : int, default 21
            Days each forecast averages over.

        Yields
        ------
        PathForecast
            One repaired forecast per date.
        """
        positions = self._positions(returns, dates, horizon)
        if np.any(np.diff(positions) <= 0):
            raise ValueError("iter_path needs strictly increasing dates")
        index = returns.index
        raw = self._iter_raw_path(returns, features, positions, horizon)
        for p, m in zip(positions, raw, strict=True):
            lam = self._finish(m)
            yield PathForecast(
                date=pd.Timestamp(index[p]), correlation=m, min_eigenvalue_before=lam
            )

    def _positions(self, returns: pd.DataFrame, dates: pd.Index | None, horizon: int) -> np.ndarray:
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
            raise ValueError(f"horizon must be a whole number of days >= 1, got {horizon!r}")
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
        return positions

    def _finish(self, m: np.ndarray) -> float:
        """Make ``m`` a valid correlation matrix in place; the pre-repair minimum eigenvalue."""
        if self.psd_by_construction:
            _unit_diagonal_in_place(m)
            return float("nan")
        rep = repair_correlation(m)
        m[...] = rep.matrix
        return rep.min_eigenvalue_before

    def _iter_raw_path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None,
        positions: np.ndarray,
        horizon: int,
    ) -> Iterator[np.ndarray]:
        """Raw forecasts at increasing ``positions``, one at a time.

        Streaming families override this, the others run their batch path on chunks
        of ``PATH_CHUNK`` dates.
        """
        for start in range(0, len(positions), PATH_CHUNK):
            yield from self._path(returns, features, positions[start : start + PATH_CHUNK], horizon)

    @abc.abstractmethod
    def _path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None,
        positions: np.ndarray,
        horizon: int,
    ) -> np.ndarray:
        """Raw (unrepaired) forecasts at row ``positions`` of ``returns``.

        Parameters
        ----------
        returns : pandas.DataFrame
            Returns, dates x the fitted assets.
        features : pandas.DataFrame or None
            The feature panel, for the families that learn from it.
        positions : numpy.ndarray
            Row indices of the as-of dates (each forecast may use rows up to its own only).
        horizon : int
            Days each forecast averages over.

        Returns
        -------
        numpy.ndarray
            ``len(positions) x N x N`` matrices, symmetric with a unit diagonal up to
            rounding; the base class repairs them.
        """

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


def _unit_diagonal_in_place(m: np.ndarray) -> None:
    """Clip to [-1, 1] and set the unit diagonal of one matrix, without copying.

    Only for estimators whose matrices are symmetric by construction (D^-1 S D^-1 with S
    a Gram matrix), so the O(N^2) transpose pass of a symmetrisation is not needed.
    """
    np.clip(m, -1.0, 1.0, out=m)
    np.fill_diagonal(m, 1.0)


class ArrayForecaster(CorrelationForecaster):
    """A family whose forecasts need only the returns as one array (no features, no labels).

    Subclasses implement :meth:`_raw_path`.
    """

    def _path(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None,
        positions: np.ndarray,
        horizon: int,
    ) -> np.ndarray:
        return self._raw_path(returns.to_numpy(dtype=float), positions, horizon)

    @abc.abstractmethod
    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        """Raw (unrepaired) forecasts at row ``positions`` of the returns array ``x``.

        Parameters
        ----------
        x : numpy.ndarray
            Returns, T x N.
        positions : numpy.ndarray
            Row indices of the as-of dates (each forecast may use rows up to its own only).
        horizon : int
            Days each forecast averages over.

        Returns
        -------
        numpy.ndarray
            ``len(positions) x N x N`` matrices, symmetric with a unit diagonal up to
            rounding; the base class repairs them.
        """


class RecursiveForecaster(ArrayForecaster):
    """A family whose whole path is one pass of a recursion over history.

    Sample window, EWMA and DCC implement :meth:`_stream`, which writes each date's matrix
    into the next array of ``slots``; the batch path fills one preallocated stack and the
    streaming path fresh matrices.
    """

    @abc.abstractmethod
    def _stream(
        self, x: np.ndarray, positions: np.ndarray, horizon: int, slots: Iterable[np.ndarray]
    ) -> Iterator[np.ndarray]:
        """Yield each slot once it holds the raw forecast at the next position.

        Parameters
        ----------
        x : numpy.ndarray
            Returns, T x N.
        positions : numpy.ndarray
            Non-decreasing row indices of the as-of dates.
        horizon : int
            Days each forecast averages over.
        slots : iterable of numpy.ndarray
            N x N arrays to write the forecasts into, one per position.

        Yields
        ------
        numpy.ndarray
            The slot just written.
        """

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        order = np.argsort(positions, kind="stable")
        for _ in self._stream(x, positions[order], horizon, (out[k] for k in order)):
            pass
        return out

    def _iter_raw_path(self, returns, features, positions, horizon) -> Iterator[np.ndarray]:
        x = returns.to_numpy(dtype=float)
        n = x.shape[1]
        return self._stream(x, positions, horizon, (np.empty((n, n)) for _ in positions))
