"""What drives a feature-learning forecast: permutation importance and partial dependence.

For the families that learn from pair features and market features (``gbm``, ``lstm``):

- :meth:`PairExplainer.feature_importances`: on held-out dates before ``as_of`` (the last
  ones whose label windows have closed by then, which the fit never saw when the model was
  trained earlier), the rise in the Fisher-z mean squared error of the predicted pair
  correlations when one market feature's values are shuffled across those dates, or when
  the pair features (trailing and EWMA correlations, volatilities) are shuffled together,
  each pair on its own. Reported under the caller's feature names; deterministic given
  ``random_state``; nothing after ``as_of`` is read.
- :meth:`PairExplainer.partial_dependence`: the predicted average correlation as of
  ``as_of`` while one feature is set to each point of a grid across its observed range
  (quantiles up to ``as_of``), every other input at its actual values.

References
----------
L. Breiman (2001), "Random forests", Machine Learning 45 (permutation importance);
J. Friedman (2001), "Greedy function approximation: a gradient boosting machine",
Annals of Statistics 29 (partial dependence).
"""

from __future__ import annotations

import abc

import numpy as np
import pandas as pd

from correlation_platform.forecasters.pair_dataset import pair_targets

#: Name under which the pair features (trailing and EWMA correlations, volatilities)
#: are reported, as one group.
PAIR_GROUP = "pair features (trailing/EWMA correlation, volatilities)"
#: Held-out dates by default: about a year of monthly rebalances at step 5.
HELD_OUT_DATES = 50
#: Shuffles per feature by default.
N_REPEATS = 5
#: Grid points of a partial-dependence curve by default (5th to 95th percentile).
GRID_POINTS = 9


class PairExplainer(abc.ABC):
    """Explanations for forecasters fitted on :class:`~.pair_dataset.PairFeatureBuilder` inputs."""

    @abc.abstractmethod
    def _input_rows(self, positions: np.ndarray) -> np.ndarray:
        """The rows to build features at for forecasts as of ``positions`` (flat).

        Parameters
        ----------
        positions : numpy.ndarray
            As-of rows.

        Returns
        -------
        numpy.ndarray
            Rows for :meth:`PairFeatureBuilder.build`, as :meth:`_predict_built` reads them.
        """

    @abc.abstractmethod
    def _predict_built(self, built: np.ndarray, n_dates: int) -> np.ndarray:
        """Predicted Fisher z from features built at :meth:`_input_rows`.

        Parameters
        ----------
        built : numpy.ndarray
            (rows, pairs, features).
        n_dates : int
            The number of as-of dates they serve.

        Returns
        -------
        numpy.ndarray
            (n_dates, pairs).
        """

    def _held_out(self, returns: pd.DataFrame, as_of: int, held_out: int) -> np.ndarray:
        last = as_of - self.horizon
        positions = np.arange(last, last - held_out * self.step, -self.step)[::-1]
        positions = positions[positions >= 0]
        if len(positions) < 2:
            raise ValueError(
                f"feature_importances needs labelled dates before as_of: {as_of + 1} rows "
                f"leave {len(positions)} with horizon={self.horizon}; pass more history"
            )
        return positions

    def feature_importances(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        as_of: pd.Timestamp | str | None = None,
        held_out: int = HELD_OUT_DATES,
        n_repeats: int = N_REPEATS,
        random_state: int = 0,
    ) -> pd.Series:
        """Permutation importance of each market feature and of the pair features.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns of the fitted assets.
        features : pandas.DataFrame, optional
            The feature panel the model was fitted with.
        as_of : pandas.Timestamp or str, optional
            The explained date (default: the last row); later rows are ignored.
        held_out : int, default HELD_OUT_DATES
            Dates scored: the last ones (``step`` apart) whose labels close by ``as_of``.
        n_repeats : int, default N_REPEATS
            Shuffles per feature, averaged.
        random_state : int, default 0
            Seed of the shuffles.

        Returns
        -------
        pandas.Series
            Rise in mean squared error (Fisher z) per feature, largest first; index = the
            caller's feature names and :data:`PAIR_GROUP`.
        """
        returns, features, row = _until(returns, features, as_of)
        positions = self._held_out(returns, row, held_out)
        pairs = self.pairs_
        labels = pair_targets(returns, positions, self.horizon, pairs=pairs)
        built = self.builder_.build(returns, features, self._input_rows(positions), pairs=pairs)
        ok = np.isfinite(labels)

        def loss(x: np.ndarray) -> float:
            z = self._predict_built(x, len(positions))
            return float(np.mean((z[ok] - labels[ok]) ** 2))

        base = loss(built)
        rng = np.random.default_rng(random_state)
        names = self.builder_.names
        n_pair_cols = len(names) - len(self.builder_.market_columns or [])
        out = {}
        rows, n_pairs = built.shape[0], built.shape[1]
        for label, cols in [
            (PAIR_GROUP, list(range(n_pair_cols))),
            *[(c, [n_pair_cols + k]) for k, c in enumerate(self.builder_.market_columns or [])],
        ]:
            rises = []
            for _ in range(n_repeats):
                shuffled = built.copy()
                if label == PAIR_GROUP:  # each pair's features shuffled across dates
                    order = rng.permuted(np.tile(np.arange(rows)[:, None], (1, n_pairs)), axis=0)
                    shuffled[:, :, cols] = built[order, np.arange(n_pairs)[None, :]][:, :, cols]
                else:  # a market feature is one value per date: shuffle the dates
                    shuffled[:, :, cols] = built[rng.permutation(rows)][:, :, cols]
                rises.append(loss(shuffled) - base)
            out[label] = float(np.mean(rises))
        return pd.Series(out, name="importance").sort_values(ascending=False)

    def partial_dependence(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame,
        *,
        feature: str,
        as_of: pd.Timestamp | str | None = None,
        grid: np.ndarray | None = None,
    ) -> pd.Series:
        """The predicted average correlation as ``feature`` moves across its range.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns of the fitted assets.
        features : pandas.DataFrame
            The feature panel the model was fitted with.
        feature : str
            One of its columns.
        as_of : pandas.Timestamp or str, optional
            The forecast date (default: the last row); later rows are ignored.
        grid : numpy.ndarray, optional
            Values to set (default: GRID_POINTS quantiles, 5% to 95%, of the feature up
            to ``as_of``).

        Returns
        -------
        pandas.Series
            Average pairwise predicted correlation, indexed by the feature's value.
        """
        if feature not in (self.builder_.market_columns or []):
            raise ValueError(
                f"{feature!r} is not a market feature of this model; it has "
                f"{self.builder_.market_columns or []}"
            )
        returns, features, _ = _until(returns, features, as_of)
        if grid is None:
            grid = np.nanquantile(features[feature], np.linspace(0.05, 0.95, GRID_POINTS))
        n = returns.shape[1]
        off = ~np.eye(n, dtype=bool)
        values = []
        for v in grid:
            moved = features.copy()
            moved[feature] = v
            corr = self.predict_path(returns, moved, dates=returns.index[-1:], horizon=self.horizon)
            values.append(float(corr[0][off].mean()))
        return pd.Series(values, index=pd.Index(grid, name=feature), name="average correlation")


def _until(
    returns: pd.DataFrame, features: pd.DataFrame | None, as_of
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """Rows up to ``as_of`` (the last by default) and its position."""
    if as_of is not None:
        returns = returns.loc[: pd.Timestamp(as_of)]
        if features is not None:
            features = features.loc[: pd.Timestamp(as_of)]
    return returns, features, len(returns) - 1
