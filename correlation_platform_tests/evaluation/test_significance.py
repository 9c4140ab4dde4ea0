"""Sharpe-ratio tests: closed forms worked by hand, then size and power by simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from correlation_platform.evaluation import (
    deflated_sharpe_ratio,
    holm_adjust,
    jobson_korkie_memmel,
    probabilistic_sharpe_ratio,
    sharpe_difference_test,
)
from correlation_platform.evaluation.significance import (
    block_size_rule,
    expected_maximum_sharpe,
    newey_west_lags,
)

A = np.array([0.02, -0.01, 0.03, 0.00, -0.02, 0.01, 0.04, -0.03, 0.02, 0.01, -0.01, 0.02])
B = np.array([0.01, 0.00, 0.01, -0.01, -0.01, 0.02, 0.02, -0.02, 0.01, 0.00, 0.00, 0.01])


def test_ledoit_wolf_hac_by_hand_without_lags():
    t = len(A)
    mu_a, mu_b = A.mean(), B.mean()
    g_a, g_b = (A**2).mean(), (B**2).mean()
    sd_a, sd_b = np.sqrt(g_a - mu_a**2), np.sqrt(g_b - mu_b**2)
    grad = np.array([g_a / sd_a**3, -g_b / sd_b**3, -0.5 * mu_a / sd_a**3, 0.5 * mu_b / sd_b**3])
    y = np.column_stack([A, B, A**2, B**2])
    psi = np.cov(y, rowvar=False, ddof=0)
    se = np.sqrt(grad @ psi @ grad / t)
    diff = mu_a / sd_a - mu_b / sd_b
    res = sharpe_difference_test(A, B, lags=0)
    assert res.difference == pytest.approx(diff)
    assert res.standard_error == pytest.approx(se)
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(abs(diff / se)))


def test_jobson_korkie_memmel_by_hand():
    t = len(A)
    ma, mb, sa, sb = A.mean(), B.mean(), A.std(), B.std()
    sab = np.mean((A - ma) * (B - mb))
    theta = (
        2 * sa**2 * sb**2 - 2 * sa * sb * sab + 0.5 * ma**2 * sb**2 + 0.5 * mb**2 * sa**2
        - ma * mb / (2 * sa * sb) * (sab**2 + sa**2 * sb**2)
    ) / t  # fmt: skip
    z = (sb * ma - sa * mb) / np.sqrt(theta)
    res = jobson_korkie_memmel(A, B)
    assert res.statistic == pytest.approx(z)
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert "iid normal" in res.assumption


def test_probabilistic_and_deflated_sharpe_by_hand():
    t = len(A)
    sr = A.mean() / A.std(ddof=1)
    skew = np.mean((A - A.mean()) ** 3) / A.std() ** 3
    kurt = np.mean((A - A.mean()) ** 4) / A.std() ** 4
    z = (sr - 0.05) * np.sqrt(t - 1) / np.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert probabilistic_sharpe_ratio(A, benchmark_sharpe=0.05).probability == pytest.approx(
        stats.norm.cdf(z)
    )
    # Expected maximum of K = 10 unskilled Sharpe ratios with variance 0.01, by hand.
    g = 0.5772156649015329
    sr0 = 0.1 * ((1 - g) * stats.norm.ppf(0.9) + g * stats.norm.ppf(1 - 1 / (10 * np.e)))
    assert expected_maximum_sharpe(10, 0.01) == pytest.approx(sr0)
    dsr = deflated_sharpe_ratio(A, 10, 0.01)
    assert dsr.benchmark_sharpe == pytest.approx(sr0)
    assert dsr.probability == pytest.approx(
        probabilistic_sharpe_ratio(A, benchmark_sharpe=sr0).probability
    )
    # More trials, a higher bar, a lower DSR.
    assert deflated_sharpe_ratio(A, 100, 0.01).probability < dsr.probability
    with pytest.raises(ValueError, match="n_trials must be >= 2"):
        deflated_sharpe_ratio(A, 1, 0.01)


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.9])
    expected = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm_adjust(p), expected)
    with_nan = holm_adjust(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02)


def test_newey_west_rule():
    assert newey_west_lags(100) == 4 and newey_west_lags(5000) == 9


@pytest.mark.parametrize("lags", [1, 3, 7])
def test_ledoit_wolf_hac_with_lags_matches_statsmodels_newey_west(lags):
    # statsmodels' Bartlett-kernel long-run covariance of the demeaned moment series is an
    # independent implementation of Ledoit-Wolf (2008, eq. 9)'s Psi.
    from statsmodels.stats.sandwich_covariance import S_hac_simple

    rng = np.random.default_rng(lags)
    e = rng.standard_t(5, size=(500, 2))
    a = 0.001 + 0.01 * e[:, 0]
    b = 0.0005 + 0.01 * (0.6 * e[:, 0] + 0.8 * e[:, 1])
    a[1:] += 0.4 * a[:-1]  # serial dependence, so the lag terms matter
    y = np.column_stack([a, b, a**2, b**2])
    mu_a, mu_b, g_a, g_b = y.mean(axis=0)
    va, vb = g_a - mu_a**2, g_b - mu_b**2
    grad = np.array([g_a / va**1.5, -g_b / vb**1.5, -0.5 * mu_a / va**1.5, 0.5 * mu_b / vb**1.5])
    psi = S_hac_simple(y - y.mean(axis=0), nlags=lags) / len(y)
    se = np.sqrt(grad @ psi @ grad / len(y))
    res = sharpe_difference_test(a, b, lags=lags)
    assert res.standard_error == pytest.approx(se, rel=1e-10)
    assert res.standard_error != pytest.approx(sharpe_difference_test(a, b, lags=0).standard_error)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_holm_matches_statsmodels_on_random_pvalues(p):
    p = np.array(p)
    np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1], atol=1e-12)


def test_holm_step_down_is_monotone_worked_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04: the last is
    # lifted to the running maximum 0.06 (a larger raw p-value never gets a smaller one).
    np.testing.assert_allclose(
        holm_adjust(np.array([0.01, 0.04, 0.03, 0.005])), [0.03, 0.06, 0.06, 0.02]
    )


@pytest.mark.parametrize(("n_obs", "block"), [(5, 2), (27, 3), (100, 5), (1000, 10), (5000, 17)])
def test_bootstrap_block_rule_is_the_cube_root(n_obs, block):
    assert block_size_rule(n_obs) == block


def _pair(rng, t, shift=0.0):
    """Heavy-tailed (t5), correlated (0.7), volatility-clustered returns with equal Sharpe
    ratios unless ``shift`` (per-period Sharpe added to b)."""
    e = rng.standard_t(5, size=(t, 2)) / np.sqrt(5 / 3)
    e[:, 1] = 0.7 * e[:, 0] + np.sqrt(1 - 0.49) * e[:, 1]
    log_vol = np.convolve(rng.normal(0, 0.25, t + 49), np.ones(50) / np.sqrt(50), "valid")
    vol = np.exp(log_vol)
    a = vol * (0.05 + e[:, 0])
    b = vol * (0.05 + shift + e[:, 1])
    return a, b


@pytest.mark.parametrize(("method", "sims", "reps"), [("hac", 400, 0), ("bootstrap", 120, 199)])
def test_size_and_power_by_simulation(method, sims, reps):
    rng = np.random.default_rng(11)
    kwargs = {"method": method} | ({"reps": reps} if reps else {})
    rejections = [
        sharpe_difference_test(*_pair(rng, 500), **kwargs).pvalue < 0.05 for _ in range(sims)
    ]
    size = np.mean(rejections)
    assert 0.01 <= size <= 0.10, size
    power = np.mean(
        [sharpe_difference_test(*_pair(rng, 500, 0.15), **kwargs).pvalue < 0.05 for _ in range(60)]
    )
    assert power >= 0.8, power


def test_bootstrap_is_deterministic_per_seed_and_refuses_bad_input():
    rng = np.random.default_rng(3)
    a, b = _pair(rng, 300)
    first = sharpe_difference_test(a, b, method="bootstrap", reps=99, seed=4)
    again = sharpe_difference_test(a, b, method="bootstrap", reps=99, seed=4)
    assert first == again
    with pytest.raises(ValueError, match="unknown method 'wild'"):
        sharpe_difference_test(a, b, method="wild")
    with pytest.raises(ValueError, match="at least 10 paired returns"):
        sharpe_difference_test(a[:5], b[:5])
    with pytest.raises(ValueError, match="zero variance"):
        sharpe_difference_test(np.ones(50) * 0.01, b[:50])
