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


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        path = folder / f"{stem}{suffix}"
        if path.exists():
            return path
    return None


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        if "date" not in frame.columns and frame.index.name == "date":
            frame = frame.reset_index()
        return frame
    return pd.read_csv(path)


def _parse_dates(frame: pd.DataFrame, origin: str) -> pd.Series:
    if "date" not in frame.columns:
        raise DataValidationError(
            "missing-date-column", "no 'date' column", origin=origin, column="date"
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
    return parsed.astype("datetime64[ns]")


def read_prices(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Wide or long price table -> (validated wide prices, volumes or None)."""
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
    """The day each observation becomes public, from its reference date and lag rule."""
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
    if "lag_business_days" in rule:
        out = base + BDay(int(rule["lag_business_days"]))
    else:
        out = (base + pd.Timedelta(days=int(rule["lag_days"]))) + BDay(0)
    return pd.DatetimeIndex(out)


def read_indicators(folder: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    path = _find(folder, "indicators")
    if path is None:
        return pd.DataFrame(), {}
    lag_path = folder / "indicators.yaml"
    lags = yaml.safe_load(lag_path.read_text()) if lag_path.exists() else {}
    raw = _read_table(path)
    dates = pd.DatetimeIndex(_parse_dates(raw, str(path)))
    frame = raw.drop(columns=["date"]).set_index(dates)
    validate_indicators(frame, lags or {}, origin=str(lag_path))
    series = []
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce").dropna()
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
    path = folder / "sectors.csv"
    if not path.exists():
        return pd.DataFrame()
    sectors = pd.read_csv(path)
    if "asset" not in sectors.columns:
        raise DataValidationError("missing-asset-column", "no 'asset' column", origin=str(path))
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
