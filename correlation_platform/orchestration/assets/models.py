"""Models: one trained forecaster per family (MLflow run + registered version), and the champion."""

import json
import time

import pandas as pd
from dagster import AssetExecutionContext, AutomationCondition, MetadataValue, Output, asset

from correlation_platform.backtest.plots import explanation_png
from correlation_platform.evaluation import (
    GRIDS,
    select_champion,
    train_validation_test,
    tune_and_test,
)
from correlation_platform.forecasters import BENCHMARK, FORECASTERS, get_forecaster
from correlation_platform.forecasters.explain import PairExplainer, explain
from correlation_platform.orchestration.assets._forecasters import features_for
from correlation_platform.orchestration.assets._metadata import markdown_image, markdown_table
from correlation_platform.orchestration.partitions import forecaster_partitions
from correlation_platform.orchestration.resources import (
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)
from correlation_platform.paths import subdir

GROUP = "models"
#: The registry aliases the champion step moves, in that order.
ROLES = ("champion", "challenger")


@asset(group_name=GROUP, partitions_def=forecaster_partitions, kinds={"mlflow", "scikit-learn"})
def trained_forecasters(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    market_data: MarketDataResource,
    mlflow: MlflowResource,
    settings: PlatformSettings,
) -> Output[dict]:
    """Tune on validation, score once on test, refit on all history, log and register."""
    family = context.partition_key
    store = mlflow.store()
    store.check_reachable()  # before minutes of training, not after
    closed = store.close_orphans(lambda run_id: _dagster_run_alive(context, run_id))
    if closed:
        context.log.warning(f"closed {len(closed)} MLflow runs left RUNNING by killed runs")
    sectors = market_data.load().sectors
    features = features_for(family, feature_panel)
    split = train_validation_test(len(asset_returns), settings.horizon)
    dates = asset_returns.index
    context.log.info(
        f"{family}: train to {dates[split.train_end].date()}, validation "
        f"{dates[split.validation[0]].date()}..{dates[split.validation[-1]].date()}, test "
        f"{dates[split.test[0]].date()}..{dates[split.test[-1]].date()} (purged by {settings.horizon})"
    )
    started = time.perf_counter()
    selection = tune_and_test(
        get_forecaster(family, horizon=settings.horizon),
        asset_returns,
        features,
        grid=GRIDS.get(family, {}),
        tree=sectors,
        horizon=settings.horizon,
        time_budget=settings.tuning_budget_seconds,
        split=split,
        folds=settings.tuning_folds,
    )
    forecaster = get_forecaster(family, horizon=settings.horizon, **selection.params).fit(
        asset_returns, features, tree=sectors
    )
    seconds = time.perf_counter() - started
    test = selection.test_mean
    context.log.info(f"{family}: params {selection.params}, test losses {test}, {seconds:.1f}s")
    params = forecaster.get_params()
    explained, explanation_meta, explanation = {}, {}, None
    if isinstance(forecaster, PairExplainer):
        explanation = explain(forecaster, asset_returns, features)
        png = explanation_png(explanation)
        explained = {
            "metrics": {f"importance/{k}": v for k, v in explanation.importances.items()},
            "artifacts": {
                "explanation/importances.csv": explanation.importances.to_csv().encode(),
                "explanation/explanation.png": png,
                "explanation/explanation.json": json.dumps(explanation.to_dict()).encode(),
            },
        }
        explanation_meta = {
            "importances": markdown_table(explanation.importances.to_frame(), floatfmt=".5f"),
            "explanation": MetadataValue.md(markdown_image(png, f"{family} explanation")),
        }
        top = ", ".join(f"{k} {v:.4f}" for k, v in explanation.importances.head(3).items())
        context.log.info(f"{family}: most important inputs {top}")
    logged = store.log_forecaster(
        forecaster,
        run_name=f"{family}-{dates[-1].date()}",
        params={"family": family, "horizon": settings.horizon, **params},
        metrics={
            **{f"test_{k}": v for k, v in test.items()},
            "validation_best_frobenius": float(selection.validation["validation_loss"].min()),
            "test_n_forecasts": len(selection.test_losses),
            "train_seconds": seconds,
            **explained.get("metrics", {}),
        },
        tags={
            "dagster.run_id": context.run.run_id,
            "dagster.asset_key": "trained_forecasters",
            "dagster.partition": family,
            "family": family,
        },
        artifacts={
            "validation_grid.md": selection.validation.to_markdown(index=False).encode(),
            "test_losses.csv": selection.test_losses.to_csv().encode(),
            **explained.get("artifacts", {}),
        },
    )
    context.log.info(
        f"{family}: MLflow run {logged.run_id}, registered version {logged.registered_version}"
    )
    record = {
        "family": family,
        "params": params,
        "test_losses": {k: v.tolist() for k, v in selection.test_losses.items()},
        "test_dates": [str(d.date()) for d in selection.test_losses.index],
        "test_mean": test,
        "test_step": selection.step,
        "n_configurations": len(selection.validation),
        "train_end": str(dates[-1].date()),
        "mlflow_run_id": logged.run_id,
        "model_uri": logged.model_uri,
        "registered_version": logged.registered_version,
    }
    if explanation is not None:
        record["explanation"] = explanation.to_dict()
    return Output(
        record,
        metadata={
            "mlflow_run_id": logged.run_id,
            "model_uri": logged.model_uri,
            "registered_model_version": logged.registered_version,
            **{f"test_{k}": v for k, v in test.items()},
            "chosen_params": str(selection.params),
            "validation_grid": markdown_table(selection.validation),
            **explanation_meta,
        },
    )


def _dagster_run_alive(context: AssetExecutionContext, run_id: str) -> bool:
    return _dagster_run_state(context, run_id) == "running"


def _dagster_run_state(context: AssetExecutionContext, run_id: str) -> str:
    """``running``, ``success``, or the status of a run that ended otherwise (or ``unknown``)."""
    if run_id == context.run.run_id:
        return "running"
    run = context.instance.get_run_by_id(run_id)
    if run is None:
        return "unknown"
    if not run.is_finished:
        return "running"
    return "success" if run.is_success else run.status.value.lower()


@asset(group_name=GROUP, kinds={"mlflow"}, automation_condition=AutomationCondition.eager())
def champion_forecaster(
    context: AssetExecutionContext,
    trained_forecasters: dict,
    mlflow: MlflowResource,
    settings: PlatformSettings,
) -> Output[dict]:
    """Champion/challenger (``evaluation.select_champion``), then move the MLflow aliases.

    Partial training never moves an alias.
    """
    if not trained_forecasters:
        raise ValueError(
            "no trained forecaster partitions are materialised; run retraining_job first"
        )
    records = {rec["family"]: rec for rec in trained_forecasters.values()}
    store = mlflow.store()
    store.check_reachable(
        doing="selecting the champion", consequence="No alias moved; the champion is unchanged."
    )
    incomplete = store.mark_incomplete(lambda run_id: _dagster_run_state(context, run_id))
    if incomplete:
        context.log.warning(
            f"versions {', '.join(incomplete)} were registered by runs that did not finish: "
            "marked status=incomplete, never made champion or challenger"
        )
    current_version = store.alias_version("champion")
    current = store.version_tags(current_version).get("family") if current_version else None
    selection = select_champion(
        records,
        current=current,
        families=FORECASTERS,
        benchmark=BENCHMARK,
        horizon=settings.horizon,
        margin=settings.promotion_margin,
        alpha=settings.promotion_alpha,
    )
    decision, table, missing = selection.decision, selection.table, selection.missing
    if missing:
        context.log.warning(decision.reason)
    else:
        roles = {r: records[getattr(decision, r)]["registered_version"] for r in ROLES}
        for version_ in roles.values():  # both checked before either alias moves
            store.require_complete(version_)
        for role, version_ in roles.items():
            store.set_alias(role, version_)
    context.log.info(f"champion decision: {decision.reason}")
    store.log_decision(
        run_name=f"champion-selection-{context.run.run_id[:8]}",
        decision=decision,
        table=table,
        tags={"dagster.run_id": context.run.run_id, "dagster.asset_key": "champion_forecaster"},
    )
    champion_record = records.get(decision.champion)
    if champion_record is None:
        raise ValueError(
            f"champion {decision.champion} has no trained record in this round (aliases left "
            "unchanged); retrain that family"
        )
    if missing and current_version:  # the alias did not move: describe the version it holds
        champion_record = {**champion_record, "registered_version": current_version}
    # The daily run forecasts from this verified copy, without the tracking server.
    local = store.keep_local_copy(champion_record["registered_version"], subdir("models"))
    context.log.info(f"verified local copy of {local.describe()}: {local.file}")
    table_md = table.assign(
        role=[
            "champion"
            if m == decision.champion
            else "challenger"
            if m == decision.challenger
            else ""
            for m in table.index
        ]
    )
    out = {
        **champion_record,
        "champion": decision.champion,
        "challenger": decision.challenger,
        "promoted": decision.promote,
        "reason": decision.reason,
        "evidence": decision.evidence,
        "previous_champion": current,
        "comparison": table.reset_index(names="family").to_dict(orient="records"),
        "local_copy": local.to_dict(),
    }
    return Output(
        out,
        metadata={
            "champion": decision.champion,
            "challenger": decision.challenger or "none",
            "promoted": decision.promote,
            "reason": decision.reason,
            "comparison": markdown_table(table_md),
            "model_uri": MetadataValue.text(store.model_uri("champion")),
        },
    )
