import pandas as pd
import pytest

from correlation_platform.portfolio import rebalance_orders


def test_orders_from_cash_and_from_a_book():
    target = pd.Series({"A": 0.6, "B": 0.4})
    prices = pd.Series({"A": 50.0, "B": 20.0})
    orders = rebalance_orders(None, target, nav=10_000, prices=prices, cost_bps=10).set_index(
        "asset"
    )
    assert orders.loc["A", "side"] == "BUY" and orders.loc["A", "quantity"] == 120
    assert orders.loc["B", "quantity"] == 200 and orders.loc["B", "notional"] == pytest.approx(4000)
    assert orders.loc["A", "estimated_cost"] == pytest.approx(6000 * 10 / 1e4)
    book = pd.Series({"A": 0.7, "B": 0.3})
    moved = rebalance_orders(book, target, nav=10_000, prices=prices).set_index("asset")
    assert moved.loc["A", "side"] == "SELL" and moved.loc["A", "quantity"] == 20
    assert moved.loc["B", "side"] == "BUY" and moved.loc["B", "quantity"] == 50


def test_small_trades_are_dropped_and_bad_prices_rejected():
    target = pd.Series({"A": 0.5, "B": 0.5})
    book = pd.Series({"A": 0.499, "B": 0.501})
    orders = rebalance_orders(
        book, target, nav=100_000, prices=pd.Series({"A": 1.0, "B": 1.0}), min_trade_notional=500
    )
    assert orders.empty
    with pytest.raises(ValueError, match="no valid price for 'B'"):
        rebalance_orders(None, target, prices=pd.Series({"A": 1.0}))
    with pytest.raises(ValueError, match="outside the target universe"):
        rebalance_orders(pd.Series({"Z": 1.0}), target, prices=pd.Series({"A": 1.0, "B": 1.0}))
