"""Schedules and sensors evaluated against a real (ephemeral) Dagster instance."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    asset,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    materialize,
)

from correlation_platform.definitions import defs
from correlation_platform.forecasters import FORECASTERS
from correlation_platform.orchestration.schedules import (
    daily_prediction_schedule,
    quarterly_retraining_schedule,
)
from correlation_platform.orchestration.sensors import (
    correlation_drift_sensor,
    run_failure_alert_sensor,
)

NY = ZoneInfo("America/New_York")


def test_daily_schedule_predicts_the_days_partition():
    ctx = build_schedule_context(scheduled_execution_time=datetime(2024, 3, 5, 18, 30, tzinfo=NY))
    req = daily_prediction_schedule(ctx)
    assert req.partition_key == "2024-03-05"
    assert defs.resolve_job_def("daily_prediction_job").partitions_def.has_partition_key(
        "2024-03-05"
    )


def test_quarterly_schedule_retrains_every_family():
    ctx = build_schedule_context(scheduled_execution_time=datetime(2024, 4, 1, 6, 0, tzinfo=NY))
    reqs = list(quarterly_retraining_schedule(ctx))
    assert sorted(r.partition_key for r in reqs) == sorted(FORECASTERS)
    assert len({r.run_key for r in reqs}) == len(FORECASTERS)


def _sensor_requests(instance, drifted: bool):
    instance.report_runless_asset_event(
        AssetMaterialization(
            "forecast_error", metadata={"drifted": drifted, "reason": "test", "recent_cmd": 0.4}
        )
    )
    ctx = build_sensor_context(instance=instance, definitions=defs)
    return correlation_drift_sensor(ctx)


def test_drift_sensor_alerts_and_requests_retraining(corrplat_home):
    instance = DagsterInstance.ephemeral()
    quiet = _sensor_requests(instance, drifted=False)
    assert not getattr(quiet, "run_requests", None)
    result = _sensor_requests(instance, drifted=True)
    reqs = result.run_requests if hasattr(result, "run_requests") else list(result)
    assert sorted(r.partition_key for r in reqs) == sorted(FORECASTERS)
    assert len(list((corrplat_home / "alerts").glob("correlation-drift-*.json"))) == 1


def test_run_failure_sensor_writes_an_alert(corrplat_home):
    @asset
    def broken() -> pd.DataFrame:
        raise RuntimeError("boom")

    instance = DagsterInstance.ephemeral()
    result = materialize([broken], instance=instance, raise_on_error=False)
    assert not result.success
    ctx = build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    run_failure_alert_sensor(ctx)
    alert = (corrplat_home / "alerts" / f"run-failure-{result.run_id}.json").read_text()
    assert "boom" in alert or "broken" in alert


def test_the_embedded_instance_never_runs_one_partition_twice_at_once(tmp_path):
    import shutil

    import yaml
    from dagster import DagsterInstance

    from correlation_platform.paths import REPO_ROOT

    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    limits = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {
        "key": "dagster/partition",
        "value": {"applyLimitPerUniqueValue": True},
        "limit": 1,
    } in limits
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = DagsterInstance.from_config(str(tmp_path))  # the file is a valid instance
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
