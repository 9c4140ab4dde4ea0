"""Sensors: drift -> alert + retraining; failed runs -> alert; champion re-selection."""

from dagster import (
    AssetKey,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    EventLogEntry,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset_sensor,
    run_failure_sensor,
)

from correlation_platform.monitoring import write_alert
from correlation_platform.orchestration.jobs import retraining_job
from correlation_platform.orchestration.partitions import forecaster_partitions


def _metadata_value(entry: EventLogEntry, key: str):
    materialization = entry.asset_materialization
    value = materialization.metadata.get(key) if materialization else None
    return getattr(value, "value", value)


@asset_sensor(
    asset_key=AssetKey("forecast_error"),
    job=retraining_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
def correlation_drift_sensor(context: SensorEvaluationContext, asset_event: EventLogEntry):
    """On a drifted forecast_error materialisation: write an alert and retrain every family."""
    if not _metadata_value(asset_event, "drifted"):
        return SkipReason(f"no drift: {_metadata_value(asset_event, 'reason')}")
    key = f"{asset_event.run_id or 'runless'}-{int(asset_event.timestamp * 1000)}"
    write_alert(
        "correlation-drift",
        key,
        {
            "reason": _metadata_value(asset_event, "reason"),
            "recent_cmd": _metadata_value(asset_event, "recent_cmd"),
            "run_id": asset_event.run_id,
        },
    )
    return [
        RunRequest(
            run_key=f"drift-{key}-{family}",
            partition_key=family,
            tags={"trigger": "correlation_drift_sensor"},
        )
        for family in forecaster_partitions.get_partition_keys()
    ]


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING, monitor_all_code_locations=False)
def run_failure_alert_sensor(context: RunFailureSensorContext) -> None:
    """Every failed run becomes an alert file naming the job, partition and error."""
    run = context.dagster_run
    write_alert(
        "run-failure",
        run.run_id,
        {
            "job": run.job_name,
            "partition": run.tags.get("dagster/partition"),
            "error": context.failure_event.message,
        },
    )


champion_selection_sensor = AutomationConditionSensorDefinition(
    "champion_selection_sensor",
    target="champion_forecaster",
    default_status=DefaultSensorStatus.RUNNING,
    description="Re-selects the champion once retraining has refreshed the families (eager).",
)
