"""Inputs to the optimiser besides correlation: volatility forecasts and covariance D R D."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.linalg import corr_to_cov


def ewma_volatility_forecast(returns: pd.DataFrame, halflife: float = 21.0) -> pd.Series:
    """Daily volatility forecast per asset: EWMA of squared returns up to the last row."""
    var = (returns**2).ewm(halflife=halflife, adjust=True).mean().iloc[-1]
    return np.sqrt(var).rename("daily_volatility")


def covariance_from(correlation: pd.DataFrame, volatility: pd.Series) -> pd.DataFrame:
    vol = volatility.reindex(correlation.columns).to_numpy(float)
    return corr_to_cov(correlation, vol)
