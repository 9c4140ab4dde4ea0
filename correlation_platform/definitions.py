"""The one Dagster entry point: ``defs``."""

from __future__ import annotations

from dagster import Definitions, load_assets_from_modules

from correlation_platform.orchestration.assets import (
    evaluation,
    features,
    ingestion,
    models,
    monitoring,
    predictions,
)
from correlation_platform.orchestration.executors import platform_executor
from correlation_platform.orchestration.io_manager import ParquetIOManager
from correlation_platform.orchestration.jobs import daily_prediction_job, retraining_job
from correlation_platform.orchestration.resources import (
    AlertWebhookResource,
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)
from correlation_platform.orchestration.schedules import (
    daily_prediction_schedule,
    quarterly_retraining_schedule,
)
from correlation_platform.orchestration.sensors import (
    champion_selection_sensor,
    correlation_drift_sensor,
    run_failure_alert_sensor,
)

ASSET_MODULES = [ingestion, features, models, predictions, evaluation, monitoring]


def build_definitions(resources: dict | None = None, jobs: list | None = None) -> Definitions:
    """The code location: assets, jobs, schedules, sensors and resources.

    Parameters
    ----------
    resources : dict, optional
        Resources replacing the defaults by key (tests pass temporary stores).
    jobs : list, optional
        Extra jobs.

    Returns
    -------
    dagster.Definitions
        With the executor of ``orchestration.executors`` (Dask when a scheduler is
        configured).
    """
    default = {
        "alert_webhook": AlertWebhookResource(),
        "io_manager": ParquetIOManager(),
        "market_data": MarketDataResource(),
        "mlflow": MlflowResource(),
        "settings": PlatformSettings(),
    }
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        jobs=[daily_prediction_job, retraining_job, *(jobs or [])],
        schedules=[daily_prediction_schedule, quarterly_retraining_schedule],
        sensors=[correlation_drift_sensor, run_failure_alert_sensor, champion_selection_sensor],
        resources={**default, **(resources or {})},
        executor=platform_executor(),
    )


defs = build_definitions()
