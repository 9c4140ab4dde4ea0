"""Models: one trained forecaster per family (MLflow run + registered version), and the champion."""

import time

import pandas as pd
from dagster import AssetExecutionContext, AutomationCondition, MetadataValue, Output, asset

from correlation_platform.evaluation import choose_champion, score_holdout
from correlation_platform.forecasters import BENCHMARK
from correlation_platform.orchestration.assets._forecasters import (
    build_forecaster,
    features_for,
    scalar_params,
)
from correlation_platform.orchestration.assets._metadata import markdown_table
from correlation_platform.orchestration.partitions import forecaster_partitions
from correlation_platform.orchestration.resources import (
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)

GROUP = "models"


@asset(group_name=GROUP, partitions_def=forecaster_partitions, kinds={"mlflow", "scikit-learn"})
def trained_forecasters(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    market_data: MarketDataResource,
    mlflow: MlflowResource,
    settings: PlatformSettings,
) -> Output[dict]:
    """Score the family on a purged holdout, refit on all history, log and register it."""
    family = context.partition_key
    forecaster = build_forecaster(family, None, market_data.load().sectors)
    features = features_for(family, feature_panel)
    context.log.info(
        f"{family}: scoring on the last {settings.holdout_days} days (purged by {settings.horizon})"
    )
    started = time.perf_counter()
    score = score_holdout(
        forecaster, asset_returns, features, settings.holdout_days, settings.horizon
    )
    forecaster.fit(asset_returns, features)
    fit_seconds = time.perf_counter() - started
    context.log.info(f"{family}: holdout Frobenius {score.mean_frobenius:.4f}, {fit_seconds:.1f}s")
    params = scalar_params(forecaster)
    store = mlflow.store()
    logged = store.log_forecaster(
        forecaster,
        run_name=f"{family}-{asset_returns.index[-1].date()}",
        params={"family": family, "horizon": settings.horizon, **params},
        metrics={
            "holdout_frobenius": score.mean_frobenius,
            "holdout_n_forecasts": score.n_forecasts,
            "fit_seconds": fit_seconds,
        },
        tags={
            "dagster.run_id": context.run.run_id,
            "dagster.asset_key": "trained_forecasters",
            "dagster.partition": family,
            "family": family,
        },
    )
    context.log.info(
        f"{family}: MLflow run {logged.run_id}, registered version {logged.registered_version}"
    )
    record = {
        "family": family,
        "params": params,
        "holdout_frobenius": score.mean_frobenius,
        "holdout_start": str(score.start.date()),
        "holdout_end": str(score.end.date()),
        "train_end": str(asset_returns.index[-1].date()),
        "mlflow_run_id": logged.run_id,
        "model_uri": logged.model_uri,
        "registered_version": logged.registered_version,
    }
    return Output(
        record,
        metadata={
            "mlflow_run_id": logged.run_id,
            "model_uri": logged.model_uri,
            "registered_model_version": logged.registered_version,
            "holdout_frobenius": score.mean_frobenius,
            "holdout_window": f"{score.start.date()} .. {score.end.date()}",
        },
    )


@asset(group_name=GROUP, kinds={"mlflow"}, automation_condition=AutomationCondition.eager())
def champion_forecaster(
    context: AssetExecutionContext, trained_forecasters: dict, mlflow: MlflowResource
) -> Output[dict]:
    """Pick the champion among the trained families; move the registry aliases."""
    if not trained_forecasters:
        raise ValueError(
            "no trained forecaster partitions are materialised; run retraining_job first"
        )
    scores = {fam: rec["holdout_frobenius"] for fam, rec in trained_forecasters.items()}
    winner, reason = choose_champion(scores, BENCHMARK)
    store = mlflow.store()
    previous = store.alias_version("champion")
    store.set_alias("champion", trained_forecasters[winner]["registered_version"])
    others = sorted((s, f) for f, s in scores.items() if f != winner)
    challenger = others[0][1] if others else None
    if challenger:
        store.set_alias("challenger", trained_forecasters[challenger]["registered_version"])
    table = pd.DataFrame(
        {
            "holdout_frobenius": scores,
            "version": {f: r["registered_version"] for f, r in trained_forecasters.items()},
            "role": {
                f: ("champion" if f == winner else "challenger" if f == challenger else "")
                for f in scores
            },
        }
    ).sort_values("holdout_frobenius")
    context.log.info(f"champion: {winner} ({reason}); previous champion version {previous}")
    decision = {
        **trained_forecasters[winner],
        "champion": winner,
        "challenger": challenger,
        "reason": reason,
        "previous_champion_version": previous,
    }
    return Output(
        decision,
        metadata={
            "champion": winner,
            "challenger": challenger or "none",
            "reason": reason,
            "decision": markdown_table(table),
            "model_uri": MetadataValue.text(store.model_uri("champion")),
        },
    )
