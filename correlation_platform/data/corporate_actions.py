"""Splits and cash dividends -> back-adjusted prices.

The multiplicative factors of CRSP and Yahoo: 1/ratio for a split, 1 - D / P_{ex-1} for
a cash dividend D.

``actions.csv``: ``date, asset, type, value`` with ``type`` ``split`` (value = new shares
per old share, 2 for a 2-for-1) or ``dividend`` (value = cash per share). ``date`` is the
ex-date: prices *before* it are multiplied by the action's factor, so returns across the
ex-date are total returns and no price after it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from correlation_platform.data.validation import DataValidationError

ACTION_TYPES = ("split", "dividend")


@dataclass(frozen=True)
class Adjusted:
    """Prices adjusted for corporate actions, and what was done.

    Attributes
    ----------
    prices : pandas.DataFrame
        Adjusted prices.
    notes : tuple of str
        One line per action applied.
    factors : pandas.DataFrame
        The cumulative adjustment factor per asset and date.
    """

    prices: pd.DataFrame
    notes: tuple[str, ...]
    factors: pd.DataFrame  # one row per action: date, asset, type, value, factor


def read_actions(path: Path) -> pd.DataFrame:
    """Corporate actions from a CSV with columns ``date, asset, type, value``.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Validated actions (unparseable dates and unknown types are refused).
    """
    actions = pd.read_csv(path)
    missing = {"date", "asset", "type", "value"} - set(actions.columns)
    if missing:
        raise DataValidationError(
            "missing-columns", f"needs columns {sorted(missing)}", origin=str(path)
        )
    dates = pd.to_datetime(actions["date"], errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise DataValidationError(
            "unparseable-date",
            f"row {row + 2}: {actions['date'].iloc[row]!r} is not a date",
            origin=str(path),
            column="date",
        )
    values = pd.to_numeric(actions["value"], errors="coerce")
    if values.isna().any():
        row = int(values.isna().to_numpy().argmax())
        raise DataValidationError(
            "non-numeric-action-value",
            f"row {row + 2}: value {actions['value'].iloc[row]!r} is not a number",
            origin=str(path),
            column=str(actions["asset"].iloc[row]),
            date=dates.iloc[row],
        )
    actions["date"], actions["value"] = dates, values.astype(float)
    actions.attrs["origin"] = str(path)
    return actions


def _error(act, origin: str, rule: str, detail: str) -> DataValidationError:
    return DataValidationError(rule, detail, origin=origin, column=act.asset, date=act.date)


def adjust_for_actions(prices: pd.DataFrame, actions: pd.DataFrame) -> Adjusted:
    """Back-adjust prices for splits and dividends, so returns are total returns.

    Parameters
    ----------
    prices : pandas.DataFrame
        Raw closes (dates x assets).
    actions : pandas.DataFrame
        From :func:`read_actions` (``date``, ``asset``, ``type``, ``value``).

    Returns
    -------
    Adjusted
        Adjusted prices, notes and factors.
    """
    origin = actions.attrs.get("origin", "<actions>")
    out = prices.copy()
    rows, notes = [], []
    for act in actions.sort_values("date").itertuples(index=False):
        if act.asset not in out.columns:
            raise _error(act, origin, "unknown-assets", "action for an asset without prices")
        if act.type not in ACTION_TYPES:
            raise _error(
                act, origin, "unknown-action-type", f"type {act.type!r}, expected {ACTION_TYPES}"
            )
        if act.date not in out.index or out.index.get_loc(act.date) == 0:
            raise _error(
                act,
                origin,
                "action-date-not-a-trading-day",
                "ex-date must be a priced day after the first",
            )
        pos = out.index.get_loc(act.date)
        if act.type == "split":
            if act.value <= 0:
                raise _error(act, origin, "non-positive-split", f"ratio {act.value}")
            factor = 1.0 / float(act.value)
        else:
            prev_close = float(out[act.asset].iloc[pos - 1])
            if not 0 <= act.value < prev_close:
                raise _error(
                    act,
                    origin,
                    "bad-dividend",
                    f"dividend {act.value} vs previous close {prev_close}",
                )
            factor = 1.0 - float(act.value) / prev_close
        out.iloc[:pos, out.columns.get_loc(act.asset)] *= factor
        rows.append(
            {
                "date": act.date,
                "asset": act.asset,
                "type": act.type,
                "value": float(act.value),
                "factor": factor,
            }
        )
        notes.append(
            f"{act.type} {act.asset} {act.date.date()} value {act.value}: "
            f"prices before multiplied by {factor:.6f}"
        )
    return Adjusted(prices=out, notes=tuple(notes), factors=pd.DataFrame(rows))
