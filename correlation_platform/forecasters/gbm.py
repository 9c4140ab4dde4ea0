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
from correlation_platform.forecasters.pair_dataset import (
    PairFeatureBuilder,
    pair_targets,
    pairs_to_matrix,
    training_positions,
)


class GBMForecaster(CorrelationForecaster):
    name: ClassVar[str] = "gbm"

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

    def fit(self, returns: pd.DataFrame, features: pd.DataFrame | None = None):
        super().fit(returns, features)
        positions = training_positions(returns, self.horizon, self.step, self.min_history)
        # Scaling is fitted on the dates whose labels are known: no test-period statistics.
        self.builder_ = PairFeatureBuilder().fit(features, returns.index[positions[-1]])
        x = self.builder_.build(returns, features, positions)
        y = pair_targets(returns, positions, self.horizon)
        rows = x.reshape(-1, x.shape[2])
        target = y.reshape(-1)
        ok = np.isfinite(target)
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=self.random_state,
        ).fit(rows[ok], target[ok])
        self.n_training_rows_ = int(ok.sum())
        return self

    def _path(self, returns, features, positions, horizon) -> np.ndarray:
        feats = self.builder_.build(returns, features, positions)
        n_dates, n_pairs, n_feat = feats.shape
        z = self.model_.predict(feats.reshape(-1, n_feat)).reshape(n_dates, n_pairs)
        return pairs_to_matrix(z, returns.shape[1])
