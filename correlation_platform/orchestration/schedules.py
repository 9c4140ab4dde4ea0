"""Schedules: predict every weekday after the close, retrain every quarter."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    schedule,
)

from correlation_platform.orchestration.jobs import daily_prediction_job, retraining_job
from correlation_platform.orchestration.partitions import forecaster_partitions

TIMEZONE = "America/New_York"


@schedule(
    job=daily_prediction_job,
    cron_schedule="30 18 * * 1-5",
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
)
def daily_prediction_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """18:30 New York on weekdays: the day's partition, after the close."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return RunRequest(run_key=f"daily-{day}", partition_key=day)


@schedule(
    job=retraining_job,
    cron_schedule="0 6 1 1,4,7,10 *",
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
)
def quarterly_retraining_schedule(context: ScheduleEvaluationContext):
    """First day of each quarter: one run per forecaster family."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for family in forecaster_partitions.get_partition_keys():
        yield RunRequest(
            run_key=f"retrain-{day}-{family}",
            partition_key=family,
            tags={"trigger": "quarterly_retraining_schedule"},
        )
