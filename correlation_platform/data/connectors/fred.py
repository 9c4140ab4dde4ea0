"""FRED series observations (JSON API), stamped on their release day."""

from __future__ import annotations

import json
import os

import pandas as pd

from correlation_platform.data.connectors.http import Fetch, http_fetch
from correlation_platform.data.validation import DataValidationError

FRED_URL = "https://api.stlouisfed.org/fred/series/observations"


def fred_series(
    series_id: str, start: str, end: str, *, api_key: str | None = None, fetch: Fetch = http_fetch
) -> pd.Series:
    """Observations by reference date (FRED's ``date``); missing values ('.') are dropped.

    The release lag is applied by the caller (see :func:`data.files.release_dates`), since
    FRED's reference date is not the day the value was known.

    Parameters
    ----------
    series_id : str
        FRED series id (e.g. ``"BAA10Y"``).
    start, end : str
        Date range (ISO dates).
    api_key : str, optional
        FRED API key (default ``$FRED_API_KEY``).
    fetch : callable, default http_fetch
        ``fetch(url, params) -> bytes`` (tests pass a fake).

    Returns
    -------
    pandas.Series
        Values by reference date.
    """
    key = api_key or os.environ.get("FRED_API_KEY")
    if not key:
        raise ValueError("FRED needs an API key: pass api_key or set FRED_API_KEY")
    params = {
        "series_id": series_id,
        "api_key": key,
        "file_type": "json",
        "observation_start": start,
        "observation_end": end,
    }
    payload = json.loads(fetch(FRED_URL, params))
    if "observations" not in payload:
        raise DataValidationError(
            "bad-response",
            f"FRED answered {payload.get('error_message', payload)}",
            origin=f"fred:{series_id}",
        )
    obs = pd.DataFrame(payload["observations"])
    if obs.empty:
        raise DataValidationError("empty-response", "no observations", origin=f"fred:{series_id}")
    values = pd.to_numeric(obs["value"].replace(".", None), errors="coerce")
    series = pd.Series(
        values.to_numpy(), index=pd.DatetimeIndex(obs["date"], name="date"), name=series_id
    )
    return series.dropna().astype(float)
