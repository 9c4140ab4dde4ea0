"""Monitoring: every recorded forecast scored once its holding period closes, drift state."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from correlation_platform.forecasters import BENCHMARK, get_forecaster
from correlation_platform.monitoring import drift_states, latest_decision, score_forecasts
from correlation_platform.monitoring.plots import forecast_error_png
from correlation_platform.orchestration.assets._metadata import markdown_image, markdown_table
from correlation_platform.orchestration.io_manager import read_stored, stored_partitions
from correlation_platform.orchestration.partitions import as_of_position, daily_partitions
from correlation_platform.orchestration.resources import PlatformSettings

GROUP = "monitoring"
# Recorded forecasts older than two years of partitions are not re-read every day.
SCORED_HISTORY_DAYS = 730


@asset(group_name=GROUP, partitions_def=daily_partitions, kinds={"pandas"})
def forecast_error(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    predicted_correlation: pd.DataFrame,
    champion_forecaster: dict,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """Every recorded forecast whose holding period has closed by the day, scored.

    Each is scored against the realised correlation (CMD and Frobenius) beside the
    historical benchmark and the noise floor; the drift state (episode, reason) goes in
    metadata for the drift sensor.

    The day's own ``predicted_correlation`` is an input for lineage and ordering only (its
    period has not closed); the recorded forecasts are read from their stored partitions.
    """
    day = context.partition_key
    pos, as_of, _ = as_of_position(pd.DatetimeIndex(asset_returns.index), day)
    known = asset_returns.iloc[: pos + 1]
    oldest = str((pd.Timestamp(day) - pd.Timedelta(days=SCORED_HISTORY_DAYS)).date())
    forecasts = {}
    for key, path in stored_partitions("predicted_correlation").items():
        if oldest <= key <= day:
            _, date, _ = as_of_position(pd.DatetimeIndex(known.index), key)
            forecasts[date] = read_stored(path)  # a later partition of the same as-of wins
    scores = score_forecasts(
        forecasts, known, horizon=settings.horizon, benchmark=get_forecaster(BENCHMARK)
    )
    states = drift_states(
        scores,
        reference=champion_forecaster.get("test_mean"),
        window=settings.drift_window,
        noise_ratio=settings.drift_noise_ratio,
        rearm_ratio=settings.drift_rearm_ratio,
        benchmark_margin=settings.drift_benchmark_margin,
    )
    decision = latest_decision(states)
    (context.log.warning if decision.drifted else context.log.info)(
        f"drift check ({len(scores)} scored forecasts): {decision.reason}"
    )
    frame = scores.join(states.drop(columns=["closed_on"]))
    meta = {
        "as_of": str(as_of.date()),
        "drifted": decision.drifted,
        "episode": decision.episode or "none",
        "reason": decision.reason,
        "champion": champion_forecaster["champion"],
        "scored_forecasts": len(scores),
        "recorded_forecasts": len(forecasts),
        "last_closed": str(scores["closed_on"].iloc[-1].date()) if len(scores) else "none",
        **{f"recent_{k}": v for k, v in decision.recent.items()},
    }
    if len(scores) and states["recent_champion_cmd"].notna().any():
        meta["error_vs_noise_floor"] = MetadataValue.md(
            markdown_image(forecast_error_png(states, loss="frobenius"), "frobenius")
            + "\n\n"
            + markdown_image(forecast_error_png(states, loss="cmd"), "cmd")
        )
        meta["latest_scores"] = markdown_table(
            frame[["closed_on", "champion_cmd", "benchmark_cmd", "floor_cmd", "drifted"]].tail(10)
        )
    return Output(frame, metadata=meta)
