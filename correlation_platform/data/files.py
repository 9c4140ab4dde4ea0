"""A directory of files as a source: prices (wide or long), indicators with release lags, sectors.

Layout (DESIGN.md section 2)::

    prices.csv | prices.parquet        wide: date + one column per asset
                                       long: date, asset, price[, volume]
    indicators.csv | .parquet          optional; date + one column per series, dated by
                                       reference period (e.g. month start)
    indicators.yaml                    release lag per indicator (required if indicators exist)
    sectors.csv                        optional; asset + hierarchy levels, leaves to root
    actions.csv                        optional; corporate actions (see features.corporate_actions)

``indicators.yaml``::

    vix: {lag_days: 0}                       # known at that day's close
    cpi: {lag_days: 15, after: period_end, frequency: monthly}
    spread: {lag_business_days: 1, after: period_end, frequency: monthly}
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import yaml
from pandas.tseries.offsets import BDay, MonthEnd

from correlation_platform.data.market_data import MarketData
from correlation_platform.data.validation import (
    DataValidationError,
    validate_indicators,
    validate_prices,
)

LONG_COLUMNS = {"date", "asset", "price"}
#: pandas' dayofweek of Saturday (Sunday is 6).
WEEKEND = 5


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        path = folder / f"{stem}{suffix}"
        if path.exists():
            return path
    return None


#: Delimiters a CSV may use (sniffed from the header line).
DELIMITERS = ",;\t|"


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise DataValidationError("empty-file", "the file is empty", origin=str(path))
    try:
        return data.decode("utf-8-sig")  # a UTF-8 byte-order mark is accepted and dropped
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            "not-utf8",
            f"byte {data[exc.start]:#04x} at position {exc.start} is not UTF-8; save the file "
            "as UTF-8",
            origin=str(path),
        ) from None


def _check_header(columns: list[str], origin: str) -> None:
    for k, name in enumerate(columns, start=1):
        if not str(name).strip():
            raise DataValidationError(
                "unnamed-column", f"column {k} has no name", origin=origin, column=f"column {k}"
            )
    seen = set()
    for name in columns:
        if name in seen:
            raise DataValidationError(
                "duplicate-columns", f"column name {name!r} appears twice", origin=origin,
                column=name,
            )  # fmt: skip
        seen.add(name)


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, any of ``DELIMITERS``) or Parquet table; header checked."""
    if path.suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise DataValidationError(
                "unreadable-file", f"not a readable Parquet file ({exc})", origin=str(path)
            ) from None
        if "date" not in frame.columns and frame.index.name == "date":
            frame = frame.reset_index()
        _check_header([str(c) for c in frame.columns], str(path))
        return frame
    text = _decode(path)
    first = text.splitlines()[0]
    delimiter = max(DELIMITERS, key=first.count)
    header = [h.strip() for h in next(csv.reader(io.StringIO(first), delimiter=delimiter))]
    _check_header(header, str(path))
    frame = pd.read_csv(io.StringIO(text), sep=delimiter)
    frame.columns = header
    return frame


def _parse_dates(frame: pd.DataFrame, origin: str, business_days: bool = True) -> pd.Series:
    """The ``date`` column parsed.

    ``business_days`` refuses weekend dates (prices, not indicators, which are dated by
    their reference period).
    """
    if "date" not in frame.columns:
        raise DataValidationError(
            "missing-date-column", "no 'date' column", origin=origin, column="date"
        )
    raw = frame["date"].astype(str)
    if raw.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True).any():
        row = int(raw.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True).to_numpy().argmax())
        raise DataValidationError(
            "timezone-in-dates",
            f"row {row + 2}: {raw.iloc[row]!r} carries a time zone; give plain dates (the "
            "close's calendar day)",
            origin=origin,
            column="date",
        )
    parsed = pd.to_datetime(frame["date"], errors="coerce")
    bad = parsed.isna() & frame["date"].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise DataValidationError(
            "unparseable-date",
            f"row {row + 2}: {frame['date'].iloc[row]!r} is not a date",
            origin=origin,
            column="date",
        )
    parsed = parsed.astype("datetime64[ns]")
    weekend = parsed.dt.day_of_week >= WEEKEND
    if business_days and weekend.any():
        row = int(weekend.to_numpy().argmax())
        raise DataValidationError(
            "weekend-date",
            f"row {row + 2} falls on a {parsed.iloc[row].day_name()}: prices are business days",
            origin=origin,
            column="date",
            date=parsed.iloc[row],
        )
    return parsed


def read_prices(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Wide or long price table, validated.

    Parameters
    ----------
    path : pathlib.Path
        CSV or Parquet.

    Returns
    -------
    tuple
        Wide prices and volumes (None when the table has none).
    """
    origin = str(path)
    raw = _read_table(path)
    dates = _parse_dates(raw, origin)
    volumes = None
    if LONG_COLUMNS <= set(raw.columns):
        long = raw.assign(date=dates)
        dup = long.duplicated(["date", "asset"])
        if dup.any():
            row = long.loc[dup].iloc[0]
            raise DataValidationError(
                "duplicate-dates",
                "the same asset and date appear twice",
                origin=origin,
                column=str(row["asset"]),
                date=row["date"],
            )
        order_bad = long.groupby("asset")["date"].apply(lambda d: not d.is_monotonic_increasing)
        if order_bad.any():
            asset = order_bad.idxmax()
            d = long.loc[long["asset"] == asset, "date"]
            pos = int((d.diff().dt.days < 0).to_numpy().argmax())
            raise DataValidationError(
                "unsorted-dates",
                "dates must increase",
                origin=origin,
                column=str(asset),
                date=d.iloc[pos],
            )
        wide = long.pivot(index="date", columns="asset", values="price")
        if "volume" in long.columns:
            volumes = long.pivot(index="date", columns="asset", values="volume")
    else:
        wide = raw.drop(columns=["date"]).set_index(pd.DatetimeIndex(dates, name="date"))
    return validate_prices(wide, origin=origin), volumes


def release_dates(
    reference: pd.DatetimeIndex, rule: dict, origin: str, column: str
) -> pd.DatetimeIndex:
    """The day each observation becomes public, from its reference date and lag rule.

    Parameters
    ----------
    reference : pandas.DatetimeIndex
        Reference dates of the observations.
    rule : dict
        The lag rule (``lag_days`` or ``lag_business_days``, optionally with
        ``after: period_end`` and ``frequency``; see the module docstring).
    origin : str
        File name, for messages.
    column : str
        Indicator name, for messages.

    Returns
    -------
    pandas.DatetimeIndex
        Publication dates.
    """
    if not isinstance(rule, dict) or not ({"lag_days", "lag_business_days"} & set(rule)):
        raise DataValidationError(
            "indicator-without-release-lag",
            "release lag needs lag_days or lag_business_days",
            origin=origin,
            column=column,
        )
    base = reference
    if rule.get("after") == "period_end":
        freq = rule.get("frequency", "monthly")
        if freq != "monthly":
            raise DataValidationError(
                "unknown-frequency", f"frequency {freq!r}", origin=origin, column=column
            )
        base = reference + MonthEnd(0)
    lag = rule.get("lag_business_days", rule.get("lag_days"))
    if not isinstance(lag, int | float) or lag < 0:
        raise DataValidationError(
            "negative-release-lag",
            f"release lag {lag!r} must be a number >= 0 (a negative lag uses the future)",
            origin=origin,
            column=column,
        )
    if "lag_business_days" in rule:
        out = base + BDay(int(rule["lag_business_days"]))
    else:
        out = (base + pd.Timedelta(days=int(rule["lag_days"]))) + BDay(0)
    return pd.DatetimeIndex(out)


def read_indicators(folder: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Indicators and their release-lag rules from a folder.

    Parameters
    ----------
    folder : pathlib.Path
        Holds ``indicators.csv``/``.parquet`` and ``indicators.yaml``.

    Returns
    -------
    tuple
        Indicators by publication date and the lag rule per column (empty when absent).
    """
    path = _find(folder, "indicators")
    if path is None:
        return pd.DataFrame(), {}
    lag_path = folder / "indicators.yaml"
    lags = {}
    if lag_path.exists():
        try:
            lags = yaml.safe_load(lag_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise DataValidationError(
                "malformed-yaml", f"not valid YAML ({exc})".replace("\n", " "),
                origin=str(lag_path),
            ) from None  # fmt: skip
        if not isinstance(lags, dict):
            raise DataValidationError(
                "malformed-yaml", "expected a mapping indicator -> release lag",
                origin=str(lag_path),
            )  # fmt: skip
    raw = _read_table(path)
    dates = pd.DatetimeIndex(_parse_dates(raw, str(path), business_days=False))
    frame = raw.drop(columns=["date"]).set_index(dates)
    validate_indicators(frame, lags, origin=str(lag_path))
    series = []
    for col in frame.columns:
        numeric = pd.to_numeric(frame[col], errors="coerce")
        words = numeric.isna() & frame[col].notna()
        if words.any():
            first = words.idxmax()
            raise DataValidationError(
                "non-numeric-indicator",
                f"value {frame[col].loc[first]!r} is not a number",
                origin=str(path),
                column=col,
                date=first,
            )
        values = numeric.dropna()
        stamped = pd.Series(
            values.to_numpy(),
            index=release_dates(pd.DatetimeIndex(values.index), lags[col], str(lag_path), col),
            name=col,
        )
        series.append(stamped.groupby(level=0).last())
    table = pd.concat(series, axis=1, sort=True)
    table.index.name = "date"
    return table, {c: str(lags[c]) for c in frame.columns}


def read_sectors(folder: Path, assets: list[str]) -> pd.DataFrame:
    """The sector tree of ``assets`` from ``sectors.csv`` (every asset must have a row).

    Parameters
    ----------
    folder : pathlib.Path
        The data folder.
    assets : list of str
        The universe.

    Returns
    -------
    pandas.DataFrame
        Indexed by asset, columns leaves -> root (empty when the file is absent).
    """
    path = folder / "sectors.csv"
    if not path.exists():
        return pd.DataFrame()
    sectors = _read_table(path)
    if "asset" not in sectors.columns:
        raise DataValidationError("missing-asset-column", "no 'asset' column", origin=str(path))
    missing = [a for a in assets if a not in set(sectors["asset"])]
    if missing:
        raise DataValidationError(
            "sector-missing-assets",
            f"no sector for assets {missing}: every priced asset needs one",
            origin=str(path),
            column="asset",
        )
    unknown = sorted(set(sectors["asset"]) - set(assets))
    if unknown:
        raise DataValidationError(
            "unknown-assets",
            f"sectors for assets without prices: {unknown}",
            origin=str(path),
            column="asset",
        )
    return sectors.set_index("asset", drop=False).rename_axis("asset")


def load_files(path: str | Path) -> MarketData:
    """A universe from a folder of files (prices, optional volumes, indicators, sectors).

    Parameters
    ----------
    path : str or Path
        The folder: ``prices.csv`` or ``prices.parquet``, and optionally ``indicators.*``
        with ``indicators.yaml`` (release lags), ``sectors.csv`` and ``actions.csv``.

    Returns
    -------
    MarketData
        The validated universe; every problem names the file and row.
    """
    folder = Path(path)
    prices_path = _find(folder, "prices")
    if prices_path is None:
        raise DataValidationError(
            "missing-file", "no prices.csv or prices.parquet", origin=str(folder)
        )
    prices, volumes = read_prices(prices_path)
    indicators, lags = read_indicators(folder)
    notes = [f"files source {folder}"]
    actions_path = folder / "actions.csv"
    if actions_path.exists():
        from correlation_platform.data.corporate_actions import adjust_for_actions, read_actions

        adjusted = adjust_for_actions(prices, read_actions(actions_path))
        prices = adjusted.prices
        notes.extend(adjusted.notes)
    return MarketData(
        prices=prices,
        volumes=volumes,
        indicators=indicators,
        sectors=read_sectors(folder, list(prices.columns)),
        source=f"files:{folder}",
        notes=tuple(notes),
        release_lags=lags,
    )
