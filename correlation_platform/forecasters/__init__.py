"""L3: correlation forecasters behind one contract (DESIGN.md section 3)."""

from __future__ import annotations

from correlation_platform.forecasters.base import CorrelationForecaster
from correlation_platform.forecasters.ewma import EWMAForecaster
from correlation_platform.forecasters.historical import HistoricalForecaster

FORECASTERS: dict[str, type[CorrelationForecaster]] = {
    "historical": HistoricalForecaster,
    "ewma": EWMAForecaster,
}

BENCHMARK = "historical"


def get_forecaster(name: str, **params) -> CorrelationForecaster:
    """A new, unfitted forecaster of family ``name`` with ``params``."""
    try:
        cls = FORECASTERS[name]
    except KeyError:
        raise ValueError(f"unknown forecaster {name!r}; available: {sorted(FORECASTERS)}") from None
    return cls(**params)


__all__ = ["BENCHMARK", "FORECASTERS", "CorrelationForecaster", "get_forecaster"]
