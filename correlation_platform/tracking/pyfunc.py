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
    """An MLflow ``python_function`` model wrapping a fitted forecaster.

    Parameters
    ----------
    forecaster : CorrelationForecaster
        The fitted model.
    """

    def __init__(self, forecaster: CorrelationForecaster):
        self.forecaster = forecaster

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        """The forecast as of the last row of ``model_input``.

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext
            Unused.
        model_input : pandas.DataFrame
            One column per asset (returns) plus, for models that learn from the feature panel,
            one ``f:<feature>`` column per market feature.
        params : dict, optional
            ``{"horizon": h}`` (default 21).

        Returns
        -------
        pandas.DataFrame
            The N x N correlation forecast.
        """
        horizon = int((params or {}).get("horizon", 21))
        feature_cols = [c for c in model_input.columns if str(c).startswith(FEATURE_PREFIX)]
        returns = model_input.drop(columns=feature_cols).astype(float)
        features = None
        if feature_cols:
            features = model_input[feature_cols].rename(columns=lambda c: c[len(FEATURE_PREFIX) :])
        return self.forecaster.predict(returns, features, horizon=horizon)
