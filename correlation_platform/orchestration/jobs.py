"""Jobs: the daily chain (ingest to book and error) and the per-family retraining."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

#: What the daily run rebuilds before predicting: what arrived, and the features from it
#: (not the training labels, ``realized_correlation``, which only retraining reads).
DAILY_INPUTS = AssetSelection.groups("ingestion") | AssetSelection.assets(
    "clean_prices", "asset_returns", "feature_panel"
)

daily_prediction_job = define_asset_job(
    "daily_prediction_job",
    selection=DAILY_INPUTS | AssetSelection.groups("predictions", "monitoring"),
    description="Each weekday after the close: ingest what arrived, rebuild the features, "
    "forecast with the champion as of the day, size volatility, mark the book, optimise "
    "from it, write orders, score the forecasts whose holding period closed.",
)

#: Tag of every retraining run: the production run queue (docker/dagster.yaml) admits as
#: many of these at once as the Dask worker pool has workers, one family each.
POOL_TAG = "corrplat/pool"

retraining_job = define_asset_job(
    "retraining_job",
    selection=AssetSelection.assets("trained_forecasters"),
    tags={POOL_TAG: "retraining"},
    description="Retrain one forecaster family (one partition per family); the champion "
    "re-selects itself once every family is done (champion_selection_sensor).",
)
