"""The order asset writes nothing when the pre-trade check fails, and says why."""

import json

import pandas as pd
import pytest
from dagster import Failure, build_asset_context

from correlation_platform.orchestration.assets.predictions import rebalance_orders
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform.portfolio import starting_book

ASSETS = ["AAA", "BBB", "CCC", "DDD"]
DATES = pd.bdate_range("2018-11-26", periods=5)
DAY = str(DATES[-1].date())


def _prices(last_bbb: float) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"AAA": 50.0, "BBB": 20.0, "CCC": 80.0, "DDD": 10.0}, index=DATES, dtype=float
    )
    frame.iloc[-1, 1] = last_bbb
    return frame


def _run(prices: pd.DataFrame):
    weights = pd.DataFrame({"weight": 0.25}, index=ASSETS)
    book = starting_book(ASSETS, date=DATES[-1], cash=1e6).to_frame(prices.iloc[-2])
    return rebalance_orders(
        build_asset_context(partition_key=DAY),
        target_weights=weights,
        portfolio_book=book,
        clean_prices=prices,
        market_data=MarketDataResource(source="synthetic"),
        settings=PlatformSettings(),
    )


def test_a_bad_last_print_blocks_every_order_and_raises_an_alert(corrplat_home):
    with pytest.raises(Failure, match=r"pre-trade check blocked every order: BBB: price moved"):
        _run(_prices(2000.0))  # a x100 tick on the last day
    assert not (corrplat_home / "outbox" / DAY).exists()
    alert = json.loads((corrplat_home / "alerts" / f"pretrade_blocked-{DAY}.json").read_text())
    assert any("bad tick" in v for v in alert["violations"])


def test_an_infinite_price_blocks_instead_of_dropping_the_order(corrplat_home):
    with pytest.raises(Failure, match=r"BBB: last price inf is not a finite positive number"):
        _run(_prices(float("inf")))
    assert not (corrplat_home / "outbox" / DAY).exists()


def test_clean_prices_write_the_orders(corrplat_home):
    out = _run(_prices(20.5))
    orders = out.value
    assert set(orders["asset"]) == set(ASSETS)
    assert (corrplat_home / "outbox" / DAY / "orders.csv").exists()
