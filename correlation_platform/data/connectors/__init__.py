"""Online connectors (FRED series, Yahoo prices) behind the MarketData interface.

Each takes a ``fetch(url, params) -> bytes`` callable, so tests replay recorded responses
and production uses :func:`http_fetch`.
"""

from correlation_platform.data.connectors.fred import (
    CORRELATION_DRIVERS,
    FRED_PRESETS,
    fred_preset,
    fred_series,
)
from correlation_platform.data.connectors.http import http_fetch
from correlation_platform.data.connectors.yahoo import yahoo_prices

__all__ = [
    "CORRELATION_DRIVERS",
    "FRED_PRESETS",
    "fred_preset",
    "fred_series",
    "http_fetch",
    "yahoo_prices",
]
