"""The MLflow pyfunc face of a fitted forecaster.

``mlflow.pyfunc.load_model("models:/correlation_forecaster@champion").predict(returns)``
returns the forecast correlation matrix (N x N frame) for the horizon after the last row.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from correlation_platform.forecasters import CorrelationForecaster

FEATURE_PREFIX = "f:"


class ForecasterPyfunc(mlflow.pyfunc.PythonModel):
    def __init__(self, forecaster: CorrelationForecaster):
        self.forecaster = forecaster

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        horizon = int((params or {}).get("horizon", 21))
        returns = model_input.astype(float)
        return self.forecaster.predict(returns, None, horizon=horizon)
