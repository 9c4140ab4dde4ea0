"""FRED series observations (JSON API), stamped on their release day."""

from __future__ import annotations

import json
import os

import pandas as pd

from correlation_platform.data.connectors.http import Fetch, http_fetch
from correlation_platform.data.validation import DataValidationError

FRED_URL = "https://api.stlouisfed.org/fred/series/observations"

#: The indicators a quant expects for correlation regimes, as FRED series id -> rule:
#: ``name`` (the column the series becomes), its release lag (see
#: :func:`correlation_platform.data.files.release_dates`) and optionally FRED ``units``.
#: Each lag is the publisher's schedule with a margin, so a value is never used before
#: the day it could have been known:
#:
#: - ``T10Y3M`` term spread (10-year minus 3-month Treasury, constant maturity; Estrella
#:   and Mishkin's recession signal): daily, Federal Reserve H.15, on FRED the next
#:   business day -> 1 business day.
#: - ``DFF`` policy rate (effective federal funds rate): published by the New York Fed
#:   at 9:00 ET the next business day -> 1 business day.
#: - ``UNRATE`` unemployment rate: monthly, BLS Employment Situation, usually the first
#:   Friday after the month, by the 10th -> 10 days after the month's end.
#: - ``CPIAUCSL`` CPI inflation (all items, year-on-year change: ``units="pc1"``): monthly,
#:   BLS CPI release 10-15 days after the month's end -> 20 days after it.
#:
#: A government shutdown delays the BLS releases beyond any fixed lag (September 2013's
#: Employment Situation came on 22 October); a source that must be exact in such months
#: needs FRED's vintage dates (ALFRED), which this preset does not read.
#: - ``BAA10Y`` credit spread (Moody's Baa corporate yield minus the 10-year Treasury):
#:   daily, on FRED the next business day -> 1 business day.
#: - ``VIXCLS`` VIX close (CBOE): daily, on FRED the next business day -> 1 business day.
CORRELATION_DRIVERS: dict[str, dict] = {
    "T10Y3M": {"name": "term_spread", "lag_business_days": 1},
    "DFF": {"name": "policy_rate", "lag_business_days": 1},
    "UNRATE": {
        "name": "unemployment",
        "lag_days": 10,
        "after": "period_end",
        "frequency": "monthly",
    },
    "CPIAUCSL": {
        "name": "cpi_inflation",
        "units": "pc1",
        "lag_days": 20,
        "after": "period_end",
        "frequency": "monthly",
    },
    "BAA10Y": {"name": "credit_spread", "lag_business_days": 1},
    "VIXCLS": {"name": "vix", "lag_business_days": 1},
}
#: Named sets of FRED series for ``load_online(fred=<name>)``.
FRED_PRESETS: dict[str, dict[str, dict]] = {"correlation_drivers": CORRELATION_DRIVERS}


def fred_preset(name: str) -> dict[str, dict]:
    """The FRED series and release-lag rules of a named preset.

    Parameters
    ----------
    name : str
        A key of :data:`FRED_PRESETS`.

    Returns
    -------
    dict
        Series id -> rule (a copy: the caller may edit it).
    """
    try:
        preset = FRED_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown FRED preset {name!r}; available: {sorted(FRED_PRESETS)}"
        ) from None
    return {k: dict(v) for k, v in preset.items()}


def fred_series(
    series_id: str,
    start: str,
    end: str,
    *,
    api_key: str | None = None,
    units: str | None = None,
    fetch: Fetch = http_fetch,
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
    units : str, optional
        FRED's transformation (e.g. ``"pc1"``, percent change from a year ago); default
        the levels.
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
    if units:
        params["units"] = units
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
