import numpy as np
import pandas as pd
import pytest

from correlation_platform.data import load_market_data
from correlation_platform.data.synthetic import block_correlation, simulate_market
from correlation_platform.features import simple_returns
from correlation_platform.linalg import is_correlation_matrix


def test_deterministic_per_seed():
    a = simulate_market(n_assets=5, n_days=300, kind="regime", seed=3)
    b = simulate_market(n_assets=5, n_days=300, kind="regime", seed=3)
    c = simulate_market(n_assets=5, n_days=300, kind="regime", seed=4)
    assert a.prices.equals(b.prices)
    np.testing.assert_array_equal(a.true_correlation, b.true_correlation)
    assert not a.prices.equals(c.prices)


def test_truth_is_valid_and_regimes_switch():
    m = load_market_data("synthetic", kind="regime", n_assets=8, n_days=2000, seed=1)
    assert m.true_correlation.shape == (2000, 8, 8)
    assert all(is_correlation_matrix(m.true_correlation[t]) for t in (0, 500, 1999))
    avg = m.true_correlation.mean(axis=(1, 2))
    assert len(np.unique(avg.round(8))) == 2  # both calm and stress days occur


def test_constant_market_sample_correlation_converges_to_truth():
    m = simulate_market(n_assets=6, n_days=20000, kind="constant", seed=0)
    r = simple_returns(m.prices).to_numpy()
    sample = np.corrcoef(r, rowvar=False)
    # Simple returns of Gaussian shocks: sampling error ~ 1/sqrt(T) = 0.007.
    np.testing.assert_allclose(sample, m.true_correlation[0], atol=0.03)


def test_block_correlation_is_positive_definite():
    assert np.linalg.eigvalsh(block_correlation(50, 0.85, 0.65))[0] > 0


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown synthetic kind"):
        simulate_market(n_assets=3, n_days=100, kind="nope")


@pytest.mark.parametrize("kind", ["constant", "regime", "dcc", "macro", "macro_null"])
def test_every_kind_has_valid_truth_and_is_deterministic(kind):
    a = simulate_market(n_assets=5, n_days=400, kind=kind, seed=2)
    b = simulate_market(n_assets=5, n_days=400, kind=kind, seed=2)
    assert a.prices.equals(b.prices) and a.indicators.equals(b.indicators)
    assert a.true_correlation.shape == (400, 5, 5)
    assert all(is_correlation_matrix(a.true_correlation[t].astype(float)) for t in (0, 199, 399))
    assert (a.prices > 0).all().all()


def test_macro_correlation_follows_the_published_indicators():
    m = simulate_market(n_assets=8, n_days=3000, kind="macro", seed=5)
    avg_truth = (m.true_correlation.sum(axis=(1, 2)) - 8) / 56
    known_vix = m.indicators["vix_like"].reindex(m.prices.index).ffill()
    # Truth on day t uses the indicator known at t-1: correlated with yesterday's VIX-like value.
    assert np.corrcoef(avg_truth[1:], np.log(known_vix.to_numpy()[:-1]))[0, 1] > 0.5
    # Inflation is stamped 15 days after month end, never on the month end itself.
    infl = m.indicators["inflation_like"].dropna()
    assert (infl.index.day >= 15).all()
    # Realised correlation moves with the truth: high-truth days have higher realised co-movement.
    r = simple_returns(m.prices).to_numpy()
    hi = avg_truth[1:] > np.median(avg_truth)
    assert np.corrcoef(r[hi], rowvar=False).mean() > np.corrcoef(r[~hi], rowvar=False).mean() + 0.1


def test_macro_null_ignores_indicators():
    m = simulate_market(n_assets=6, n_days=500, kind="macro_null", seed=5)
    assert np.ptp(m.true_correlation, axis=0).max() == 0.0
    assert list(m.indicators.columns) == ["vix_like", "credit_like", "inflation_like"]


def test_dcc_truth_recovers_its_persistence():
    m = simulate_market(n_assets=4, n_days=4000, kind="dcc", seed=9)
    q01 = m.true_correlation[:, 0, 1]
    # DCC correlation is mean-reverting with persistence a + b = 0.98 (AR(1) on Q, near it on R).
    x = q01 - q01.mean()
    phi = (x[1:] @ x[:-1]) / (x[:-1] @ x[:-1])
    assert 0.93 < phi < 0.995


def test_five_hundred_assets():
    m = simulate_market(n_assets=500, n_days=120, kind="regime", seed=1)
    assert m.prices.shape == (120, 500) and m.true_correlation.shape == (120, 500, 500)
    assert np.isfinite(m.prices.to_numpy()).all()


def test_the_contract_call_with_positional_arguments_still_works():
    # DESIGN.md section 2: data.synthetic.simulate_market(n_assets, n_days, kind, seed).
    a = simulate_market(6, 300, "constant", 3)
    b = simulate_market(n_assets=6, n_days=300, kind="constant", seed=3)
    pd.testing.assert_frame_equal(a.prices, b.prices)
