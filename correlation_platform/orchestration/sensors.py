"""Sensors: a drift episode -> one alert + retraining; failed runs -> alert; champion re-selection."""

import json

from dagster import (
    AssetKey,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    EventLogEntry,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from correlation_platform.monitoring import write_alert
from correlation_platform.monitoring.drift import REARM_DAYS
from correlation_platform.orchestration.jobs import retraining_job
from correlation_platform.orchestration.partitions import forecaster_partitions
from correlation_platform.orchestration.resources import AlertWebhookResource


def _metadata_value(entry: EventLogEntry, key: str):
    materialization = entry.asset_materialization
    value = materialization.metadata.get(key) if materialization else None
    return getattr(value, "value", value)


@sensor(
    job=retraining_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
def correlation_drift_sensor(context: SensorEvaluationContext, alert_webhook: AlertWebhookResource):
    """One alert and one retraining request (every family) per drift episode.

    ``forecast_error`` says whether the champion is in a drift episode (and since when).
    The cursor keeps whether the sensor is armed: an alert disarms it, and only
    ``REARM_DAYS`` consecutive days seen without drift re-arm it (the error came back, by
    the hysteresis of ``drift_states``, and stayed back). So later days of the same episode
    raise nothing, even when a retrained champion's new reference re-dates the episode or
    briefly clears it, and neither do re-evaluations or backfills of older days (the latest
    day seen is kept).
    """
    entry = context.instance.get_latest_materialization_event(AssetKey("forecast_error"))
    if entry is None:
        return SkipReason("forecast_error has never been materialised")
    cursor = {
        "armed": True,
        "calm_days": 0,
        **(json.loads(context.cursor) if context.cursor else {}),
    }
    day = entry.asset_materialization.partition or ""
    if day < cursor.get("day", ""):
        return SkipReason(f"forecast_error[{day}] is older than the day seen ({cursor['day']})")
    episode = _metadata_value(entry, "episode")
    reason = _metadata_value(entry, "reason")
    new_day = day > cursor.get("day", "")
    cursor["day"] = day
    if not _metadata_value(entry, "drifted") or not episode or episode == "none":
        cursor["calm_days"] += int(new_day)
        cursor["armed"] = cursor["armed"] or cursor["calm_days"] >= REARM_DAYS
        context.update_cursor(json.dumps(cursor))
        return SkipReason(f"no drift on {day}: {reason}")
    cursor["calm_days"] = 0
    if not cursor["armed"]:
        context.update_cursor(json.dumps(cursor))
        return SkipReason(
            f"drift episode alerted on {cursor.get('alerted_on')} still open (since {episode})"
        )
    payload = {
        "episode": episode,
        "day": day,
        "reason": reason,
        "champion": _metadata_value(entry, "champion"),
        "run_id": entry.run_id,
    }
    write_alert("correlation-drift", episode, payload)
    webhook = alert_webhook.webhook()
    if webhook is not None:
        error = webhook.post("correlation-drift", episode, payload)
        if error:
            context.log.warning(f"alert webhook failed ({error}); the alert file is written")
    cursor.update(armed=False, episode=episode, alerted_on=day)
    context.update_cursor(json.dumps(cursor))
    return [
        RunRequest(
            run_key=f"drift-{episode}-{family}",
            partition_key=family,
            tags={"trigger": "correlation_drift_sensor", "drift_episode": episode},
        )
        for family in forecaster_partitions.get_partition_keys()
    ]


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING, monitor_all_code_locations=False)
def run_failure_alert_sensor(
    context: RunFailureSensorContext, alert_webhook: AlertWebhookResource
) -> None:
    """Every failed run becomes an alert file (and webhook post) naming job, partition, error."""
    run = context.dagster_run
    payload = {
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "error": context.failure_event.message,
    }
    write_alert("run-failure", run.run_id, payload)
    webhook = alert_webhook.webhook()
    if webhook is not None:
        webhook.post("run-failure", run.run_id, payload)


champion_selection_sensor = AutomationConditionSensorDefinition(
    "champion_selection_sensor",
    target="champion_forecaster",
    default_status=DefaultSensorStatus.RUNNING,
    description="Re-selects the champion once retraining has refreshed the families (eager).",
)
