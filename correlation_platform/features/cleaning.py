"""Price cleaning with a report of every decision (nothing is changed silently)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class CleaningResult:
    """Cleaned prices and what cleaning did.

    Attributes
    ----------
    prices : pandas.DataFrame
        The cleaned prices.
    report : pandas.DataFrame
        One row per decision: action, asset, detail.
    """

    prices: pd.DataFrame
    report: pd.DataFrame  # one row per decision: action, asset, detail


def clean_prices(
    prices: pd.DataFrame, *, max_missing_fraction: float = 0.10, ffill_limit: int = 5
) -> CleaningResult:
    """Drop assets missing too often, forward-fill short gaps (never back-fill), trim the start.

    Rows before every remaining asset has its first price are dropped rather than filled,
    so no price is invented before it existed.

    Parameters
    ----------
    prices : pandas.DataFrame
        Raw closes.
    max_missing_fraction : float, default 0.10
        Assets missing more often are dropped.
    ffill_limit : int, default 5
        Longest gap filled forward.

    Returns
    -------
    CleaningResult
        Prices and the report.
    """
    decisions: list[dict[str, str]] = []
    missing = prices.isna().mean()
    keep = [c for c in prices.columns if missing[c] <= max_missing_fraction]
    for col in prices.columns:
        if col not in keep:
            decisions.append(
                {
                    "action": "dropped asset",
                    "asset": col,
                    "detail": f"{missing[col]:.1%} of days missing > {max_missing_fraction:.0%}",
                }
            )
    out = prices[keep]
    first_valid = out.apply(pd.Series.first_valid_index).max()
    if first_valid is not None and first_valid != out.index[0]:
        n = int((out.index < first_valid).sum())
        decisions.append(
            {
                "action": "trimmed start",
                "asset": "*",
                "detail": f"{n} rows before {first_valid.date()} (not every asset priced)",
            }
        )
        out = out.loc[first_valid:]
    gaps = out.isna()
    filled = out.ffill(limit=ffill_limit)
    for col in out.columns:
        n_filled = int((gaps[col] & filled[col].notna()).sum())
        if n_filled:
            decisions.append(
                {
                    "action": "forward-filled",
                    "asset": col,
                    "detail": f"{n_filled} days (gaps up to {ffill_limit} days)",
                }
            )
    still = filled.isna().any(axis=1)
    if still.any():
        decisions.append(
            {
                "action": "dropped rows",
                "asset": "*",
                "detail": f"{int(still.sum())} rows with gaps longer than {ffill_limit} days",
            }
        )
        filled = filled.loc[~still]
    if not decisions:
        decisions.append({"action": "none", "asset": "*", "detail": "no missing prices"})
    return CleaningResult(filled, pd.DataFrame(decisions, columns=["action", "asset", "detail"]))
