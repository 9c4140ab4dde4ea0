import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import (
    CASH,
    Book,
    apply_fills,
    book_orders,
    paper_fills,
    read_fills,
    read_shares_csv,
    reconcile,
    starting_book,
)

DAY = pd.Timestamp("2024-03-01")
PRICES = pd.Series({"A": 100.0, "B": 50.0, "C": 20.0})


def test_orders_from_cash_reach_the_target_in_whole_lots_and_pay_their_costs():
    book = starting_book(list(PRICES.index), date=DAY, cash=100_000.0)
    target = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    orders = book_orders(book, target, PRICES, lot_size=10, cost_bps=10)
    assert (orders["quantity"] % 10 == 0).all() and set(orders["side"]) == {"BUY"}
    assert list(orders["order_id"]) == [f"20240301-{a}-BUY" for a in orders["asset"]]
    fills = paper_fills(orders, PRICES, cost_bps=10)
    after = apply_fills(book, fills, date=DAY)
    assert after.cash >= 0  # sized on NAV net of costs
    held = after.weights(PRICES)
    assert (held <= target + 1e-12).all()  # truncation never overshoots
    assert np.abs(held - target).max() < 10 * 100 / 100_000 + 1e-3  # within a lot
    assert after.nav(PRICES) == pytest.approx(100_000 - fills["cost"].sum())


def test_nav_identity_and_round_trip_through_the_stored_frame():
    book = Book(DAY, pd.Series({"A": 10.0, "B": -4.0, "C": 0.0}), 1234.5)
    frame = book.to_frame(PRICES)
    assert frame.loc[CASH, "value"] == 1234.5
    assert frame["value"].sum() == pytest.approx(1234.5 + 1000 - 200)
    assert frame["weight"].sum() == pytest.approx(1.0)
    back = Book.from_frame(frame, DAY)
    pd.testing.assert_series_equal(back.shares, book.shares, check_names=False)
    assert back.cash == book.cash


def test_rerunning_a_day_gives_identical_orders():
    book = starting_book(list(PRICES.index), date=DAY, cash=1e6, shares=pd.Series({"A": 3000.0}))
    target = pd.Series({"A": 0.2, "B": 0.4, "C": 0.4})
    a = book_orders(book, target, PRICES, min_trade_notional=500)
    b = book_orders(book, target, PRICES, min_trade_notional=500)
    pd.testing.assert_frame_equal(a, b)
    assert a.set_index("asset").loc["A", "side"] == "SELL"


def test_min_notional_drops_small_trades():
    book = starting_book(
        list(PRICES.index), date=DAY, cash=0.0, shares=pd.Series({"A": 500.0, "B": 1000.0})
    )
    target = pd.Series({"A": 0.5, "B": 0.4995, "C": 0.0005})  # C: 50 notional
    orders = book_orders(book, target, PRICES, min_trade_notional=100)
    assert "C" not in set(orders["asset"])


def test_external_fills_are_checked_against_the_orders(tmp_path):
    book = starting_book(list(PRICES.index), date=DAY, cash=1e5)
    orders = book_orders(book, pd.Series({"A": 0.5, "B": 0.5, "C": 0.0}), PRICES)
    path = tmp_path / "fills.csv"
    partial = orders.assign(
        quantity=orders["quantity"] // 2, price=orders["price"] * 1.01, cost=1.0
    )
    partial[["order_id", "asset", "side", "quantity", "price", "cost"]].to_csv(path, index=False)
    fills = read_fills(path, orders)
    after = apply_fills(book, fills, date=DAY + pd.offsets.BDay(1))
    assert after.cash == pytest.approx(1e5 - fills["notional"].sum() - 2.0)
    over = orders.assign(quantity=orders["quantity"] + 1, cost=0.0)
    over[["order_id", "asset", "side", "quantity", "price", "cost"]].to_csv(path, index=False)
    with pytest.raises(ValueError, match="quantity"):
        read_fills(path, orders)
    orders.assign(order_id="nope", cost=0.0)[
        ["order_id", "asset", "side", "quantity", "price", "cost"]
    ].to_csv(path, index=False)
    with pytest.raises(ValueError, match="matches no order"):
        read_fills(path, orders)


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="CASH"):
        Book(DAY, pd.Series({CASH: 1.0}), 0.0)
    with pytest.raises(ValueError, match="outside the universe"):
        starting_book(["A"], date=DAY, cash=1.0, shares=pd.Series({"Z": 1.0}))
    with pytest.raises(ValueError, match="lot_size"):
        book_orders(
            starting_book(["A"], date=DAY, cash=1.0), pd.Series({"A": 1.0}), PRICES, lot_size=0
        )
    book = Book(DAY, pd.Series({"A": 1.0, "B": 0.0, "C": 0.0}), 0.0)
    with pytest.raises(ValueError, match="no valid price"):
        book.nav(PRICES.drop("A"))
    path = tmp_path / "shares.csv"
    path.write_text("asset,shares\nA,10\nA,3\n")
    with pytest.raises(ValueError, match="duplicate"):
        read_shares_csv(path)


def test_reconcile_reports_drift_from_the_target():
    book = Book(DAY, pd.Series({"A": 500.0, "B": 1000.0, "C": 0.0}), 0.0)
    rec = reconcile(book, PRICES, target_weights=pd.Series({"A": 0.4, "B": 0.6, "C": 0.0}))
    assert rec.loc["A", "held"] == pytest.approx(0.5)
    assert rec.loc["A", "drift"] == pytest.approx(0.1)
    assert rec.loc[CASH, "drift"] == pytest.approx(0.0)
