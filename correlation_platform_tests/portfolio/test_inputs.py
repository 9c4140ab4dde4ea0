import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from correlation_platform.portfolio import (
    covariance_from,
    expected_returns,
    garch_volatility_forecast,
)


def test_garch_forecast_is_the_average_of_the_h_step_variances(regime_returns):
    h = 21
    ours = garch_volatility_forecast(regime_returns, horizon=h)
    asset = regime_returns.columns[0]
    res = arch_model(
        regime_returns[asset].iloc[-1500:] * 100,
        mean="Constant",
        vol="GARCH",
        p=1,
        q=1,
        rescale=False,
    ).fit(disp="off")
    omega, alpha, beta = res.params["omega"], res.params["alpha[1]"], res.params["beta[1]"]
    # Hand formula: E[s2_{t+k}] = s2_bar + (alpha + beta)^(k-1) (s2_{t+1} - s2_bar).
    s2_bar = omega / (1 - alpha - beta)
    resid = res.resid.iloc[-1]
    s2_next = omega + alpha * resid**2 + beta * res.conditional_volatility.iloc[-1] ** 2
    path = s2_bar + (alpha + beta) ** np.arange(h) * (s2_next - s2_bar)
    assert ours.model[asset] == "garch"
    assert ours.daily_volatility[asset] == pytest.approx(np.sqrt(path.mean()) / 100, rel=1e-6)


def test_garch_falls_back_to_ewma_with_a_reason():
    idx = pd.bdate_range("2020-01-01", periods=300)
    flat = pd.DataFrame(
        {"x": np.zeros(300), "y": np.random.default_rng(0).normal(0, 0.01, 300)}, index=idx
    )
    out = garch_volatility_forecast(flat)
    assert out.model["x"].startswith("ewma (")
    assert out.daily_volatility["x"] == 0.0


def test_james_stein_by_hand(regime_returns):
    mu = expected_returns(regime_returns, method="james_stein")
    m = regime_returns.mean()
    n, t = regime_returns.shape[1], len(regime_returns)
    k = min(1.0, (n - 3) * regime_returns.var().mean() / t / ((m - m.mean()) ** 2).sum())
    np.testing.assert_allclose(mu, (1 - k) * m + k * m.mean())
    assert mu.attrs["shrinkage"] == pytest.approx(k)
    assert (expected_returns(regime_returns, method="zero") == 0).all()
    viewed = expected_returns(regime_returns, method="historical", views=pd.Series({"A001": 0.001}))
    assert viewed["A001"] == 0.001 and viewed["A000"] == pytest.approx(m["A000"])
    with pytest.raises(ValueError, match="unknown assets"):
        expected_returns(regime_returns, views=pd.Series({"ZZZ": 0.0}))


def test_covariance_is_d_r_d():
    corr = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    cov = covariance_from(corr, pd.Series({"b": 0.2, "a": 0.1}))
    np.testing.assert_allclose(cov.to_numpy(), [[0.01, 0.01], [0.01, 0.04]])


def test_a_frozen_price_does_not_make_an_asset_look_riskless(regime_returns):
    from correlation_platform.portfolio import ewma_volatility_forecast, optimize_weights
    from correlation_platform.portfolio.inputs import FROZEN_RUN, frozen_days

    frozen = regime_returns.copy()
    frozen.iloc[-40:, 2] = 0.0  # a stale feed: the price has not moved for 40 days
    before = ewma_volatility_forecast(regime_returns.iloc[:-40])
    vol = ewma_volatility_forecast(frozen)
    # Held at its level from the first frozen-run days, not decayed towards zero.
    assert vol.iloc[2] > 0.8 * before.iloc[2]
    from correlation_platform.features.returns import ewma_volatility

    corr = regime_returns.corr()
    held = optimize_weights(corr * np.outer(vol, vol), objective="min_variance")
    decayed_vol = ewma_volatility(frozen, halflife=21.0, annualise=False).iloc[-1]  # no guard
    decayed = optimize_weights(corr * np.outer(decayed_vol, decayed_vol), objective="min_variance")
    assert decayed.iloc[2] > 0.4  # the stale asset looks nearly riskless and takes most
    assert held.iloc[2] < 0.5 * decayed.iloc[2]
    # Causal: the first FROZEN_RUN - 1 zeros are ordinary days, later ones are frozen.
    mask = frozen_days(frozen)
    assert not mask.iloc[-40 : -40 + FROZEN_RUN - 1, 2].any()
    assert mask.iloc[-40 + FROZEN_RUN - 1 :, 2].all()
