"""L2: returns, point-in-time features and forward realised-correlation labels."""

from correlation_platform.features.cleaning import CleaningResult, clean_prices
from correlation_platform.features.indicators import align_indicators
from correlation_platform.features.panel import average_trailing_correlation, build_feature_panel
from correlation_platform.features.returns import (
    ewma_volatility,
    simple_returns,
    trailing_volatility,
)
from correlation_platform.features.targets import (
    CorrelationPanel,
    forward_realized_correlation,
    realized_correlation_frame,
    realized_correlation_panel,
)

__all__ = [
    "CleaningResult",
    "CorrelationPanel",
    "align_indicators",
    "average_trailing_correlation",
    "build_feature_panel",
    "clean_prices",
    "ewma_volatility",
    "forward_realized_correlation",
    "realized_correlation_frame",
    "realized_correlation_panel",
    "simple_returns",
    "trailing_volatility",
]
