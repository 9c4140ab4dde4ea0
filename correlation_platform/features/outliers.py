"""Robust outlier handling on returns: trailing median/MAD z-scores, winsorised and logged.

The median and MAD at t use the trailing window up to t only, so cleaning day t never
depends on later data (a full-sample MAD would leak the future into the past).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Winsorized:
    returns: pd.DataFrame
    report: pd.DataFrame  # date, asset, raw, clipped_to, robust_z


def winsorize_returns(
    returns: pd.DataFrame, z: float = 10.0, window: int = 252, min_periods: int = 63
) -> Winsorized:
    """Clip returns beyond ``z`` robust standard deviations of the trailing window."""
    med = returns.rolling(window, min_periods=min_periods).median()
    mad = (returns - med).abs().rolling(window, min_periods=min_periods).median() * MAD_TO_SIGMA
    mad = mad.where(mad > 0)
    robust_z = (returns - med) / mad
    upper, lower = med + z * mad, med - z * mad
    clipped = returns.clip(lower=lower, upper=upper, axis=None)
    clipped = clipped.where(robust_z.notna(), returns)
    hit = (robust_z.abs() > z) & robust_z.notna()
    rows = []
    for date, asset in zip(*np.nonzero(hit.to_numpy()), strict=True):
        rows.append(
            {
                "date": returns.index[date],
                "asset": returns.columns[asset],
                "raw": float(returns.iat[date, asset]),
                "clipped_to": float(clipped.iat[date, asset]),
                "robust_z": float(robust_z.iat[date, asset]),
            }
        )
    report = pd.DataFrame(rows, columns=["date", "asset", "raw", "clipped_to", "robust_z"])
    return Winsorized(clipped, report)
