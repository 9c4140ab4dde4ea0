"""MLflow tracking and registry through our own small store (no dagster-mlflow)."""

from correlation_platform.tracking.model_copy import DamagedModelError, LocalModelCopy
from correlation_platform.tracking.pyfunc import ForecasterPyfunc
from correlation_platform.tracking.registry import MlflowUnavailableError, RecordedModel
from correlation_platform.tracking.store import (
    REGISTERED_MODEL,
    LoggedForecaster,
    MlflowStore,
    default_tracking_uri,
)

__all__ = [
    "REGISTERED_MODEL",
    "DamagedModelError",
    "ForecasterPyfunc",
    "LocalModelCopy",
    "LoggedForecaster",
    "MlflowStore",
    "MlflowUnavailableError",
    "RecordedModel",
    "default_tracking_uri",
]
