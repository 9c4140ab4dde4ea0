"""Ingestion: raw prices and point-in-time indicators from the configured source."""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Backoff,
    Failure,
    MetadataValue,
    Output,
    RetryPolicy,
    asset,
)

from correlation_platform.orchestration.assets._metadata import frame_summary, markdown_table
from correlation_platform.orchestration.checks import check_frame, no_missing_spec
from correlation_platform.orchestration.resources import MarketDataResource

GROUP = "ingestion"
# A source that is briefly unreachable (network, a file being rewritten) is retried three
# times, 30 s, 60 s and 120 s apart, before the run fails and the failure sensor alerts.
INGESTION_RETRY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL)


def _arrived(context: AssetExecutionContext, market_data: MarketDataResource):
    """The source as of the run's day.

    A daily run (or a backfill of a past day) ingests only what had arrived by that
    day's close; an unpartitioned run ingests everything.

    Bad data is not retried (it would fail the same way): a ``ValueError`` (which
    ``DataValidationError`` is) fails the step at once; anything else (a network or file
    system error) is retried by ``INGESTION_RETRY``.
    """
    day = context.run.tags.get("dagster/partition")
    as_of = day if day and _is_date(day) else None
    try:
        return market_data.load(as_of=as_of), as_of
    except ValueError as exc:
        raise Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc


def _is_date(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return False
    return len(text) == 10


@asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    check_specs=[no_missing_spec("raw_prices")],
    retry_policy=INGESTION_RETRY,
)
def raw_prices(context: AssetExecutionContext, market_data: MarketDataResource):
    """Adjusted closes, one column per asset, as the source delivered them (validated).

    Gaps (NaN) are allowed here; ``clean_prices`` decides what to do with them. In a daily
    run only rows up to the run's day are kept (what had arrived by its close).
    """
    data, as_of = _arrived(context, market_data)
    context.log.info(
        f"loaded {data.prices.shape} prices from {data.source}"
        + (f" (arrived by {as_of})" if as_of else "")
    )
    yield Output(
        data.prices,
        metadata={
            **frame_summary(data.prices),
            "source": data.source,
            "arrived_by": as_of or "all",
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
    retry_policy=INGESTION_RETRY,
)
def raw_indicators(context: AssetExecutionContext, market_data: MarketDataResource):
    """Indicators stamped on the day each value became public (release lags applied)."""
    data, _ = _arrived(context, market_data)
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
