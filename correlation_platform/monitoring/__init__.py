"""Forecast error vs realised, the noise floor, drift episodes and alerts (DESIGN section 8)."""

from correlation_platform.monitoring.alerts import AlertWebhook, write_alert
from correlation_platform.monitoring.drift import (
    DriftDecision,
    drift_states,
    latest_decision,
    score_forecasts,
)
from correlation_platform.monitoring.noise_floor import noise_floor

__all__ = [
    "AlertWebhook",
    "DriftDecision",
    "drift_states",
    "latest_decision",
    "noise_floor",
    "score_forecasts",
    "write_alert",
]
