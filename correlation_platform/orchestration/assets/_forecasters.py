"""How assets instantiate a family: its scalar params plus what the data must supply."""

import pandas as pd

from correlation_platform.forecasters import (
    USES_FEATURES,
    USES_TREE,
    CorrelationForecaster,
    get_forecaster,
)


def scalar_params(forecaster: CorrelationForecaster) -> dict:
    """Params that fit in JSON and MLflow (the sector tree is data, not a hyper-parameter)."""
    return {
        k: v for k, v in forecaster.get_params().items() if isinstance(v, str | int | float | bool)
    }


def build_forecaster(
    family: str, params: dict | None, sectors: pd.DataFrame
) -> CorrelationForecaster:
    extra = {"tree": sectors} if family in USES_TREE else {}
    return get_forecaster(family, **(params or {}), **extra)


def features_for(family: str, feature_panel: pd.DataFrame) -> pd.DataFrame | None:
    return feature_panel if family in USES_FEATURES else None
