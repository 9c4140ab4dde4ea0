"""The order path by property: random books, prices, targets, lot sizes and costs."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlation_platform.portfolio import (
    PretradeLimits,
    apply_fills,
    book_orders,
    paper_fills,
    rebalance_orders,
    starting_book,
)

DAY = pd.Timestamp("2024-03-01")
ASSETS = ["A", "B", "C", "D"]


@st.composite
def cases(draw, *, cash_only: bool = False):
    prices = pd.Series(
        draw(st.lists(st.floats(1.0, 500.0), min_size=4, max_size=4)), index=ASSETS
    ).round(2)
    held = (
        pd.Series(0.0, index=ASSETS)
        if cash_only
        else pd.Series(draw(st.lists(st.integers(0, 5_000), min_size=4, max_size=4)), ASSETS)
    )
    cash = draw(st.floats(1e3, 1e6))  # a zero NAV is refused by design
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))) + 1e-3
    target = pd.Series(raw / raw.sum(), index=ASSETS)
    lot = draw(st.sampled_from([1, 10, 100]))
    cost_bps = draw(st.sampled_from([0.0, 5.0, 25.0]))
    book = starting_book(ASSETS, date=DAY, cash=cash, shares=held.astype(float))
    return book, target, prices, lot, cost_bps


def _signed(orders: pd.DataFrame) -> pd.Series:
    sign = np.where(orders["side"] == "BUY", 1, -1)
    return pd.Series(sign * orders["quantity"].to_numpy(), index=orders["asset"]).reindex(
        ASSETS, fill_value=0
    )


@given(cases())
@settings(max_examples=150, deadline=None)
def test_orders_truncate_toward_the_target_in_whole_lots(case):
    book, target, prices, lot, cost_bps = case
    orders = book_orders(book, target, prices, lot_size=lot, cost_bps=cost_bps)
    qty = _signed(orders)
    assert (qty % lot == 0).all()
    nav = book.nav(prices)
    investable = nav - (target * nav - book.shares * prices).abs().sum() * cost_bps / 1e4
    wanted = target * investable / prices - book.shares  # shares the target asks for
    # Toward zero, never past the target, and less than one lot short of it.
    assert (np.sign(qty) * np.sign(wanted) >= 0).all()
    assert (qty.abs() <= wanted.abs() + 1e-6).all()
    assert ((wanted - qty).abs() < lot + 1e-6).all()


@given(cases())
@settings(max_examples=150, deadline=None)
def test_fills_conserve_value_less_costs(case):
    book, target, prices, lot, cost_bps = case
    orders = book_orders(book, target, prices, lot_size=lot, cost_bps=cost_bps)
    fills = paper_fills(orders, prices, cost_bps=cost_bps)
    after = apply_fills(book, fills, date=DAY)
    assert after.nav(prices) == pytest.approx(book.nav(prices) - fills["cost"].sum(), abs=1e-6)
    expected = orders["notional"].sum() * cost_bps / 1e4
    assert fills["cost"].sum() == pytest.approx(expected, abs=1e-9)


@given(cases(cash_only=True))
@settings(max_examples=150, deadline=None)
def test_buying_from_cash_never_overshoots_the_cash(case):
    book, target, prices, lot, cost_bps = case
    orders = book_orders(book, target, prices, lot_size=lot, cost_bps=cost_bps)
    assert set(orders["side"]) <= {"BUY"}
    after = apply_fills(book, paper_fills(orders, prices, cost_bps=cost_bps), date=DAY)
    assert after.cash >= -1e-6


@given(cases())
@settings(max_examples=100, deadline=None)
def test_weight_orders_truncate_toward_the_target(case):
    book, target, prices, _, cost_bps = case
    nav = book.nav(prices)
    current = book.shares * prices / nav
    orders = rebalance_orders(current, target, nav=nav, prices=prices, cost_bps=cost_bps)
    qty = _signed(orders)
    wanted = (target - current) * nav / prices
    assert (np.sign(qty) * np.sign(wanted) >= 0).all()
    assert (qty.abs() <= wanted.abs() + 1e-6).all() and ((wanted - qty).abs() < 1 + 1e-6).all()


def test_pretrade_limits_have_their_documented_defaults():
    limits = PretradeLimits()
    assert limits.max_order_share == 0.5 and limits.max_price_move == 0.5
