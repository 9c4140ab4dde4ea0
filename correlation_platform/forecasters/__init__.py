"""L3: correlation forecasters behind one contract (DESIGN.md section 3)."""

from __future__ import annotations

from correlation_platform.forecasters.base import CorrelationForecaster, PathForecast
from correlation_platform.forecasters.dcc import DCCForecaster
from correlation_platform.forecasters.denoised import DenoisedForecaster
from correlation_platform.forecasters.ewma import EWMAForecaster
from correlation_platform.forecasters.gbm import GBMForecaster
from correlation_platform.forecasters.historical import HistoricalForecaster
from correlation_platform.forecasters.lstm import LSTMForecaster
from correlation_platform.forecasters.shrinkage import LedoitWolfForecaster
from correlation_platform.forecasters.tic import TICForecaster

FORECASTERS: dict[str, type[CorrelationForecaster]] = {
    "historical": HistoricalForecaster,
    "ewma": EWMAForecaster,
    "dcc": DCCForecaster,
    "ledoit_wolf": LedoitWolfForecaster,
    "denoised": DenoisedForecaster,
    "tic": TICForecaster,
    "gbm": GBMForecaster,
    "lstm": LSTMForecaster,
}

BENCHMARK = "historical"
#: Families that learn from the feature panel (``fit(returns, features)``).
USES_FEATURES = ("gbm", "lstm")


def get_forecaster(name: str, *, horizon: int | None = None, **params) -> CorrelationForecaster:
    """A new, unfitted forecaster of family ``name``.

    Parameters
    ----------
    name : str
        A key of ``FORECASTERS``.
    horizon : int, optional
        The holding period, for the families that learn a target of that many days
        (``gbm``, ``lstm``); the others forecast any horizon and ignore it.
    **params
        Hyper-parameters for the family's constructor (checked at ``fit``).

    Returns
    -------
    CorrelationForecaster
        The unfitted estimator.
    """
    try:
        cls = FORECASTERS[name]
    except KeyError:
        raise ValueError(f"unknown forecaster {name!r}; available: {sorted(FORECASTERS)}") from None
    if horizon is not None and "horizon" in cls._get_param_names():
        params = {"horizon": horizon, **params}
    return cls(**params)


__all__ = [
    "BENCHMARK",
    "FORECASTERS",
    "USES_FEATURES",
    "CorrelationForecaster",
    "PathForecast",
    "get_forecaster",
]
