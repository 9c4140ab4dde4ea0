"""Performance metrics of a daily return series (risk-free rate 0, 252 days a year).

Conventions follow empyrical (checked against it in the tests): the annual return is the
geometric (CAGR) one, Sharpe and Sortino use the arithmetic mean, Sortino's downside risk
is the root mean square of the negative returns, and drawdowns count from a starting
wealth of 1 (a loss on the first day is a drawdown).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.units import TRADING_DAYS

#: Rolling window of the realised volatility compared with a volatility target (a quarter).
TRACKING_WINDOW = 63
#: A realised volatility within this relative band of the target counts as "on target".
TRACKING_BAND = 0.20


def drawdown(returns: pd.Series) -> pd.Series:
    """Drawdown from the running peak of wealth, starting from a wealth of 1.

    Parameters
    ----------
    returns : pd.Series
        Simple returns per period.

    Returns
    -------
    pd.Series
        Wealth / running peak - 1 (<= 0), same index as ``returns``.
    """
    wealth = (1.0 + returns).cumprod()
    return wealth / np.maximum(wealth.cummax(), 1.0) - 1.0


def performance_metrics(
    returns: pd.Series,
    turnover: pd.Series | None = None,
    *,
    target_volatility: float | None = None,
) -> dict[str, float]:
    """Annualised performance of a daily return series.

    Parameters
    ----------
    returns : pd.Series
        Daily simple returns (NaN dropped).
    turnover : pd.Series, optional
        Turnover per rebalance (sum of absolute weight changes).
    target_volatility : float, optional
        Annualised volatility target; adds ``realized_vs_target_volatility`` (realised /
        target) and ``share_on_target`` (the share of days whose trailing 63-day realised
        volatility lies within +-20% of the target).

    Returns
    -------
    dict
        ``annual_return``, ``annual_volatility``, ``sharpe``, ``sortino``,
        ``max_drawdown``, ``calmar`` (annual return / |max drawdown|), turnover figures
        and the target-tracking figures when asked.
    """
    clean = returns.dropna()
    r = clean.to_numpy(dtype=float)
    n = len(r)
    if n < 2:
        raise ValueError("need at least two returns to compute metrics")
    mean, std = r.mean(), r.std(ddof=1)
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    years = n / TRADING_DAYS
    annual_return = float(np.prod(1.0 + r) ** (1.0 / years) - 1.0)
    max_dd = float(drawdown(clean).min())
    out = {
        "annual_return": annual_return,
        "annual_volatility": float(std * np.sqrt(TRADING_DAYS)),
        "sharpe": float(mean / std * np.sqrt(TRADING_DAYS)) if std > 0 else float("nan"),
        "sortino": float(mean / downside * np.sqrt(TRADING_DAYS)) if downside > 0 else float("nan"),
        "max_drawdown": max_dd,
        "calmar": annual_return / abs(max_dd) if max_dd < 0 else float("nan"),
    }
    if turnover is not None and len(turnover):
        out["mean_turnover"] = float(turnover.mean())
        out["annual_turnover"] = float(turnover.sum() / years)
    if target_volatility is not None:
        out.update(target_tracking(clean, target_volatility))
    return out


def rolling_volatility(returns: pd.Series, *, window: int = TRADING_DAYS) -> pd.Series:
    """Trailing annualised realised volatility over ``window`` days (NaN before a full one).

    Parameters
    ----------
    returns : pandas.Series
        Daily returns.
    window : int, default TRADING_DAYS
        Days per window.

    Returns
    -------
    pandas.Series
        Annualised volatility by date.
    """
    return returns.rolling(window).std() * np.sqrt(TRADING_DAYS)


def target_tracking(returns: pd.Series, target_volatility: float) -> dict[str, float]:
    """How closely a strategy's realised volatility follows its annualised target.

    Parameters
    ----------
    returns : pd.Series
        Daily returns.
    target_volatility : float
        Annualised target (> 0).

    Returns
    -------
    dict
        ``realized_vs_target_volatility``: whole-sample realised / target;
        ``share_on_target``: the share of days (with a full 63-day window) whose trailing
        realised volatility is within +-20% of the target.
    """
    if not target_volatility > 0:
        raise ValueError(f"target_volatility must be > 0, got {target_volatility}")
    realised = float(returns.std() * np.sqrt(TRADING_DAYS))
    rolling = rolling_volatility(returns, window=TRACKING_WINDOW).dropna() / target_volatility
    on_target = float(((rolling - 1.0).abs() <= TRACKING_BAND).mean()) if len(rolling) else np.nan
    return {
        "realized_vs_target_volatility": realised / target_volatility,
        "share_on_target": on_target,
    }


def relative_metrics(returns: pd.Series, benchmark: pd.Series) -> dict[str, float]:
    """Information ratio and tracking error of ``returns`` against ``benchmark``.

    Parameters
    ----------
    returns, benchmark : pd.Series
        Daily returns, aligned on their common dates.

    Returns
    -------
    dict
        ``tracking_error`` (annualised std of the active return) and
        ``information_ratio`` (annualised mean active return / tracking error).
    """
    active = (returns - benchmark).dropna().to_numpy(dtype=float)
    te = active.std(ddof=1) * np.sqrt(TRADING_DAYS)
    ir = active.mean() * TRADING_DAYS / te if te > 0 else 0.0
    return {"tracking_error": float(te), "information_ratio": float(ir)}
