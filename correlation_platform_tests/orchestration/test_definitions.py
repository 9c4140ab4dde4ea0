"""The Dagster contract of DESIGN.md section 6: names other code relies on."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, Definitions

from correlation_platform.definitions import defs
from correlation_platform.forecasters import FORECASTERS

REPO = Path(__file__).resolve().parents[2]

ASSETS = {
    "ingestion": ["raw_prices", "raw_indicators"],
    "features": ["clean_prices", "asset_returns", "feature_panel", "realized_correlation"],
    "models": ["trained_forecasters", "champion_forecaster"],
    "predictions": [
        "predicted_correlation",
        "volatility_forecast",
        "target_weights",
        "rebalance_orders",
        "portfolio_book",
    ],
    "evaluation": ["backtest_report"],
    "monitoring": ["forecast_error"],
}


def test_asset_keys_and_groups():
    graph = defs.resolve_asset_graph()
    for group, keys in ASSETS.items():
        for key in keys:
            node = graph.get(AssetKey(key))
            assert node.group_name == group, key
    partitioned = {
        k.to_user_string(): graph.get(k).partitions_def for k in graph.get_all_asset_keys()
    }
    assert partitioned["trained_forecasters"].get_partition_keys() == list(FORECASTERS)
    for key in [*ASSETS["predictions"], "forecast_error"]:
        assert type(partitioned[key]).__name__ == "DailyPartitionsDefinition"


def test_the_daily_job_ingests_and_rebuilds_features_before_predicting():
    job = defs.resolve_job_def("daily_prediction_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw_prices", "raw_indicators", "clean_prices", "asset_returns", "feature_panel"} <= (
        selected
    )
    assert set(ASSETS["predictions"]) | {"forecast_error"} <= selected
    # Training labels and models are not rebuilt every day.
    assert not {"realized_correlation", "trained_forecasters", "champion_forecaster"} & selected


def test_jobs_schedules_sensors_exist():
    assert defs.resolve_job_def("daily_prediction_job") is not None
    assert defs.resolve_job_def("retraining_job") is not None
    assert defs.resolve_schedule_def("daily_prediction_schedule").cron_schedule == "30 18 * * 1-5"
    assert defs.resolve_schedule_def("quarterly_retraining_schedule") is not None
    for name in ("correlation_drift_sensor", "run_failure_alert_sensor"):
        assert defs.resolve_sensor_def(name) is not None


def test_every_matrix_and_weight_asset_is_checked():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("predicted_correlation", "valid_correlation") in checks
    assert ("target_weights", "weights_valid") in checks
    assert ("clean_prices", "no_missing_and_sorted") in checks


def test_definitions_are_loadable():
    Definitions.validate_loadable(defs)


def test_dagster_cli_validates_the_workspace(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # an empty home: CLI uses a temp instance
    dagster = Path(sys.executable).parent / "dagster"
    out = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ingestion_retries_with_backoff_but_bad_data_fails_at_once():
    from dagster import Backoff

    for key in ("raw_prices", "raw_indicators"):
        policy = defs.resolve_assets_def(key).op.retry_policy
        assert policy.max_retries == 3 and policy.backoff == Backoff.EXPONENTIAL
    # test_bad_inputs checks a validation error fails the step without a retry.
