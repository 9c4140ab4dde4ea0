"""The pre-trade gate: every rule blocks, says why, and a clean book passes."""

import numpy as np
import pandas as pd
import pytest

from correlation_platform.portfolio import (
    PretradeLimits,
    portfolio_constraints,
    pretrade_check,
    rebalance_orders,
    weight_violations,
)

ASSETS = ["AAA", "BBB", "CCC", "DDD"]
SECTORS = pd.Series(["x", "x", "y", "y"], index=ASSETS)


def _prices(last=(50.0, 20.0, 80.0, 10.0)) -> pd.DataFrame:
    index = pd.bdate_range("2024-01-01", periods=2)
    return pd.DataFrame([[50.0, 20.0, 80.0, 10.0], list(last)], index=index, columns=ASSETS)


def _case(target=(0.25, 0.25, 0.25, 0.25), last=(50.0, 20.0, 80.0, 10.0), current=None, **kw):
    weights = pd.Series(target, index=ASSETS)
    constraints = portfolio_constraints(
        ASSETS, bounds=(0.0, 0.4), sectors=SECTORS, sector_cap=0.6, max_turnover=0.5
    )
    prices = _prices(last)
    last_row = prices.iloc[-1]
    valid = np.isfinite(last_row).all() and (last_row > 0).all()
    orders = (
        rebalance_orders(current, weights, nav=1e6, prices=last_row)
        if valid
        else pd.DataFrame(columns=["asset", "notional"])
    )
    return pretrade_check(
        orders,
        target_weights=weights,
        prices=prices,
        nav=1e6,
        constraints=constraints,
        current_weights=current,
        **kw,
    )


def test_a_clean_rebalance_passes():
    assert _case().passed


def test_a_bad_tick_blocks_unless_a_corporate_action_explains_it():
    ticked = _case(last=(50.0, 2000.0, 80.0, 10.0))  # x100 print on BBB
    assert not ticked.passed
    assert any("BBB: price moved 9900%" in v and "bad tick" in v for v in ticked.violations)
    split = _case(last=(25.0, 20.0, 80.0, 10.0))  # 2:1 split on AAA, -50% exactly
    assert split.passed  # at the limit, not beyond
    reverse_split = _case(last=(50.0, 20.0, 80.0, 2.0))
    assert not reverse_split.passed
    assert _case(last=(50.0, 20.0, 80.0, 2.0), corporate_actions={"DDD"}).passed


@pytest.mark.parametrize("value", [np.inf, np.nan, 0.0, -1.0])
def test_a_non_finite_or_non_positive_price_blocks(value):
    res = _case(last=(50.0, value, 80.0, 10.0))
    assert not res.passed and any(v.startswith("BBB: last price") for v in res.violations)


def test_weights_breaking_any_constraint_block():
    assert any("above the upper bound" in v for v in _case(target=(0.5, 0.1, 0.2, 0.2)).violations)
    assert any(
        "sector x holds 0.7000" in v for v in _case(target=(0.35, 0.35, 0.15, 0.15)).violations
    )
    assert any("sum to" in v for v in _case(target=(0.3, 0.3, 0.3, 0.3)).violations)
    current = pd.Series([0.4, 0.1, 0.4, 0.1], index=ASSETS)
    churn = _case(target=(0.1, 0.4, 0.1, 0.4), current=current)
    assert any("turnover 1.2000 > limit 0.5" in v for v in churn.violations)


def test_an_order_above_the_share_of_nav_blocks():
    res = _case(limits=PretradeLimits(max_order_share=0.2))
    assert not res.passed and sum("of NAV exceeds" in v for v in res.violations) == 4
    with pytest.raises(ValueError, match="max_order_share must be in"):
        PretradeLimits(max_order_share=0.0)


def test_orders_refuse_an_infinite_price_instead_of_dropping_the_trade():
    weights = pd.Series(0.25, index=ASSETS)
    last = _prices((50.0, np.inf, 80.0, 10.0)).iloc[-1]
    with pytest.raises(ValueError, match="no valid price for 'BBB': inf"):
        rebalance_orders(None, weights, nav=1e6, prices=last)


def test_weight_violations_sees_nan():
    constraints = portfolio_constraints(ASSETS)
    assert weight_violations(pd.Series([0.5, np.nan, 0.25, 0.25], index=ASSETS), constraints)
