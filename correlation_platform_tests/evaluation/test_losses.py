"""The GMV loss on forecasts a projection left singular (issue 16's grid points were skipped)."""

import numpy as np
import pytest

from correlation_platform.evaluation.losses import gmv_variance_losses, gmv_weights


def test_gmv_weights_match_the_closed_form_when_the_forecast_is_invertible():
    corr = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.0]])
    vols = np.array([0.01, 0.02, 0.015])
    cov = corr * np.outer(vols, vols)
    inv = np.linalg.inv(cov)
    expected = inv.sum(axis=1) / inv.sum()  # Sigma^-1 1 / (1' Sigma^-1 1)
    np.testing.assert_allclose(gmv_weights(corr, vols), expected, rtol=1e-12)


def test_a_singular_forecast_gets_the_riskless_portfolio_it_believes_in():
    # Two assets the forecast calls perfectly correlated: long the calm one, short the
    # other in the ratio of their volatilities is riskless (by hand: w1 = s2 / (s2 - s1)).
    corr = np.ones((2, 2))
    s1, s2 = 0.01, 0.03
    w = gmv_weights(corr, np.array([s1, s2]))
    np.testing.assert_allclose(w, [s2 / (s2 - s1), -s1 / (s2 - s1)], rtol=1e-10)
    # Three assets, two of them one (a rank-2 forecast): the weights still sum to one
    # and carry no forecast variance.
    corr3 = np.array([[1.0, 1.0, 0.2], [1.0, 1.0, 0.2], [0.2, 0.2, 1.0]])
    vols = np.array([0.01, 0.02, 0.015])
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(corr3 * np.outer(vols, vols), np.ones(3))
    w3 = gmv_weights(corr3, vols)
    assert w3.sum() == pytest.approx(1.0)
    assert w3 @ (corr3 * np.outer(vols, vols)) @ w3 == pytest.approx(0.0, abs=1e-18)
    # And the loss is the realised variance of that portfolio, not an error.
    rng = np.random.default_rng(0)
    future = rng.standard_normal((21, 3)) * vols
    loss = gmv_variance_losses(corr3[None], vols[None], [future])
    assert np.isfinite(loss).all() and loss[0] > 0
