import numpy as np
import pytest

from correlation_platform.data import load_market_data
from correlation_platform.data.synthetic import block_correlation, simulate_market
from correlation_platform.features import simple_returns
from correlation_platform.linalg import is_correlation_matrix


def test_deterministic_per_seed():
    a = simulate_market(5, 300, "regime", seed=3)
    b = simulate_market(5, 300, "regime", seed=3)
    c = simulate_market(5, 300, "regime", seed=4)
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
    m = simulate_market(6, 20000, "constant", seed=0)
    r = simple_returns(m.prices).to_numpy()
    sample = np.corrcoef(r, rowvar=False)
    # Simple returns of Gaussian shocks: sampling error ~ 1/sqrt(T) = 0.007.
    np.testing.assert_allclose(sample, m.true_correlation[0], atol=0.03)


def test_block_correlation_is_positive_definite():
    assert np.linalg.eigvalsh(block_correlation(50, 0.85, 0.65))[0] > 0


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown synthetic kind"):
        simulate_market(3, 100, "nope")
