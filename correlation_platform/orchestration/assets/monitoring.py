"""Monitoring: the champion's recent forecast error against what was realised."""

import pandas as pd
from dagster import AssetExecutionContext, Output, asset

from correlation_platform.monitoring import detect_drift, forecast_error_frame
from correlation_platform.orchestration.assets._forecasters import features_for
from correlation_platform.orchestration.resources import MlflowResource, PlatformSettings

GROUP = "monitoring"


@asset(group_name=GROUP, kinds={"pandas"})
def forecast_error(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    champion_forecaster: dict,
    mlflow: MlflowResource,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """Frobenius and correlation-matrix distance of closed forecasts; drift verdict in metadata."""
    recorded = mlflow.store().load_recorded(champion_forecaster["registered_version"])
    if recorded.mismatch:
        context.log.warning(recorded.mismatch)
    forecaster = recorded.forecaster
    features = features_for(champion_forecaster["champion"], feature_panel)
    errors = forecast_error_frame(forecaster, asset_returns, settings.horizon, features=features)
    decision = detect_drift(
        errors,
        ratio_threshold=settings.drift_ratio_threshold,
        absolute_threshold=settings.drift_absolute_threshold,
    )
    log = context.log.warning if decision.drifted else context.log.info
    log(f"drift check: {decision.reason}")
    return Output(
        errors,
        metadata={
            "drifted": decision.drifted,
            "recent_cmd": decision.recent_cmd,
            "baseline_cmd": decision.baseline_cmd,
            "ratio": decision.ratio,
            "reason": decision.reason,
            "champion": champion_forecaster["champion"],
            "last_scored_forecast": str(errors.index[-1].date()) if len(errors) else "none",
        },
    )
