"""Forecast error vs realised correlation and drift rules."""

from correlation_platform.monitoring.alerts import write_alert
from correlation_platform.monitoring.drift import DriftDecision, detect_drift, forecast_error_frame

__all__ = ["DriftDecision", "detect_drift", "forecast_error_frame", "write_alert"]
