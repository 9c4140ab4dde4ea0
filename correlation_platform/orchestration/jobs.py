"""Jobs: the daily prediction chain and the per-family retraining (partitions inferred)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

daily_prediction_job = define_asset_job(
    "daily_prediction_job",
    selection=AssetSelection.groups("predictions"),
    description="Forecast correlation with the champion, size volatility, optimise, write orders.",
)

retraining_job = define_asset_job(
    "retraining_job",
    selection=AssetSelection.assets("trained_forecasters"),
    description="Retrain one forecaster family (one partition per family); the champion "
    "re-selects itself once every family is done (champion_selection_sensor).",
)
