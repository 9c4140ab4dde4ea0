import numpy as np
import pandas as pd
import pytest

from correlation_platform.data import DataValidationError, load_market_data
from correlation_platform.data.bundled import GICS_SECTORS


def test_bundled_window_and_universe(bundled_market):
    p = bundled_market.prices
    assert p.shape[1] == 20
    assert p.index[0] >= pd.Timestamp("1999-01-01") and p.index[0] < pd.Timestamp("1999-01-10")
    assert p.index[-1] == pd.Timestamp("2018-11-30")
    assert p.index.name == "date" and p.index.is_monotonic_increasing
    assert (p.dtypes == "float64").all() and not p.isna().any().any()
    assert bundled_market.benchmark is not None and bundled_market.benchmark.index.equals(p.index)


def test_bundled_sector_tree_is_gics(bundled_market):
    s = bundled_market.sectors
    assert s.loc["AAPL", "sector"] == "Information Technology"
    assert s.loc["RRC", "sector"] == "Energy"
    assert set(s.loc[s["sector"] == "Health Care", "asset"]) == {"JNJ", "LLY", "MRK", "PFE", "UNH"}
    assert s["sector"].to_dict() == {a: GICS_SECTORS[a] for a in s.index}


def test_core_cpi_appears_mid_following_month(bundled_market):
    cpi = bundled_market.indicators["core_cpi"].dropna()
    # October 2018 core CPI is stamped ~15 days after October ends (2018-11-15), never before.
    assert pd.Timestamp("2018-11-15") in cpi.index
    assert not (
        (cpi.index > pd.Timestamp("2018-10-31")) & (cpi.index < pd.Timestamp("2018-11-15"))
    ).any()
    assert (cpi.index.day >= 15).all()


def test_credit_spread_known_next_business_day_after_month_end(bundled_market):
    spread = bundled_market.indicators["credit_spread"].dropna()
    assert pd.Timestamp("2018-11-01") in spread.index  # October average
    assert (spread.index.day <= 4).all()
    raw = __import__("arch.data.default", fromlist=["load"]).load()
    oct_2018 = raw.loc["2018-10-01"]
    assert spread.loc["2018-11-01"] == pytest.approx(oct_2018["BAA"] - oct_2018["AAA"])


def test_vix_is_real_from_2014_and_a_proxy_before(bundled_market):
    ind = bundled_market.indicators
    assert (ind.loc[:"2013-12-31", "vix_is_proxy"].dropna() == 1.0).all()
    assert (ind.loc["2014-01-03":, "vix_is_proxy"].dropna() == 0.0).all()
    vix = __import__("arch.data.vix", fromlist=["load"]).load()["vix"]
    assert ind.loc["2015-08-24", "vix"] == pytest.approx(vix.loc["2015-08-24"])


def test_vix_proxy_uses_no_future_index_prices(bundled_market):
    from correlation_platform.data.bundled import _vix_with_proxy

    close = bundled_market.benchmark
    t = pd.Timestamp("2008-06-30")
    altered = close.copy()
    altered.loc[altered.index > t] *= np.linspace(0.5, 2.0, int((altered.index > t).sum()))
    a, b = _vix_with_proxy(close).loc[:t, "vix"], _vix_with_proxy(altered).loc[:t, "vix"]
    pd.testing.assert_series_equal(a, b)


def test_unknown_asset_is_a_clear_error():
    with pytest.raises(DataValidationError, match=r"unknown-assets.*NOPE"):
        load_market_data("bundled", assets=["AAPL", "NOPE"])


def test_unknown_source():
    with pytest.raises(ValueError, match="unknown data source 'nowhere'"):
        load_market_data("nowhere")
