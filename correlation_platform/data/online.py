"""The ``online`` source: Yahoo prices plus FRED indicators with declared release lags."""

from __future__ import annotations

import pandas as pd

from correlation_platform.data.connectors import fred_preset, fred_series, http_fetch, yahoo_prices
from correlation_platform.data.connectors.http import Fetch
from correlation_platform.data.files import release_dates
from correlation_platform.data.market_data import MarketData
from correlation_platform.data.validation import (
    MIN_HISTORY_DAYS,
    validate_indicators,
    validate_prices,
)


def load_online(
    tickers: list[str],
    start: str,
    end: str,
    *,
    fred: dict[str, dict] | str | None = None,
    sectors: dict[str, str] | None = None,
    api_key: str | None = None,
    fetch: Fetch = http_fetch,
    min_history: int = MIN_HISTORY_DAYS,
) -> MarketData:
    """A universe from Yahoo prices and FRED indicators (network needed).

    Parameters
    ----------
    tickers : list of str
        Yahoo tickers.
    start, end : str
        Date range (ISO dates).
    fred : dict or str, optional
        FRED series id -> release-lag rule (same form as ``indicators.yaml``; optional
        ``name``, the column it becomes, and ``units``, FRED's transformation), or the
        name of a preset (``"correlation_drivers"``: term spread, policy rate,
        unemployment, CPI inflation, credit spread and VIX with their release lags, see
        :data:`~correlation_platform.data.connectors.fred.CORRELATION_DRIVERS`).
    sectors : dict of str to str, optional
        Ticker -> sector.
    api_key : str, optional
        FRED API key.
    fetch : callable, default http_fetch
        ``fetch(url, params) -> bytes``.
    min_history : int, default 60
        Rows each asset needs.

    Returns
    -------
    MarketData
        The validated universe.
    """
    prices, volumes = yahoo_prices(tickers, start, end, fetch=fetch)
    prices = validate_prices(prices, origin=f"yahoo:{','.join(tickers)}", min_history=min_history)
    fred = fred_preset(fred) if isinstance(fred, str) else (fred or {})
    validate_indicators(pd.DataFrame(columns=list(fred)), fred, origin="online:fred")
    names = {series_id: rule.get("name", series_id) for series_id, rule in fred.items()}
    stamped = []
    for series_id, rule in fred.items():
        raw = fred_series(
            series_id, start, end, api_key=api_key, units=rule.get("units"), fetch=fetch
        )
        released = release_dates(pd.DatetimeIndex(raw.index), rule, "online:fred", series_id)
        stamped.append(
            pd.Series(raw.to_numpy(), index=released, name=names[series_id]).groupby(level=0).last()
        )
    indicators = pd.concat(stamped, axis=1, sort=True) if stamped else pd.DataFrame()
    if not indicators.empty:
        indicators.index = pd.DatetimeIndex(indicators.index, name="date").as_unit("ns")
    sector_frame = pd.DataFrame()
    if sectors:
        sector_frame = pd.DataFrame(
            {"asset": list(sectors), "sector": list(sectors.values()), "market": "all"},
            index=pd.Index(list(sectors), name="asset"),
        )
    return MarketData(
        prices=prices,
        volumes=volumes.loc[prices.index],
        indicators=indicators,
        sectors=sector_frame,
        source="online",
        notes=("Yahoo prices, FRED indicators",),
        release_lags={names[k]: f"{k}: {v}" for k, v in fred.items()},
    )
