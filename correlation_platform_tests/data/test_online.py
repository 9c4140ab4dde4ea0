"""Connectors replay offline fixtures through the fetch hook (no network in tests)."""

from pathlib import Path

import pandas as pd
import pytest

from correlation_platform.data import DataValidationError, load_market_data
from correlation_platform.data.connectors import fred_series, yahoo_prices

FIXTURES = Path(__file__).parent / "fixtures"


def replay(mapping: dict[str, str]):
    calls = []

    def fetch(url: str, params: dict) -> bytes:
        calls.append((url, params))
        for needle, name in mapping.items():
            if needle in url or needle == params.get("series_id"):
                return (FIXTURES / name).read_bytes()
        raise AssertionError(f"unexpected request {url}")

    fetch.calls = calls
    return fetch


def test_fred_parses_and_drops_missing():
    fetch = replay({"BAA10Y": "fred_BAA10Y.json"})
    s = fred_series("BAA10Y", "2020-01-01", "2020-01-31", api_key="k", fetch=fetch)
    assert len(s) == 7 and pd.Timestamp("2020-01-06") not in s.index  # '.' dropped
    assert s.iloc[0] == 2.20
    assert fetch.calls[0][1]["file_type"] == "json" and fetch.calls[0][1]["api_key"] == "k"


def test_fred_error_and_missing_key(monkeypatch):
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    with pytest.raises(ValueError, match="API key"):
        fred_series("X", "2020-01-01", "2020-01-31")
    with pytest.raises(DataValidationError, match="does not exist"):
        fred_series(
            "NOPE",
            "2020-01-01",
            "2020-01-31",
            api_key="k",
            fetch=replay({"NOPE": "fred_error.json"}),
        )


def test_yahoo_uses_adjusted_close_on_exchange_days():
    prices, volumes = yahoo_prices(
        ["AAA", "BBB"],
        "2020-01-01",
        "2020-01-14",
        fetch=replay({"AAA": "yahoo_AAA.json", "BBB": "yahoo_BBB.json"}),
    )
    assert prices.index[0] == pd.Timestamp("2020-01-02") and len(prices) == 8
    assert prices.loc["2020-01-02", "AAA"] == 9.5  # adjclose, not close
    assert volumes.loc["2020-01-03", "BBB"] == 310


def test_yahoo_unknown_symbol():
    with pytest.raises(DataValidationError, match="delisted"):
        yahoo_prices(
            ["ZZZ"], "2020-01-01", "2020-01-14", fetch=replay({"ZZZ": "yahoo_missing.json"})
        )


def test_online_source_behind_the_same_interface():
    fetch = replay({"AAA": "yahoo_AAA.json", "BBB": "yahoo_BBB.json", "BAA10Y": "fred_BAA10Y.json"})
    data = load_market_data(
        "online",
        tickers=["AAA", "BBB"],
        start="2020-01-01",
        end="2020-01-14",
        fred={"BAA10Y": {"lag_business_days": 1}},
        api_key="k",
        fetch=fetch,
        min_history=5,
    )
    assert list(data.prices.columns) == ["AAA", "BBB"]
    # Each FRED value is stamped one business day after its reference date.
    assert data.indicators["BAA10Y"].dropna().index[0] == pd.Timestamp("2020-01-03")
    assert data.source == "online"
