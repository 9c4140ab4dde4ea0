"""Optimiser inputs besides correlation: volatility forecasts, expected returns, D R D."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.features.returns import ewma_volatility
from correlation_platform.linalg import corr_to_cov

log = logging.getLogger(__name__)
VOLATILITY_MODELS = ("garch", "ewma")
EXPECTED_RETURNS = ("zero", "historical", "james_stein")


def ewma_volatility_forecast(returns: pd.DataFrame, halflife: float = 21.0) -> pd.Series:
    """Daily volatility forecast per asset: EWMA of squared returns up to the last row."""
    return ewma_volatility(returns, halflife, annualise=False).iloc[-1].rename("daily_volatility")


@dataclass(frozen=True)
class VolatilityForecast:
    daily_volatility: pd.Series
    model: pd.Series  # per asset: "garch" or "ewma (reason)"


def garch_volatility_forecast(
    returns: pd.DataFrame, horizon: int = 21, window: int = 1500
) -> VolatilityForecast:
    """Per asset GARCH(1,1) (``arch``), sqrt of the average variance over the next ``horizon``
    days; EWMA where GARCH fails to converge or is non-stationary (alpha + beta >= 1).

    Fitted on the last ``window`` returns, in percent (arch's preferred scale).
    """
    from arch import arch_model

    ewma = ewma_volatility_forecast(returns)
    vols, models = {}, {}
    for asset in returns.columns:
        series = returns[asset].iloc[-window:] * 100.0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = arch_model(
                    series, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=False
                ).fit(disp="off", show_warning=False)
            persistence = float(res.params["alpha[1]"] + res.params["beta[1]"])
            if res.convergence_flag != 0:
                raise RuntimeError(f"optimizer flag {res.convergence_flag}")
            if persistence >= 1.0:
                raise RuntimeError(f"alpha + beta = {persistence:.3f} >= 1")
            path = res.forecast(horizon=horizon, reindex=False).variance.iloc[-1].to_numpy()
            vols[asset] = float(np.sqrt(path.mean())) / 100.0
            models[asset] = "garch"
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            vols[asset] = float(ewma[asset])
            models[asset] = f"ewma ({exc})"
            log.warning("GARCH failed for %s, EWMA used instead: %s", asset, exc)
    return VolatilityForecast(
        pd.Series(vols, name="daily_volatility"), pd.Series(models, name="model")
    )


def expected_returns(
    returns: pd.DataFrame,
    method: str = "james_stein",
    views: pd.Series | None = None,
    window: int = 1260,
) -> pd.Series:
    """Daily expected returns: ``zero``, ``historical`` mean, or ``james_stein`` (the mean
    shrunk towards the cross-sectional grand mean with the James-Stein intensity).
    ``views`` (asset -> daily return) override the estimate where given.
    """
    if method not in EXPECTED_RETURNS:
        raise ValueError(
            f"unknown expected-return method {method!r}; available: {EXPECTED_RETURNS}"
        )
    x = returns.iloc[-window:]
    if method == "zero":
        mu = pd.Series(0.0, index=returns.columns)
    else:
        mu = x.mean()
        if method == "james_stein":
            n, t = x.shape[1], len(x)
            grand = mu.mean()
            spread = float(((mu - grand) ** 2).sum())
            noise = float(x.var().mean()) / t
            intensity = min(1.0, max(0.0, (n - 3) * noise / spread)) if spread > 0 else 1.0
            mu = (1 - intensity) * mu + intensity * grand
            mu.attrs["shrinkage"] = intensity
    if views is not None:
        unknown = sorted(set(views.index) - set(returns.columns))
        if unknown:
            raise ValueError(f"views for unknown assets {unknown}")
        mu = mu.copy()
        mu.loc[views.index] = views.to_numpy(float)
    return mu.rename("expected_return")


def covariance_from(correlation: pd.DataFrame, volatility: pd.Series) -> pd.DataFrame:
    vol = volatility.reindex(correlation.columns).to_numpy(float)
    return corr_to_cov(correlation, vol)
