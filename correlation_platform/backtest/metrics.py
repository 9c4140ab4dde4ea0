"""Performance metrics of a daily return series (risk-free rate 0, 252 days a year)."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRADING_DAYS = 252


def drawdown(returns: pd.Series) -> pd.Series:
    wealth = (1.0 + returns).cumprod()
    return wealth / wealth.cummax() - 1.0


def performance_metrics(returns: pd.Series, turnover: pd.Series | None = None) -> dict[str, float]:
    r = returns.dropna().to_numpy(dtype=float)
    n = len(r)
    if n < 2:
        raise ValueError("need at least two returns to compute metrics")
    mean, std = r.mean(), r.std(ddof=1)
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    years = n / TRADING_DAYS
    out = {
        "annual_return": float(np.prod(1.0 + r) ** (1.0 / years) - 1.0),
        "annual_volatility": float(std * np.sqrt(TRADING_DAYS)),
        "sharpe": float(mean / std * np.sqrt(TRADING_DAYS)) if std > 0 else float("nan"),
        "sortino": float(mean / downside * np.sqrt(TRADING_DAYS)) if downside > 0 else float("nan"),
        "max_drawdown": float(drawdown(returns.dropna()).min()),
    }
    if turnover is not None and len(turnover):
        out["mean_turnover"] = float(turnover.mean())
        out["annual_turnover"] = float(turnover.sum() / years)
    return out


def relative_metrics(returns: pd.Series, benchmark: pd.Series) -> dict[str, float]:
    """Information ratio and tracking error of ``returns`` against ``benchmark``."""
    active = (returns - benchmark).dropna().to_numpy(dtype=float)
    te = active.std(ddof=1) * np.sqrt(TRADING_DAYS)
    ir = active.mean() * TRADING_DAYS / te if te > 0 else 0.0
    return {"tracking_error": float(te), "information_ratio": float(ir)}
