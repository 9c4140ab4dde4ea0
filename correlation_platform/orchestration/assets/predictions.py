"""Daily predictions: correlation forecast, volatility forecast, target weights, orders."""

import json

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, Failure, MetadataValue, Output, asset

from correlation_platform.backtest.metrics import TRADING_DAYS
from correlation_platform.monitoring import write_alert
from correlation_platform.orchestration.assets._forecasters import features_for
from correlation_platform.orchestration.assets._metadata import markdown_table
from correlation_platform.orchestration.checks import (
    check_correlation,
    check_weights,
    valid_correlation_spec,
    weights_spec,
)
from correlation_platform.orchestration.partitions import as_of_position, daily_partitions
from correlation_platform.orchestration.resources import (
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)
from correlation_platform.paths import subdir
from correlation_platform.portfolio import (
    PortfolioConstraints,
    PretradeLimits,
    ewma_volatility_forecast,
    expected_returns,
    garch_volatility_forecast,
    portfolio_constraints,
    pretrade_check,
    rebalance_weights,
)
from correlation_platform.portfolio import (
    rebalance_orders as make_orders,
)

GROUP = "predictions"


def _known(frame: pd.DataFrame, partition_key: str) -> tuple[pd.DataFrame, dict]:
    """Rows known at the close of the partition's day, and how stale the last row is."""
    pos, as_of, stale = as_of_position(pd.DatetimeIndex(frame.index), partition_key)
    return frame.iloc[: pos + 1], {"as_of": str(as_of.date()), "days_stale": stale}


@asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    kinds={"mlflow", "pandas"},
    check_specs=[valid_correlation_spec("predicted_correlation")],
)
def predicted_correlation(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    champion_forecaster: dict,
    mlflow: MlflowResource,
    settings: PlatformSettings,
):
    """The champion's forecast of the average correlation over the next ``horizon`` days."""
    known, info = _known(asset_returns, context.partition_key)
    recorded = mlflow.store().load_recorded(champion_forecaster["registered_version"])
    if recorded.mismatch:
        context.log.warning(recorded.mismatch)
    forecaster = recorded.forecaster
    features = features_for(champion_forecaster["champion"], feature_panel)
    if features is not None:
        features = features.loc[: known.index[-1]]
    matrix = forecaster.predict(known, features, horizon=settings.horizon)
    train_end = pd.Timestamp(champion_forecaster["train_end"])
    if pd.Timestamp(info["as_of"]) < train_end:
        context.log.warning(
            f"as-of {info['as_of']} precedes the model's training end {train_end.date()}: "
            "a backfilled forecast from a model that saw later data"
        )
    if info["days_stale"] > 5:
        context.log.warning(
            f"latest data row is {info['days_stale']} days older than the partition"
        )
    n = len(matrix)
    avg = float((matrix.values.sum() - n) / (n * (n - 1)))
    yield Output(
        matrix,
        metadata={
            **info,
            "champion": champion_forecaster["champion"],
            "model_version": recorded.version,
            "registry_alias_version": recorded.alias_version or "none",
            "registry_mismatch": recorded.mismatch or "none",
            "model_train_end": str(train_end.date()),
            "average_correlation": avg,
            "min_eigenvalue_before_repair": float(forecaster.min_eigenvalues_before_[-1]),
            "horizon_days": settings.horizon,
        },
    )
    yield check_correlation(matrix)


@asset(group_name=GROUP, partitions_def=daily_partitions, kinds={"arch", "pandas"})
def volatility_forecast(
    context: AssetExecutionContext, asset_returns: pd.DataFrame, settings: PlatformSettings
) -> Output[pd.DataFrame]:
    """Daily volatility per asset over the horizon: GARCH(1,1) (arch), EWMA fallback."""
    known, info = _known(asset_returns, context.partition_key)
    if settings.volatility_model == "garch":
        forecast = garch_volatility_forecast(known, horizon=settings.horizon)
        vol = forecast.daily_volatility.to_frame()
        vol["model"] = forecast.model
        for asset, model in forecast.model.items():
            if model != "garch":
                context.log.warning(f"{asset}: {model}")
    else:
        vol = ewma_volatility_forecast(known).to_frame()
        vol["model"] = "ewma"
    vol["annualised_volatility"] = vol["daily_volatility"] * TRADING_DAYS**0.5
    return Output(
        vol,
        metadata={
            **info,
            "model": settings.volatility_model,
            "fallbacks": int((vol["model"] != settings.volatility_model).sum()),
            "mean_annualised_volatility": float(vol["annualised_volatility"].mean()),
            "volatilities": markdown_table(vol[["annualised_volatility", "model"]]),
        },
    )


@asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    kinds={"cvxpy"},
    check_specs=[weights_spec("target_weights")],
)
def target_weights(
    context: AssetExecutionContext,
    predicted_correlation: pd.DataFrame,
    volatility_forecast: pd.DataFrame,
    asset_returns: pd.DataFrame,
    market_data: MarketDataResource,
    settings: PlatformSettings,
):
    """Optimised weights from D R D with the configured objective (solver in metadata).

    Built by the same two functions as every backtest rebalance
    (``portfolio_constraints`` and ``rebalance_weights``), so the backtest tests this step.
    """
    known, _ = _known(asset_returns, context.partition_key)
    mu = expected_returns(known, settings.expected_returns)
    current = _current_weights()
    constraints = _constraints(list(predicted_correlation.columns), market_data, settings)
    res = rebalance_weights(
        predicted_correlation,
        volatility_forecast["daily_volatility"],
        mu,
        objective=settings.objective,
        constraints=constraints,
        target_volatility=settings.target_volatility,
        current_weights=current,
    )
    if res.fallback:
        context.log.warning(f"optimiser fallback {res.fallback}: {res.reason}")
    frame = res.weights.to_frame("weight")
    frame["expected_return_annual"] = mu.reindex(frame.index) * TRADING_DAYS
    yield Output(
        frame,
        metadata={
            "objective": res.objective,
            "solver": res.solver,
            "status": res.status,
            "fallback": res.fallback or "none",
            "reason": res.reason or "none",
            "ex_ante_volatility": res.ex_ante_volatility,
            "expected_returns": settings.expected_returns,
            "sector_cap": settings.sector_cap,
            "weights": markdown_table(frame.sort_values("weight", ascending=False)),
        },
    )
    yield check_weights(res.weights, constraints, current)


def _constraints(
    assets: list[str], market_data: MarketDataResource, settings: PlatformSettings
) -> PortfolioConstraints:
    """The rebalance's constraint set from the settings (the backtest builds the same)."""
    return portfolio_constraints(
        assets,
        bounds=(0.0, settings.max_weight),
        sectors=market_data.load().sectors if settings.sector_cap > 0 else None,
        sector_cap=settings.sector_cap or None,
        max_turnover=settings.max_turnover or None,
        cost_bps=settings.cost_bps,
        horizon=settings.horizon,
    )


def _current_weights() -> pd.Series | None:
    """The book the execution system reports (outbox/current_weights.csv), if any."""
    path = subdir("outbox") / "current_weights.csv"
    if not path.exists():
        return None
    frame = pd.read_csv(path)
    if not {"asset", "weight"} <= set(frame.columns):
        raise ValueError(f"{path}: expected columns asset, weight; got {list(frame.columns)}")
    return frame.set_index("asset")["weight"].astype(float)


@asset(group_name=GROUP, partitions_def=daily_partitions, kinds={"pandas", "csv"})
def rebalance_orders(
    context: AssetExecutionContext,
    target_weights: pd.DataFrame,
    clean_prices: pd.DataFrame,
    market_data: MarketDataResource,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """Orders from the current book to the target, written to the outbox as CSV and JSON
    only when the pre-trade check passes (otherwise the run fails, saying why, and an alert
    file is written; nothing reaches the outbox)."""
    known, info = _known(clean_prices, context.partition_key)
    current = _current_weights()
    weights = target_weights["weight"]
    last = known.iloc[-1]
    bad = [a for a in weights.index if not (np.isfinite(last.get(a, np.nan)) and last[a] > 0)]
    orders = (
        make_orders(
            current,
            weights,
            nav=settings.nav,
            prices=last,
            min_trade_notional=settings.min_trade_notional,
            cost_bps=settings.cost_bps,
        )
        if not bad
        else pd.DataFrame(columns=["asset", "notional"])
    )
    check = pretrade_check(
        orders,
        target_weights=weights,
        prices=known.iloc[-2:],
        nav=settings.nav,
        constraints=_constraints(list(weights.index), market_data, settings),
        current_weights=current,
        limits=PretradeLimits(settings.max_price_move, settings.max_order_share),
    )
    if not check.passed:
        alert = write_alert(
            "pretrade_blocked",
            context.partition_key,
            {"partition": context.partition_key, **info, "violations": list(check.violations)},
        )
        raise Failure(
            description="pre-trade check blocked every order: " + "; ".join(check.violations),
            metadata={"violations": "\n".join(check.violations), "alert": str(alert)},
        )
    folder = subdir("outbox") / context.partition_key
    folder.mkdir(parents=True, exist_ok=True)
    orders.to_csv(folder / "orders.csv", index=False)
    (folder / "orders.json").write_text(
        json.dumps(
            {
                "partition": context.partition_key,
                **info,
                "nav": settings.nav,
                "orders": orders.to_dict(orient="records"),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    context.log.info(f"{len(orders)} orders written to {folder}")
    return Output(
        orders,
        metadata={
            **info,
            "orders": len(orders),
            "gross_notional": float(orders["notional"].sum()),
            "estimated_cost": float(orders["estimated_cost"].sum()),
            "starting_book": "outbox/current_weights.csv" if current is not None else "cash",
            "outbox": MetadataValue.path(str(folder)),
            "ticket": markdown_table(orders.set_index("asset"), floatfmt=".2f"),
        },
    )
