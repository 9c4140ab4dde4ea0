"""Yahoo Finance chart API: daily adjusted closes and volumes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from correlation_platform.data.connectors.http import Fetch, http_fetch
from correlation_platform.data.validation import DataValidationError

YAHOO_URL = "https://query1.finance.yahoo.com/v8/finance/chart/{ticker}"


def _epoch(day: str) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp())


def yahoo_prices(
    tickers: list[str], start: str, end: str, *, fetch: Fetch = http_fetch
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjusted closes and volumes, one column per ticker, dates at the exchange's day.

    Parameters
    ----------
    tickers : list of str
        Yahoo tickers.
    start, end : str
        Date range (ISO dates).
    fetch : callable, default http_fetch
        ``fetch(url, params) -> bytes`` (tests pass a fake).

    Returns
    -------
    tuple of pandas.DataFrame
        (adjusted closes, volumes).
    """
    closes, volumes = {}, {}
    for ticker in tickers:
        origin = f"yahoo:{ticker}"
        params = {
            "period1": _epoch(start),
            "period2": _epoch(end) + 86400,
            "interval": "1d",
            "events": "div,split",
            "includeAdjustedClose": "true",
        }
        payload = json.loads(fetch(YAHOO_URL.format(ticker=ticker), params))
        chart = payload.get("chart", {})
        if chart.get("error") or not chart.get("result"):
            raise DataValidationError(
                "bad-response", f"Yahoo answered {chart.get('error')}", origin=origin, column=ticker
            )
        result = chart["result"][0]
        offset = result.get("meta", {}).get("gmtoffset", 0)
        stamps = pd.to_datetime(np.asarray(result["timestamp"]) + offset, unit="s").normalize()
        quote = result["indicators"]["quote"][0]
        adj = result["indicators"].get("adjclose", [{}])[0].get("adjclose", quote["close"])
        closes[ticker] = pd.Series(adj, index=stamps, dtype=float)
        volumes[ticker] = pd.Series(quote.get("volume"), index=stamps, dtype=float)
    prices = pd.DataFrame(closes)
    prices.index = pd.DatetimeIndex(prices.index, name="date").as_unit("ns")
    vols = pd.DataFrame(volumes).reindex(prices.index)
    return prices, vols
