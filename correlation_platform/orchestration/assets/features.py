"""Features: cleaned prices, returns, the point-in-time feature panel and the labels."""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, Output, asset

from correlation_platform import features as feat
from correlation_platform.features.outliers import winsorize_returns
from correlation_platform.orchestration.assets._metadata import frame_summary, markdown_table
from correlation_platform.orchestration.checks import check_frame, no_missing_spec
from correlation_platform.orchestration.resources import PlatformSettings
from correlation_platform.units import TRADING_DAYS

GROUP = "features"


@asset(group_name=GROUP, kinds={"pandas", "parquet"}, check_specs=[no_missing_spec("clean_prices")])
def clean_prices(context: AssetExecutionContext, raw_prices: pd.DataFrame):
    """Prices after documented cleaning (limited forward fill, never back-fill)."""
    result = feat.clean_prices(raw_prices)
    for _, row in result.report.iterrows():
        context.log.info(f"cleaning: {row['action']} {row['asset']}: {row['detail']}")
    yield Output(
        result.prices,
        metadata={
            **frame_summary(result.prices),
            "cleaning_report": markdown_table(result.report.set_index("action")),
        },
    )
    yield check_frame(result.prices)


@asset(
    group_name=GROUP, kinds={"pandas", "parquet"}, check_specs=[no_missing_spec("asset_returns")]
)
def asset_returns(
    context: AssetExecutionContext, clean_prices: pd.DataFrame, settings: PlatformSettings
):
    """Simple daily close-to-close returns, extreme outliers winsorised (trailing MAD)."""
    returns = feat.simple_returns(clean_prices)
    meta: dict = {"outlier_z": settings.outlier_z}
    if settings.outlier_z > 0:
        result = winsorize_returns(returns, z=settings.outlier_z)
        returns = result.returns
        for row in result.report.itertuples():
            log = context.log.info if row.suspicion == "outlier" else context.log.warning
            log(
                f"winsorised {row.asset} {row.date.date()}: {row.raw:.4f} -> "
                f"{row.clipped_to:.4f} (robust z {row.robust_z:.1f}): {row.suspicion}"
            )
        meta["winsorised"] = len(result.report)
        meta["suspected_bad_ticks"] = int(
            result.report["suspicion"].str.startswith("bad tick").sum()
        )
        meta["suspected_splits"] = int(result.report["suspicion"].str.startswith("possible").sum())
        if len(result.report):
            meta["winsorised_returns"] = markdown_table(result.report.set_index("date"))
    yield Output(
        returns,
        metadata={
            **frame_summary(returns),
            **meta,
            "mean_annual_vol": float(returns.std().mean() * TRADING_DAYS**0.5),
        },
    )
    yield check_frame(returns)


@asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    ins={"raw_indicators": AssetIn()},
    check_specs=[no_missing_spec("feature_panel")],
)
def feature_panel(asset_returns: pd.DataFrame, raw_indicators: pd.DataFrame):
    """Market features known at each close: vols, average correlation, aligned indicators."""
    panel = feat.build_feature_panel(asset_returns, raw_indicators)
    warmup = int(panel.isna().any(axis=1).sum())
    yield Output(
        panel,
        metadata={
            **frame_summary(panel),
            "warmup_rows_with_nan": warmup,
            "features": ", ".join(panel.columns),
        },
    )
    # NaN is expected only in the warm-up (before each window fills or a series starts).
    yield check_frame(panel, warmup_nan=True)


@asset(group_name=GROUP, kinds={"numpy"})
def realized_correlation(
    asset_returns: pd.DataFrame, settings: PlatformSettings
) -> Output[feat.CorrelationPanel]:
    """Labels: correlation realised over the next ``horizon`` days, per date and pair."""
    panel = feat.realized_correlation_panel(asset_returns, horizon=settings.horizon)
    avg = panel.average()
    return Output(
        panel,
        metadata={
            "rows": len(panel.dates),
            "first_date": str(panel.dates[0].date()) if len(panel.dates) else "",
            "last_date": str(panel.dates[-1].date()) if len(panel.dates) else "",
            "horizon_days": settings.horizon,
            "assets": len(panel.assets),
            "pairs": panel.values.shape[1],
            "storage": "date x pair float32 array (.npy, read memory-mapped)",
            "megabytes": round(panel.values.nbytes / 2**20, 1),
            "mean_avg_correlation": float(avg.mean()),
            "max_avg_correlation": float(avg.max()),
            "max_avg_correlation_date": str(avg.idxmax().date()),
        },
    )
