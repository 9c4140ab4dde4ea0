"""Input rules of DESIGN.md section 2: bad input fails loudly, naming where and which rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_HISTORY_DAYS = 60
#: No listed security trades above this per unit (the dearest share is ~1e6): a larger
#: value is a corrupt cell, not a price.
MAX_PLAUSIBLE_PRICE = 1e12


class DataValidationError(ValueError):
    """Raised when input data breaks a rule; the message names file, column, date and rule."""

    def __init__(
        self, rule: str, detail: str, *, origin: str = "<data>", column=None, date=None
    ) -> None:
        self.rule, self.origin, self.column, self.date = rule, origin, column, date
        where = [f"file/source {origin}"]
        if column is not None:
            where.append(f"column {column!r}")
        if date is not None:
            where.append(f"date {pd.Timestamp(date).date()}")
        super().__init__(f"[{rule}] {detail} ({', '.join(where)})")


def validate_prices(
    prices: pd.DataFrame, *, origin: str = "<prices>", min_history: int = MIN_HISTORY_DAYS
) -> pd.DataFrame:
    """Check a wide price frame and return it as float64 with a ``date`` DatetimeIndex.

    Parameters
    ----------
    prices : pandas.DataFrame
        Dates x assets.
    origin : str, default "<prices>"
        The file, for messages.
    min_history : int, default 60
        Rows each asset needs.

    Returns
    -------
    pandas.DataFrame
        The validated prices.
    """
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataValidationError(
            "dates-not-datetime", "the index must be dates", origin=origin, column="date"
        )
    idx = prices.index
    dup = idx[idx.duplicated()]
    if len(dup):
        raise DataValidationError(
            "duplicate-dates", "dates repeat", origin=origin, column="date", date=dup[0]
        )
    if not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
        raise DataValidationError(
            "unsorted-dates",
            "dates must increase",
            origin=origin,
            column="date",
            date=idx[pos],
        )
    out = pd.DataFrame(index=pd.DatetimeIndex(idx, name="date"))
    for col in prices.columns:
        raw = prices[col]
        num = pd.to_numeric(raw, errors="coerce")
        rules = (
            (
                "non-numeric-price",
                num.isna() & raw.notna(),
                lambda v: f"value {v!r} is not a number",
            ),
            (
                "non-finite-price",
                ~np.isfinite(num) & num.notna(),
                lambda v: f"price {v} is not finite",
            ),
            (
                "implausible-price",
                num > MAX_PLAUSIBLE_PRICE,
                lambda v: (
                    f"price {float(v):.3g} is above {MAX_PLAUSIBLE_PRICE:.0e}: a corrupt value"
                ),
            ),
            ("non-positive-price", num <= 0, lambda v: f"price {v} must be > 0"),
        )
        for rule, broken, detail in rules:  # in this order: the first rule a cell breaks
            if broken.any():
                first = broken.idxmax()
                shown = raw.loc[first] if rule == "non-numeric-price" else num.loc[first]
                raise DataValidationError(
                    rule, detail(shown), origin=origin, column=col, date=first
                )
        out[str(col)] = num.astype("float64").to_numpy()
    if len(out) < min_history:
        raise DataValidationError(
            "history-too-short",
            f"{len(out)} rows, at least {min_history} needed",
            origin=origin,
        )
    return out


def validate_indicators(
    indicators: pd.DataFrame, release_lags: dict[str, object], *, origin: str = "<indicators>"
) -> None:
    """Every indicator must declare how long after its reference date it becomes public.

    Parameters
    ----------
    indicators : pandas.DataFrame
        The indicator table.
    release_lags : dict
        Indicator -> lag rule.
    origin : str, default "<indicators>"
        The file, for messages.
    """
    for col in indicators.columns:
        if col not in release_lags:
            raise DataValidationError(
                "indicator-without-release-lag",
                "no release lag declared; without it the series would leak future information",
                origin=origin,
                column=col,
            )


def validate_assets(requested: list[str], available: list[str], origin: str) -> None:
    """Refuse requested assets the source does not have, naming them.

    Parameters
    ----------
    requested : list of str
        Assets asked for.
    available : list of str
        Assets the source has.
    origin : str
        The source, for messages.
    """
    unknown = [a for a in requested if a not in available]
    if unknown:
        raise DataValidationError(
            "unknown-assets",
            f"unknown assets {unknown}; available: {available}",
            origin=origin,
            column=unknown[0],
        )
