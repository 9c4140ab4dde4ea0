import numpy as np
import pandas as pd

from correlation_platform.backtest.conditions import CRISES, market_conditions, stress_days


def test_stress_uses_only_the_previous_close_and_the_history_so_far():
    dates = pd.bdate_range("2005-01-03", periods=800)
    rng = np.random.default_rng(0)
    vix = pd.Series(20 + rng.standard_normal(800).cumsum() * 0.3, index=dates)
    base = stress_days(vix, dates)
    altered = vix.copy()
    altered.iloc[500:] += 40.0  # the future changes a lot
    moved = stress_days(altered, dates)
    pd.testing.assert_series_equal(base.iloc[:501], moved.iloc[:501])
    assert moved.iloc[502:].eq(1.0).mean() > base.iloc[502:].eq(1.0).mean()
    # By hand for one day: yesterday's level against the 80th percentile of levels so far.
    t = 600
    expected = float(vix.iloc[t - 1] > vix.iloc[:t].quantile(0.8))
    assert base.iloc[t] == expected
    assert base.iloc[:252].isna().all()


def test_conditions_cover_named_crises_and_split_calm_from_stress():
    dates = pd.bdate_range("2006-01-02", "2012-12-31")
    vix = pd.Series(np.linspace(10, 30, len(dates)), index=dates)
    conditions = market_conditions(dates, indicator=vix)
    assert "financial crisis 2007-09" in conditions and "euro debt crisis 2011" in conditions
    assert "COVID crash 2020" not in conditions
    start, end = CRISES["financial crisis 2007-09"]
    inside = conditions["financial crisis 2007-09"]
    assert inside[start:end].all() and not inside[:"2007-09-28"].any()
    assert not (conditions["calm"] & conditions["stress"]).any()
    # A rising indicator is always at the top of its own history: stress once known.
    assert conditions["stress"].iloc[300:].all()
