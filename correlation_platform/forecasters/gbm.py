"""Gradient boosting on pair and market features, one model shared by every pair.

Learns the Fisher z of each pair's correlation over the next ``horizon`` days from that
pair's trailing correlations (several windows, EWMA) and volatilities plus market/macro
features; the predicted matrix is repaired to a valid correlation matrix.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from correlation_platform.forecasters.base import CorrelationForecaster
from correlation_platform.forecasters.explain import PairExplainer
from correlation_platform.forecasters.pair_dataset import (
    BASE_FAMILIES,
    MAX_PAIRS,
    by_chunks,
    fit_builder,
    pair_targets,
    pairs_to_matrix,
    sample_pairs,
    training_positions,
)
from correlation_platform.params import Interval, Options

#: Rows held out by scikit-learn's early stopping, and the rounds without improvement
#: that stop it: its defaults for large data, fixed so a refit is reproducible.
EARLY_STOPPING_FRACTION = 0.15
EARLY_STOPPING_ROUNDS = 20


class GBMForecaster(PairExplainer, CorrelationForecaster):
    """Gradient-boosted trees on pair and market features, one model for every pair.

    Parameters
    ----------
    horizon : int, default 21
        Days the learned target averages over; forecasts must ask for the same horizon.
    step : int, default 5
        Rows between training dates.
    max_iter : int, default 300
        Boosting rounds (early stopping may use fewer).
    learning_rate : float, default 0.05
        Shrinkage of each tree, in (0, 1].
    max_leaf_nodes : int, default 15
        Leaves per tree (at least 2).
    min_samples_leaf : int, default 200
        Pair-date rows per leaf: large, as neighbouring dates of a pair nearly repeat.
    l2_regularization : float, default 1.0
        L2 penalty on leaf values (>= 0).
    random_state : int, default 0
        Seed of the early-stopping split.
    min_history : int, default 63
        Rows before the first training date (the longest trailing feature window).
    max_pairs : int, default MAX_PAIRS
        Pairs the model trains on: above it, a deterministic sample stratified by the
        pairs' correlation (``pair_dataset.sample_pairs``), so training memory is
        dates x max_pairs x features whatever the universe (500 assets have 124,750
        pairs); forecasts still cover every pair, in chunks.
    base : {"none", "ewma", "dcc", "historical"}, default "none"
        A family whose forecast the model corrects: the target becomes the pair's Fisher
        z minus the base's (fitted on the same training window, its forecast also a
        feature, ``z_base``), and a forecast is the base's plus the learned correction.
        "none" learns the level itself.
    n_components : int, optional
        Replace the market features by this many principal components of them (scaled
        and fitted on the training rows only); None uses the features themselves.

    Attributes
    ----------
    builder_ : PairFeatureBuilder
        Feature construction with scaling fitted on the training dates.
    model_ : sklearn.ensemble.HistGradientBoostingRegressor
        The fitted regressor of each pair's Fisher z.
    n_training_rows_ : int
        Pair-date rows with a known label.
    pairs_ : tuple of numpy.ndarray
        The pairs trained on (all of them up to ``max_pairs``).

    References
    ----------
    J. Friedman (2001), "Greedy function approximation: a gradient boosting machine",
    Annals of Statistics 29(5).
    """

    name: ClassVar[str] = "gbm"
    PARAMETERS: ClassVar = {
        "horizon": Interval(int, 1, None),
        "step": Interval(int, 1, None),
        "max_iter": Interval(int, 1, None),
        "learning_rate": Interval(float, 0.0, 1.0, closed="right"),
        "max_leaf_nodes": Interval(int, 2, None),
        "min_samples_leaf": Interval(int, 1, None),
        "l2_regularization": Interval(float, 0.0, None),
        "random_state": Interval(int, 0, None),
        "min_history": Interval(int, 2, None),
        "max_pairs": Interval(int, 1, None),
        "base": Options(BASE_FAMILIES),
        "n_components": (Interval(int, 1, None), Options((None,))),
    }

    def __init__(
        self,
        horizon: int = 21,
        step: int = 5,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 200,
        l2_regularization: float = 1.0,
        random_state: int = 0,
        min_history: int = 63,
        max_pairs: int = MAX_PAIRS,
        base: str = "none",
        n_components: int | None = None,
    ):
        self.horizon = horizon
        self.step = step
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.min_history = min_history
        self.max_pairs = max_pairs
        self.base = base
        self.n_components = n_components

    def fit(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        tree: pd.DataFrame | None = None,
    ) -> GBMForecaster:
        """Build the pair panel on the training rows and fit the model.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns (dates x assets).
        features : pandas.DataFrame, optional
            Market/macro features (dates x indicators), scaled on the training rows only.
        tree : pandas.DataFrame, optional
            Unused.

        Returns
        -------
        GBMForecaster
            ``self``, fitted.
        """
        super().fit(returns, features, tree=tree)
        positions = training_positions(returns, self.horizon, self.step, self.min_history)
        # Scaling is fitted on the dates whose labels are known: no test-period statistics.
        self.builder_ = fit_builder(
            returns,
            features,
            returns.index[positions[-1]],
            base=self.base,
            n_components=self.n_components,
            horizon=self.horizon,
        )
        self.pairs_ = sample_pairs(
            returns.to_numpy(dtype=float), self.max_pairs, seed=self.random_state
        )
        x = self.builder_.build(returns, features, positions, pairs=self.pairs_)
        y = pair_targets(returns, positions, self.horizon, pairs=self.pairs_)
        rows = x.reshape(-1, x.shape[2])
        target = (y - self._offset(x)).reshape(-1)
        ok = np.isfinite(target)
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=True,
            validation_fraction=EARLY_STOPPING_FRACTION,
            n_iter_no_change=EARLY_STOPPING_ROUNDS,
            random_state=self.random_state,
        ).fit(rows[ok], target[ok])
        self.n_training_rows_ = int(ok.sum())
        return self

    def _input_rows(self, positions: np.ndarray) -> np.ndarray:
        return positions

    def _offset(self, built: np.ndarray) -> np.ndarray | float:
        """The base family's Fisher z the model corrects (0 without a base)."""
        column = self.builder_.base_column
        return 0.0 if column is None else built[:, :, column]

    def _predict_built(self, built: np.ndarray, n_dates: int) -> np.ndarray:
        n_pairs, n_feat = built.shape[1], built.shape[2]
        z = self.model_.predict(built.reshape(-1, n_feat)).reshape(n_dates, n_pairs)
        return z + self._offset(built)

    def _path(self, returns, features, positions, horizon) -> np.ndarray:
        n = returns.shape[1]
        n_pairs, n_feat = n * (n - 1) // 2, len(self.builder_.names)

        def compute(chunk: np.ndarray) -> np.ndarray:
            return self._predict_built(self.builder_.build(returns, features, chunk), len(chunk))

        return pairs_to_matrix(by_chunks(positions, n_pairs, n_pairs * n_feat, compute), n)
