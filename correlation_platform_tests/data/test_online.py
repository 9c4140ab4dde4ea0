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


def _observations(dates, values) -> bytes:
    import json

    rows = [{"date": d, "value": str(v)} for d, v in zip(dates, values, strict=True)]
    return json.dumps({"observations": rows}).encode()


def test_the_correlation_drivers_preset_stamps_each_series_on_its_release_day():
    from correlation_platform.data.connectors import CORRELATION_DRIVERS

    daily = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]
    monthly = ["2019-11-01", "2019-12-01"]
    yahoo = replay({"AAA": "yahoo_AAA.json", "BBB": "yahoo_BBB.json"})
    calls = []

    def fetch(url: str, params: dict) -> bytes:
        if "series_id" not in params:
            return yahoo(url, params)
        calls.append(params)
        sid = params["series_id"]
        if sid in ("UNRATE", "CPIAUCSL"):
            return _observations(monthly, [3.5, 3.6] if sid == "UNRATE" else [2.1, 2.3])
        return _observations(daily, [1.0, 1.1, 1.2, 1.3, 1.4])

    data = load_market_data(
        "online",
        tickers=["AAA", "BBB"],
        start="2019-11-01",
        end="2020-01-14",
        fred="correlation_drivers",
        api_key="k",
        fetch=fetch,
        min_history=5,
    )
    ind = data.indicators
    assert set(ind.columns) == {
        "term_spread", "policy_rate", "unemployment", "cpi_inflation", "credit_spread", "vix"
    }  # fmt: skip
    assert {p["series_id"] for p in calls} == set(CORRELATION_DRIVERS)
    # Inflation is FRED's year-on-year change; the levels elsewhere.
    assert {p["series_id"]: p.get("units") for p in calls}["CPIAUCSL"] == "pc1"
    assert all("units" not in p for p in calls if p["series_id"] != "CPIAUCSL")
    # Daily series: known the next business day (Friday 3 January -> Monday 6 January).
    assert ind["vix"].dropna().index[0] == pd.Timestamp("2020-01-03")
    assert ind.loc["2020-01-06", "term_spread"] == 1.1
    # November's unemployment: month end + 10 days (10 December); December's: 10 January.
    unemployment = ind["unemployment"].dropna()
    assert list(unemployment.index) == [pd.Timestamp("2019-12-10"), pd.Timestamp("2020-01-10")]
    # CPI: month end + 20 days (20 December, 20 January: after the prices end, so no
    # price date knows it).
    cpi = ind["cpi_inflation"].dropna()
    assert list(cpi.index) == [pd.Timestamp("2019-12-20"), pd.Timestamp("2020-01-20")]
    assert set(data.release_lags) == set(ind.columns)
    assert "UNRATE" in data.release_lags["unemployment"]
    with pytest.raises(ValueError, match="unknown FRED preset 'nope'"):
        load_market_data(
            "online", tickers=["AAA"], start="2020-01-01", end="2020-01-14", fred="nope",
            api_key="k", fetch=fetch, min_history=5,
        )  # fmt: skip
