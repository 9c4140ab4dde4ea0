"""Real data that ships inside installed wheels (skfolio, arch): no network needed.

Prices: skfolio's 20 S&P 500 stocks and the S&P 500 index. Indicators, each stamped with
the day it became public: VIX (arch; 2014-01 on, a realised-volatility proxy before),
WTI (arch, daily), the BAA-AAA credit spread (arch, monthly, known the next business day
after month end) and core CPI (arch, monthly, published about 15 days after month end).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BDay, MonthEnd

from correlation_platform.data.market_data import MarketData
from correlation_platform.data.validation import validate_assets, validate_prices
from correlation_platform.units import TRADING_DAYS

START, END = "1999-01-01", "2018-11-30"

GICS_SECTORS: dict[str, str] = {
    "AAPL": "Information Technology",
    "AMD": "Information Technology",
    "MSFT": "Information Technology",
    "BAC": "Financials",
    "JPM": "Financials",
    "BBY": "Consumer Discretionary",
    "HD": "Consumer Discretionary",
    "CVX": "Energy",
    "RRC": "Energy",
    "XOM": "Energy",
    "GE": "Industrials",
    "JNJ": "Health Care",
    "LLY": "Health Care",
    "MRK": "Health Care",
    "PFE": "Health Care",
    "UNH": "Health Care",
    "KO": "Consumer Staples",
    "PEP": "Consumer Staples",
    "PG": "Consumer Staples",
    "WMT": "Consumer Staples",
}

#: How long after its reference date each series becomes public (DESIGN.md section 2).
RELEASE_LAGS: dict[str, str] = {
    "vix": "same day (close)",
    "vix_is_proxy": "same day (close)",
    "wti": "same day (close)",
    "credit_spread": "next business day after month end",
    "core_cpi": "15 days after month end, next business day",
}

VIX_PROXY_WINDOW = 21


def _as_ns(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    frame = frame.copy()
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "date"
    return frame


def sector_tree(assets: list[str]) -> pd.DataFrame:
    """Hierarchy from leaves to root (asset -> GICS sector -> market), as TIC expects.

    Parameters
    ----------
    assets : list of str
        Tickers.

    Returns
    -------
    pandas.DataFrame
        Indexed by asset, columns ``asset``, ``sector`` then ``market``.
    """
    return pd.DataFrame(
        {"asset": assets, "sector": [GICS_SECTORS[a] for a in assets], "market": "all"},
        index=pd.Index(assets, name="asset"),
    )


def _vix_with_proxy(index_close: pd.Series) -> pd.DataFrame:
    """VIX where arch ships it; before, annualised 21-day realised S&P 500 vol in VIX points.

    The proxy at day t uses index closes up to t only. Never back-filled.
    """
    from arch.data import vix as vix_data

    vix = _as_ns(vix_data.load()["vix"].astype(float)).dropna()
    log_ret = np.log(index_close).diff()
    proxy = log_ret.rolling(VIX_PROXY_WINDOW).std() * np.sqrt(TRADING_DAYS) * 100
    out = pd.DataFrame({"vix": proxy, "vix_is_proxy": 1.0})
    real = vix.index[vix.index >= out.index[0]]
    out = out.reindex(out.index.union(real))
    out.loc[real, "vix"] = vix.loc[real]
    out.loc[real, "vix_is_proxy"] = 0.0
    return out.dropna(subset=["vix"])


def _monthly_release(series: pd.Series, release) -> pd.Series:
    """Re-stamp a monthly series (dated at the first of its month) on its release day."""
    month_end = series.index + MonthEnd(0)
    stamped = pd.Series(series.to_numpy(), index=pd.DatetimeIndex(release(month_end)))
    stamped.index.name = "date"
    return stamped.groupby(level=0).last()


def load_indicators(index_close: pd.Series) -> pd.DataFrame:
    """Point-in-time indicator table: a value appears only on the day it became public.

    Parameters
    ----------
    index_close : pandas.Series
        The index's closes (the volatility proxy before the VIX file starts).

    Returns
    -------
    pandas.DataFrame
        Indicators by publication date.
    """
    from arch.data import core_cpi, default, wti

    vix = _vix_with_proxy(index_close)
    oil = _as_ns(wti.load()["DCOILWTICO"].astype(float)).dropna().rename("wti")
    spread_raw = _as_ns(default.load())
    spread = spread_raw["BAA"] - spread_raw["AAA"]
    spread = _monthly_release(spread, lambda me: me + BDay(1)).rename("credit_spread")
    cpi = _as_ns(core_cpi.load()["CPILFESL"].astype(float))
    cpi = _monthly_release(cpi, lambda me: (me + pd.Timedelta(days=15)) + BDay(0)).rename(
        "core_cpi"
    )
    table = pd.concat([vix, oil, spread, cpi], axis=1, sort=True)
    table.index = pd.DatetimeIndex(table.index, name="date").as_unit("ns")
    return table.loc[START:END]


def load_bundled(
    *, assets: list[str] | None = None, start: str = START, end: str = END
) -> MarketData:
    """The bundled real universe: daily S&P 500 constituents with GICS sectors and indicators.

    Parameters
    ----------
    assets : list of str, optional
        Tickers to keep (default all).
    start, end : str
        Date range (ISO dates).

    Returns
    -------
    MarketData
        Prices, volumes, point-in-time indicators, the sector tree and the index.
    """
    from skfolio.datasets import load_sp500_dataset, load_sp500_index

    origin = "bundled:skfolio.load_sp500_dataset"
    prices = _as_ns(load_sp500_dataset())
    if assets is not None:
        validate_assets(list(assets), list(prices.columns), origin)
        prices = prices[list(assets)]
    index_close = _as_ns(load_sp500_index()["SP500"]).astype(float)
    prices = validate_prices(prices.loc[start:end], origin=origin)
    indicators = load_indicators(index_close).loc[start:end]
    notes = (
        "VIX before 2014-01-03 is a proxy: annualised 21-day realised volatility of the "
        "S&P 500 index in VIX points (column vix_is_proxy = 1); arch ships VIX only from 2014.",
        "Volumes are not shipped for the 20 stocks: volumes is None.",
        "Survivorship: the 20 tickers are today's S&P 500 members chosen by skfolio; results "
        "on this universe are biased towards survivors.",
    )
    return MarketData(
        prices=prices,
        volumes=None,
        indicators=indicators,
        sectors=sector_tree(list(prices.columns)),
        true_correlation=None,
        source="bundled",
        notes=notes,
        benchmark=index_close.loc[prices.index[0] : prices.index[-1]].rename("SP500"),
        release_lags=dict(RELEASE_LAGS),
    )
