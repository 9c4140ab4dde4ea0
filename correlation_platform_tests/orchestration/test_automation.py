"""Schedules and sensors evaluated against a real (ephemeral) Dagster instance."""

import json
import socket
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
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
from correlation_platform.monitoring.drift import REARM_DAYS
from correlation_platform.orchestration.resources import AlertWebhookResource
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


def _evaluate(instance, cursor, day, drifted, episode, webhook=""):
    instance.report_runless_asset_event(
        AssetMaterialization(
            "forecast_error",
            partition=day,
            metadata={"drifted": drifted, "episode": episode, "reason": "test", "champion": "ewma"},
        )
    )
    ctx = build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        resources={"alert_webhook": AlertWebhookResource(url=webhook)},
    )
    result = correlation_drift_sensor(ctx)
    requests = getattr(result, "run_requests", None)
    if requests is None and isinstance(result, list):
        requests = result
    return list(requests or []), ctx.cursor


def test_drift_sensor_alerts_once_per_episode(corrplat_home):
    instance = DagsterInstance.ephemeral()
    reqs, cursor = _evaluate(instance, None, "2024-03-01", False, "none")
    assert not reqs
    reqs, cursor = _evaluate(instance, cursor, "2024-03-04", True, "2024-03-04")
    assert sorted(r.partition_key for r in reqs) == sorted(FORECASTERS)
    assert {r.tags["drift_episode"] for r in reqs} == {"2024-03-04"}
    # Later days of the same episode, a re-evaluation, and the same episode re-dated (a
    # retrained champion changes the reference its history is judged against) raise nothing.
    for day, since in (
        ("2024-03-05", "2024-03-04"),
        ("2024-03-06", "2024-03-04"),
        ("2024-03-06", "2024-03-04"),
        ("2024-03-07", "2024-03-05"),
    ):
        reqs, cursor = _evaluate(instance, cursor, day, True, since)
        assert not reqs
    # A backfill of an older day that shows another episode is ignored.
    reqs, cursor = _evaluate(instance, cursor, "2024-02-01", True, "2024-01-20")
    assert not reqs
    # The error came back for a few days only (a retrained champion's new reference can
    # clear the state briefly): still the same alert.
    for day in pd.bdate_range("2024-03-08", periods=REARM_DAYS - 1):
        reqs, cursor = _evaluate(instance, cursor, str(day.date()), False, "none")
    reqs, cursor = _evaluate(instance, cursor, "2024-03-25", True, "2024-03-25")
    assert not reqs
    # Back for REARM_DAYS days, then a new break: a second episode, a second alert.
    for day in pd.bdate_range("2024-04-01", periods=REARM_DAYS):
        reqs, cursor = _evaluate(instance, cursor, str(day.date()), False, "none")
    reqs, cursor = _evaluate(instance, cursor, "2024-05-02", True, "2024-05-02")
    assert len(reqs) == len(FORECASTERS)
    alerts = sorted(p.name for p in (corrplat_home / "alerts").glob("correlation-drift-*.json"))
    assert alerts == ["correlation-drift-2024-03-04.json", "correlation-drift-2024-05-02.json"]


def test_drift_alert_is_posted_to_the_webhook(corrplat_home):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        instance = DagsterInstance.ephemeral()
        reqs, _ = _evaluate(instance, None, "2024-03-04", True, "2024-03-04", webhook=url)
    finally:
        server.shutdown()
    assert reqs and len(received) == 1
    assert received[0]["kind"] == "correlation-drift" and received[0]["episode"] == "2024-03-04"


def test_an_unreachable_webhook_still_writes_the_alert(corrplat_home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    instance = DagsterInstance.ephemeral()
    reqs, _ = _evaluate(
        instance, None, "2024-03-04", True, "2024-03-04", webhook=f"http://127.0.0.1:{port}/"
    )
    assert reqs
    assert (corrplat_home / "alerts" / "correlation-drift-2024-03-04.json").exists()


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
    run_failure_alert_sensor(ctx, alert_webhook=AlertWebhookResource())
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
