"""Forecast error against what was realised, and the rule that calls it drift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.evaluation.selection import forecast_losses
from correlation_platform.forecasters import CorrelationForecaster


def forecast_error_frame(
    forecaster: CorrelationForecaster,
    returns: pd.DataFrame,
    horizon: int = 21,
    lookback_days: int = 504,
    step: int = 5,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Error of past forecasts whose realisation window has closed: date x (frobenius, cmd)."""
    usable = len(returns) - horizon
    positions = np.arange(max(0, usable - lookback_days), usable)[::step]
    losses = forecast_losses(forecaster, returns, features, positions, horizon)
    return losses[["frobenius", "cmd"]]


@dataclass(frozen=True)
class DriftDecision:
    drifted: bool
    recent_cmd: float
    baseline_cmd: float
    ratio: float
    reason: str


def detect_drift(
    errors: pd.DataFrame,
    recent: int = 12,
    ratio_threshold: float = 1.5,
    absolute_threshold: float = 0.25,
) -> DriftDecision:
    """Drift when the recent mean correlation-matrix distance is far above its own baseline.

    Both a relative rule (recent / baseline > ``ratio_threshold``) and an absolute ceiling
    (recent > ``absolute_threshold``) trigger; either alone is reported in ``reason``.
    """
    cmd = errors["cmd"].dropna()
    if len(cmd) < recent + 2:
        return DriftDecision(False, float("nan"), float("nan"), float("nan"), "not enough history")
    recent_v = float(cmd.iloc[-recent:].mean())
    base = float(cmd.iloc[:-recent].mean())
    ratio = recent_v / base if base > 0 else float("inf")
    reasons = []
    if ratio > ratio_threshold:
        reasons.append(
            f"recent CMD {recent_v:.3f} is {ratio:.2f}x its baseline {base:.3f} (> {ratio_threshold})"
        )
    if recent_v > absolute_threshold:
        reasons.append(f"recent CMD {recent_v:.3f} above the ceiling {absolute_threshold}")
    drifted = bool(reasons)
    reason = "; ".join(reasons) if drifted else "within limits"
    return DriftDecision(drifted, recent_v, base, float(ratio), reason)
