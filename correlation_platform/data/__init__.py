"""L1: sources -> :class:`MarketData` (DESIGN.md section 2)."""

from __future__ import annotations

from correlation_platform.data.market_data import MarketData, arrived_by
from correlation_platform.data.validation import DataValidationError

SOURCES = ("bundled", "synthetic", "files", "online")


def load_market_data(source: str = "bundled", **options) -> MarketData:
    """Load a universe from ``source`` (one of ``SOURCES``); options go to that source.

    Parameters
    ----------
    source : str, default "bundled"
        ``"bundled"``, ``"synthetic"``, ``"files"`` or ``"online"``.
    **options
        Keyword arguments of the source's loader.

    Returns
    -------
    MarketData
        The universe.
    """
    if source == "bundled":
        from correlation_platform.data.bundled import load_bundled

        return load_bundled(**options)
    if source == "synthetic":
        from correlation_platform.data.synthetic import simulate_market

        return simulate_market(**options)
    if source == "files":
        from correlation_platform.data.files import load_files

        return load_files(**options)
    if source == "online":
        from correlation_platform.data.online import load_online

        return load_online(**options)
    raise ValueError(f"unknown data source {source!r}; available: {SOURCES}")


__all__ = ["SOURCES", "DataValidationError", "MarketData", "arrived_by", "load_market_data"]
