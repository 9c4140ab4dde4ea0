"""Ingestion: raw prices and point-in-time indicators from the configured source."""

import pandas as pd
from dagster import (
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from correlation_platform.orchestration.assets._metadata import frame_summary, markdown_table
from correlation_platform.orchestration.resources import MarketDataResource

GROUP = "ingestion"


@asset(group_name=GROUP, kinds={"pandas", "parquet"})
def raw_prices(
    context: AssetExecutionContext, market_data: MarketDataResource
) -> Output[pd.DataFrame]:
    """Adjusted closes, one column per asset, as the source delivered them (validated)."""
    data = market_data.load()
    context.log.info(f"loaded {data.prices.shape} prices from {data.source}")
    return Output(
        data.prices,
        metadata={
            **frame_summary(data.prices),
            "source": data.source,
            "assets": ", ".join(data.assets),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in data.notes) or "none"),
        },
    )


@asset(group_name=GROUP, kinds={"pandas", "parquet"})
def raw_indicators(
    context: AssetExecutionContext, market_data: MarketDataResource
) -> Output[pd.DataFrame]:
    """Indicators stamped on the day each value became public (release lags applied)."""
    data = market_data.load()
    lags = pd.DataFrame({"release lag": data.release_lags}).rename_axis("indicator")
    counts = data.indicators.notna().sum().rename("observations")
    return Output(
        data.indicators,
        metadata={
            **frame_summary(data.indicators),
            "source": data.source,
            "release_lags": markdown_table(lags.join(counts)),
        },
    )
