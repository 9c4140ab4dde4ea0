import numpy as np
import pandas as pd
import pytest
from scipy import stats

from correlation_platform.evaluation import comparison_table, decide_promotion, diebold_mariano


def test_diebold_mariano_hand_worked_example():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    b = np.array([2.0, 2.0, 4.0, 4.0, 7.0, 6.0])
    # d = [-1, 0, -1, 0, -2, 0], mean -2/3; h = 1 -> variance sum(dev^2)/T = (1/9 + 4/9 + 1/9 + 4/9 + 16/9 + 4/9)/6
    d = a - b
    mean = d.mean()
    var = np.sum((d - mean) ** 2) / 6
    dm = mean / np.sqrt(var / 6)
    hln = np.sqrt((6 + 1 - 2 + 0) / 6)
    res = diebold_mariano(a, b, horizon=1)
    assert mean == pytest.approx(-2 / 3) and var == pytest.approx(5 / 9)
    assert res.statistic == pytest.approx(dm * hln)
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(dm * hln), df=5))


def test_diebold_mariano_newey_west_lags():
    rng = np.random.default_rng(0)
    d = rng.standard_normal(200)
    res = diebold_mariano(d, np.zeros(200), horizon=3)
    dev = d - d.mean()
    lrv = (
        dev @ dev / 200
        + 2 * (2 / 3) * (dev[1:] @ dev[:-1]) / 200
        + 2 * (1 / 3) * (dev[2:] @ dev[:-2]) / 200
    )
    hln = np.sqrt((200 + 1 - 6 + 3 * 2 / 200) / 200)
    assert res.statistic == pytest.approx(d.mean() / np.sqrt(lrv / 200) * hln)


def test_promotion_rule_both_ways():
    rng = np.random.default_rng(1)
    champ = 1.0 + 0.1 * rng.standard_normal(300)
    much_better = champ - 0.05 + 0.01 * rng.standard_normal(300)
    up = decide_promotion(
        "historical", champ, "gbm", much_better, horizon=1, margin=0.01, alpha=0.1
    )
    assert up.promote and up.champion == "gbm" and up.challenger == "historical"
    tiny = champ - 0.001  # better, but below the margin
    stay = decide_promotion("historical", champ, "gbm", tiny, horizon=1, margin=0.01)
    assert not stay.promote and stay.champion == "historical" and "margin" in stay.reason
    noisy = champ - 0.02 + 0.5 * rng.standard_normal(300)  # big mean gain, no evidence
    noisy = noisy - noisy.mean() + champ.mean() * 0.97
    hold = decide_promotion("historical", champ, "gbm", noisy, horizon=1, margin=0.01, alpha=0.01)
    assert not hold.promote and "DM p" in hold.reason


def test_comparison_table_has_dm_and_mcs():
    rng = np.random.default_rng(2)
    idx = pd.bdate_range("2020-01-01", periods=250)
    base = 1 + 0.1 * rng.standard_normal(250)
    losses = pd.DataFrame(
        {
            "historical": base,
            "good": base - 0.1 + 0.02 * rng.standard_normal(250),
            "bad": base + 0.3,
        },
        index=idx,
    )
    table = comparison_table(losses, "historical", horizon=1)
    assert list(table.index) == ["good", "historical", "bad"]
    assert table.loc["good", "dm_stat"] < 0 and table.loc["good", "dm_pvalue"] < 0.01
    assert bool(table.loc["good", "in_mcs"]) and not bool(table.loc["bad", "in_mcs"])
    assert np.isnan(table.loc["historical", "dm_pvalue"])


def test_a_model_twice_in_the_mcs_shares_one_p_value():
    from correlation_platform.evaluation.comparison import model_confidence_set

    rng = np.random.default_rng(4)
    base = 1 + 0.1 * rng.standard_normal(250)
    losses = pd.DataFrame(
        {
            "historical": base,
            "good": base - 0.05 + 0.05 * rng.standard_normal(250),
            "bad": base + 0.3 + 0.05 * rng.standard_normal(250),
        }
    )
    alone = model_confidence_set(losses)
    # The same configuration reached twice (identical losses): arch alone divides 0 by 0.
    twice = model_confidence_set(losses.assign(good_again=losses["good"]))
    assert twice.loc["good_again", "mcs_pvalue"] == twice.loc["good", "mcs_pvalue"]
    pd.testing.assert_frame_equal(twice.loc[alone.index], alone)
    same = model_confidence_set(pd.DataFrame({"a": base, "b": base}))
    assert same["mcs_pvalue"].tolist() == [1.0, 1.0] and same["in_mcs"].all()
