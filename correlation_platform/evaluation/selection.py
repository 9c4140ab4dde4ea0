"""Holdout scoring of forecasters and the champion choice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.evaluation.losses import frobenius_losses
from correlation_platform.features.targets import forward_realized_correlation
from correlation_platform.forecasters import CorrelationForecaster


@dataclass(frozen=True)
class HoldoutScore:
    mean_frobenius: float
    n_forecasts: int
    start: pd.Timestamp
    end: pd.Timestamp


def holdout_dates(
    index: pd.DatetimeIndex, holdout_days: int, horizon: int, step: int
) -> pd.DatetimeIndex:
    """Forecast dates in the last ``holdout_days`` rows that still have a full label window."""
    usable = index[: len(index) - horizon]
    return usable[-holdout_days::step]


def score_holdout(
    forecaster: CorrelationForecaster,
    returns: pd.DataFrame,
    features: pd.DataFrame | None = None,
    holdout_days: int = 252,
    horizon: int = 21,
    step: int = 5,
) -> HoldoutScore:
    """Fit on data before the holdout (purged by ``horizon``), score forecasts inside it."""
    dates = holdout_dates(pd.DatetimeIndex(returns.index), holdout_days, horizon, step)
    first = returns.index.get_loc(dates[0])
    train_end = first - horizon  # purge: no training row's label overlaps the holdout
    if train_end < 2:
        raise ValueError("not enough history before the holdout to train")
    forecaster.fit(
        returns.iloc[: train_end + 1], None if features is None else features.iloc[: train_end + 1]
    )
    predicted = forecaster.predict_path(returns, features, dates=dates, horizon=horizon)
    realized, _ = forward_realized_correlation(returns, horizon, dates)
    losses = frobenius_losses(predicted, realized)
    return HoldoutScore(float(np.mean(losses)), len(losses), dates[0], dates[-1])


def choose_champion(scores: dict[str, float], benchmark: str) -> tuple[str, str]:
    """Lowest holdout loss wins; ties go to the benchmark. Returns (winner, reason)."""
    if not scores:
        raise ValueError("no trained forecasters to choose from")
    best = min(scores, key=lambda k: (scores[k], k != benchmark))
    ranked = ", ".join(f"{k}={v:.4f}" for k, v in sorted(scores.items(), key=lambda kv: kv[1]))
    return best, f"lowest mean holdout Frobenius loss ({ranked})"
