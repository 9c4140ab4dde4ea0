"""Robust outlier handling on returns: trailing median/MAD z-scores, winsorised and logged.

The median and MAD at t use the trailing window up to t only, so cleaning day t never
depends on later data (a full-sample MAD would leak the future into the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

MAD_TO_SIGMA = 1.4826


#: Observations the pooled (all assets) warm-up statistics need before they are trusted.
MIN_POOLED = 10
#: A clipped return counts as reverted when the next day gives back at least this share.
REVERSAL_SHARE = 0.5
REPORT_COLUMNS = ["date", "asset", "raw", "clipped_to", "robust_z", "suspicion"]
#: Price ratios of common splits and reverse splits (new / old price).
SPLIT_RATIOS = (1 / 2, 1 / 3, 2 / 3, 1 / 4, 3 / 4, 4 / 5, 1 / 5, 1 / 10, 3 / 2, 2, 3, 4, 5, 10)
#: A day's market-relative price ratio this close to a split ratio looks like a split...
SPLIT_TOLERANCE = 0.015
#: ...when the move is at least this large (smaller moves are ordinary news).
SPLIT_MIN_MOVE = 0.15


@dataclass(frozen=True)
class Winsorized:
    """Clipped returns and one report row per clipped value.

    Attributes
    ----------
    returns : pd.DataFrame
        The winsorised returns.
    report : pd.DataFrame
        date, asset, raw, clipped_to, robust_z and ``suspicion``: "bad tick (reverts next
        day)", "reversal of the previous day's bad tick", "possible unadjusted split or
        corporate action (no reversal)", or "outlier" when the next day is not known yet.
    """

    returns: pd.DataFrame
    report: pd.DataFrame


def _warm_up_with_pooled_stats(
    x: np.ndarray, med: np.ndarray, mad: np.ndarray, min_periods: int
) -> None:
    """Fill the per-asset warm-up rows (fewer than ``min_periods`` observations).

    They get the median and MAD of every asset's returns so far, so a bad tick in the first
    weeks of a series is caught too; point in time (rows up to t only).
    """
    for t in range(min(min_periods, len(x))):
        missing = ~np.isfinite(med[t]) | ~np.isfinite(mad[t])
        if not missing.any():
            continue
        pool = x[: t + 1].ravel()
        pool = pool[np.isfinite(pool)]
        if len(pool) < MIN_POOLED:
            continue
        centre = float(np.median(pool))
        scale = float(np.median(np.abs(pool - centre))) * MAD_TO_SIGMA
        if scale > 0:
            med[t, missing] = centre
            mad[t, missing] = scale


def _suspicion(x: np.ndarray, t: int, j: int) -> str:
    """What a clipped return at (t, j) looks like, judged by its neighbours."""
    if t > 0 and np.isfinite(x[t - 1, j]):
        level_since = (1.0 + x[t - 1, j]) * (1.0 + x[t, j]) - 1.0
        if abs(level_since) <= (1.0 - REVERSAL_SHARE) * abs(x[t, j]):
            return "reversal of the previous day's bad tick"
    if t + 1 >= len(x) or not np.isfinite(x[t + 1, j]):
        return "outlier"
    level_after = (1.0 + x[t, j]) * (1.0 + x[t + 1, j]) - 1.0
    if abs(level_after) <= (1.0 - REVERSAL_SHARE) * abs(x[t, j]):
        return "bad tick (reverts next day)"
    return "possible unadjusted split or corporate action (no reversal)"


def winsorize_returns(
    returns: pd.DataFrame, z: float = 10.0, *, window: int = 252, min_periods: int = 63
) -> Winsorized:
    """Clip returns beyond ``z`` robust standard deviations of the trailing window.

    Each asset's median and MAD come from its trailing ``window`` rows (at least
    ``min_periods``); before that, from all assets' returns so far (pooled), so there is
    no warm-up blind spot. The decision at t uses rows up to t only; the report's
    ``suspicion`` label looks at the next day to tell a bad tick from a split.

    Parameters
    ----------
    returns : pd.DataFrame
        Daily returns.
    z : float
        Robust z beyond which a return is clipped.
    window, min_periods : int
        Trailing window of the per-asset statistics and its minimum length.

    Returns
    -------
    Winsorized
    """
    med = returns.rolling(window, min_periods=min_periods).median()
    mad = (returns - med).abs().rolling(window, min_periods=min_periods).median() * MAD_TO_SIGMA
    x = returns.to_numpy(dtype=float)
    med_a, mad_a = med.to_numpy(copy=True), mad.to_numpy(copy=True)
    _warm_up_with_pooled_stats(x, med_a, mad_a, min_periods)
    med = pd.DataFrame(med_a, index=returns.index, columns=returns.columns)
    mad = pd.DataFrame(mad_a, index=returns.index, columns=returns.columns)
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
                "suspicion": _suspicion(x, date, asset),
            }
        )
    rows += _split_like_days(x, hit.to_numpy(), returns.index, returns.columns)
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS).sort_values(["date", "asset"])
    return Winsorized(clipped, report.reset_index(drop=True))


def _split_like_days(x, clipped, dates, assets) -> list[dict]:
    """Moves the robust z left alone that still look like an unadjusted split.

    A split is idiosyncratic: the price ratio relative to the day's cross-sectional median
    move is within ``SPLIT_TOLERANCE`` of a split ratio, the move is at least
    ``SPLIT_MIN_MOVE`` and the next day does not give it back (a crash the whole market
    shares is not a split). Large idiosyncratic moves near a split ratio are flagged
    "possible": on the bundled data (adjusted prices) 7 such days in 20 years x 20 stocks,
    all real news days worth a look.
    """
    out = []
    market = np.nanmedian(x, axis=1, keepdims=True) if x.shape[1] > 2 else np.zeros((len(x), 1))
    ratio = (1.0 + x) / (1.0 + market)
    candidates = (np.abs(x) >= SPLIT_MIN_MOVE) & ~clipped & np.isfinite(x)
    for t, j in zip(*np.nonzero(candidates), strict=True):
        band = SPLIT_TOLERANCE
        near = [r for r in SPLIT_RATIOS if abs(ratio[t, j] / r - 1.0) <= band]
        if not near or _suspicion(x, t, j).startswith(("bad tick", "reversal")):
            continue
        share = Fraction(near[0]).limit_denominator(10)  # new / old price
        label = f"{share.denominator}:{share.numerator}"
        out.append(
            {
                "date": dates[t],
                "asset": assets[j],
                "raw": float(x[t, j]),
                "clipped_to": float(x[t, j]),
                "robust_z": float("nan"),
                "suspicion": f"possible unadjusted split ({label}, kept: check actions.csv)",
            }
        )
    return out
