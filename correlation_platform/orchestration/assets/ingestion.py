"""Ingestion: raw prices and point-in-time indicators from the configured source."""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from correlation_platform.orchestration.assets._metadata import frame_summary, markdown_table
from correlation_platform.orchestration.checks import check_frame, no_missing_spec
from correlation_platform.orchestration.resources import MarketDataResource

GROUP = "ingestion"


@asset(group_name=GROUP, kinds={"pandas", "parquet"}, check_specs=[no_missing_spec("raw_prices")])
def raw_prices(context: AssetExecutionContext, market_data: MarketDataResource):
    """Adjusted closes, one column per asset, as the source delivered them (validated).

    Gaps (NaN) are allowed here; ``clean_prices`` decides what to do with them.
    """
    data = market_data.load()
    context.log.info(f"loaded {data.prices.shape} prices from {data.source}")
    yield Output(
        data.prices,
        metadata={
            **frame_summary(data.prices),
            "source": data.source,
            "assets": ", ".join(data.assets),
            "missing_values": int(data.prices.isna().sum().sum()),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in data.notes) or "none"),
        },
    )
    yield check_frame(data.prices, allow_nan=True)


@asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    check_specs=[
        AssetCheckSpec(
            "release_lags_declared",
            asset="raw_indicators",
            description="every indicator declares when it becomes public",
        ),
        no_missing_spec("raw_indicators"),
    ],
)
def raw_indicators(context: AssetExecutionContext, market_data: MarketDataResource):
    """Indicators stamped on the day each value became public (release lags applied)."""
    data = market_data.load()
    lags = pd.Series(data.release_lags, dtype=object, name="release lag")
    counts = data.indicators.notna().sum().rename("observations")
    table = pd.concat([lags, counts], axis=1).rename_axis("indicator")
    yield Output(
        data.indicators,
        metadata={
            **frame_summary(data.indicators),
            "source": data.source,
            "release_lags": markdown_table(table),
        },
    )
    undeclared = sorted(set(data.indicators.columns) - set(data.release_lags))
    yield AssetCheckResult(
        check_name="release_lags_declared",
        passed=not undeclared,
        metadata={"undeclared": ", ".join(undeclared) or "none"},
    )
    # Indicators are sparse by design (each on its own release days): NaN allowed.
    yield check_frame(data.indicators, allow_nan=True)
