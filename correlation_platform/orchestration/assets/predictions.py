"""Daily predictions: forecasts, the book, target weights and orders (DESIGN section 8).

The correlation and volatility forecasts feed the optimiser, which moves the book
towards the target weights through orders.
"""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, Failure, MetadataValue, Output, asset

from correlation_platform.backtest.plots import forecast_move_png
from correlation_platform.forecasters.explain import PairExplainer
from correlation_platform.forecasters.point_in_time import as_of_forecaster
from correlation_platform.monitoring import write_alert
from correlation_platform.orchestration.assets._forecasters import features_for
from correlation_platform.orchestration.assets._metadata import markdown_image, markdown_table
from correlation_platform.orchestration.checks import (
    check_correlation,
    check_freshness,
    check_weights,
    freshness_spec,
    valid_correlation_spec,
    weights_spec,
)
from correlation_platform.orchestration.io_manager import read_stored, stored_partitions
from correlation_platform.orchestration.partitions import as_of_position, daily_partitions
from correlation_platform.orchestration.resources import (
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)
from correlation_platform.paths import subdir
from correlation_platform.portfolio import (
    CASH,
    Book,
    PortfolioConstraints,
    PretradeLimits,
    apply_fills,
    book_orders,
    ewma_volatility_forecast,
    expected_returns,
    garch_volatility_forecast,
    paper_fills,
    portfolio_constraints,
    pretrade_check,
    read_fills,
    read_shares_csv,
    rebalance_weights,
    reconcile,
    starting_book,
)
from correlation_platform.portfolio.orders import ORDER_COLUMNS
from correlation_platform.tracking.model_copy import LocalModelCopy
from correlation_platform.units import TRADING_DAYS

GROUP = "predictions"


def _known(frame: pd.DataFrame, partition_key: str) -> tuple[pd.DataFrame, dict]:
    """Rows known at the close of the partition's day, and how stale the last row is."""
    pos, as_of, stale = as_of_position(pd.DatetimeIndex(frame.index), partition_key)
    return frame.iloc[: pos + 1], {"as_of": str(as_of.date()), "days_stale": stale}


@asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    kinds={"mlflow", "pandas"},
    check_specs=[
        valid_correlation_spec("predicted_correlation"),
        freshness_spec("predicted_correlation"),
    ],
)
def predicted_correlation(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    champion_forecaster: dict,
    market_data: MarketDataResource,
    mlflow: MlflowResource,
    settings: PlatformSettings,
):
    """The champion's forecast of the correlation over the next ``horizon`` days.

    A past day (before the champion's training end, e.g. a backfill) is forecast by a
    point-in-time refit of the champion's family on the rows before that day's quarter,
    never by a model that saw later data.
    """
    known, info = _known(asset_returns, context.partition_key)
    recorded = mlflow.store().load_recorded(
        champion_forecaster["registered_version"],
        local=LocalModelCopy.from_dict(champion_forecaster.get("local_copy")),
    )
    context.log.info(f"champion version {recorded.version} loaded from the {recorded.source}")
    for message in (recorded.mismatch, *recorded.notes):
        if message:
            context.log.warning(message)
    if recorded.unavailable:
        context.log.warning(recorded.unavailable)
        write_alert(
            "tracking_unavailable",
            context.partition_key,
            {"step": "predicted_correlation", "message": recorded.unavailable},
        )
    features = features_for(champion_forecaster["champion"], feature_panel)
    if features is not None:
        features = features.loc[: known.index[-1]]
    train_end = pd.Timestamp(champion_forecaster["train_end"])
    model = as_of_forecaster(
        recorded.forecaster,
        known,
        features,
        tree=market_data.load().sectors,
        as_of=pd.Timestamp(info["as_of"]),
        trained_until=train_end,
        cache_dir=subdir("pit_models"),
    )
    if model.source == "refit":
        context.log.info(
            f"as-of {info['as_of']} precedes the champion's training end {train_end.date()}: "
            f"point-in-time refit on rows up to {model.fitted_until.date()}"
            + (" (cached)" if model.cached else "")
        )
    forecaster = model.forecaster
    matrix = forecaster.predict(known, features, horizon=settings.horizon)
    n = len(matrix)
    avg = float((matrix.values.sum() - n) / (n * (n - 1)))
    why = {}
    if isinstance(forecaster, PairExplainer) and len(known) > 1:
        previous = _previous_forecast_date(known.index, context.partition_key)
        move = forecaster.forecast_move(known, features, previous=previous)
        context.log.info(
            f"forecast moved {move.before:.4f} -> {move.after:.4f} since {previous.date()}; "
            f"largest contribution: {move.contributions.index[0]} "
            f"{move.contributions['contribution'].iloc[0]:+.4f}"
        )
        why = {
            "forecast_move": MetadataValue.md(
                f"Predicted average correlation (before the PSD repair) "
                f"{move.before:.4f} as of {previous.date()} -> {move.after:.4f} "
                f"({move.change:+.4f}); each input's contribution is today's forecast minus "
                "the forecast with that input set back to its previous value.\n\n"
                + move.contributions.to_markdown(floatfmt=".4f")
                + "\n\n"
                + markdown_image(forecast_move_png(move), "why the forecast moved")
            ),
            "forecast_move_since": str(previous.date()),
            "forecast_move_change": move.change,
        }
    yield Output(
        matrix,
        metadata={
            **info,
            "champion": champion_forecaster["champion"],
            "model_version": recorded.version,
            "registry_alias_version": recorded.alias_version or "none",
            "registry_mismatch": recorded.mismatch or "none",
            "model_loaded_from": recorded.source,
            "tracking_unavailable": recorded.unavailable or "no",
            "model_train_end": str(train_end.date()),
            "model_source": model.source,
            "model_fitted_until": str(model.fitted_until.date()),
            "average_correlation": avg,
            "min_eigenvalue_before_repair": float(forecaster.min_eigenvalues_before_[-1]),
            "horizon_days": settings.horizon,
            **why,
        },
    )
    yield check_correlation(matrix)
    yield check_freshness(
        pd.Timestamp(info["as_of"]),
        pd.Timestamp(context.partition_key),
        limit=settings.stale_business_days,
    )


def _previous_forecast_date(index: pd.DatetimeIndex, partition_key: str) -> pd.Timestamp:
    """As-of date of the previous rebalance: the last stored forecast's day, else the row before.

    Never the day itself (a stale day's previous partition may share its last row).
    """
    current = as_of_position(index, partition_key)[0]
    prior = stored_partitions("predicted_correlation", before=partition_key)
    if prior:
        position = as_of_position(index, list(prior)[-1])[0]
        if position < current:
            return index[position]
    return index[current - 1]


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


@asset(group_name=GROUP, partitions_def=daily_partitions, kinds={"pandas"})
def portfolio_book(
    context: AssetExecutionContext, clean_prices: pd.DataFrame, settings: PlatformSettings
) -> Output[pd.DataFrame]:
    """Shares and cash held at the day's close, after the fills of the previous day's orders.

    The previous book is this asset's latest stored partition before the day (the first
    day starts from ``settings.nav`` in cash and, optionally, ``starting_shares_csv``).
    Orders of that day fill at this close: the execution system's
    ``outbox/<day>/fills.csv`` (``execution="external"``) or paper fills at this close
    with ``cost_bps``. Orders nobody filled expire: the day's rebalance starts from the
    book as it is. Re-running a day re-applies the same fills: the book is the same.
    """
    known, info = _known(clean_prices, context.partition_key)
    as_of, prices = known.index[-1], known.iloc[-1]
    history = stored_partitions("portfolio_book", before=context.partition_key)
    fills = pd.DataFrame()
    if not history:
        shares = (
            read_shares_csv(settings.starting_shares_csv) if settings.starting_shares_csv else None
        )
        book = starting_book(list(known.columns), date=as_of, cash=settings.nav, shares=shares)
        source, previous_day = "starting book", "none"
    else:
        previous_day, path = list(history.items())[-1]
        previous = Book.from_frame(read_stored(path), date=as_of)
        fills, source = _fills(previous_day, prices, as_of, settings)
        book = apply_fills(previous, fills, date=as_of)
    frame = book.to_frame(prices)
    target_history = stored_partitions("target_weights", before=context.partition_key)
    last_target = (
        read_stored(list(target_history.values())[-1])["weight"] if target_history else None
    )
    recon = reconcile(book, prices, target_weights=last_target)
    nav = float(frame["value"].sum())
    context.log.info(
        f"book {as_of.date()}: NAV {nav:,.2f}, cash {book.cash:,.2f}, {len(fills)} fills ({source})"
    )
    return Output(
        frame,
        metadata={
            **info,
            "nav": nav,
            "cash": book.cash,
            "invested_share": float(1.0 - book.cash / nav) if nav else 0.0,
            "fills": len(fills),
            "fill_costs": float(fills["cost"].sum()) if len(fills) else 0.0,
            "fill_source": source,
            "previous_book": previous_day,
            "max_drift_from_target": float(recon["drift"].abs().max())
            if last_target is not None
            else 0.0,
            "reconciliation": markdown_table(recon),
            "holdings": markdown_table(frame, floatfmt=".2f"),
        },
    )


def _fills(
    previous_day: str, prices: pd.Series, as_of: pd.Timestamp, settings: PlatformSettings
) -> tuple[pd.DataFrame, str]:
    """Fills of the orders the previous day wrote, and where they came from."""
    folder = subdir("outbox") / previous_day
    orders_path = folder / "orders.csv"
    if not orders_path.exists():
        return pd.DataFrame(), "no orders on the previous day"
    orders = pd.read_csv(orders_path)
    if settings.execution == "external":
        fills_path = folder / "fills.csv"
        if not fills_path.exists():
            return pd.DataFrame(), f"external: no fills.csv in {folder} (orders expired)"
        return read_fills(fills_path, orders), f"external: {fills_path}"
    if pd.Timestamp(previous_day) >= as_of:
        return pd.DataFrame(), "paper: no new close since the orders (they expire)"
    return paper_fills(orders, prices, cost_bps=settings.cost_bps), "paper fills at this close"


def _held_weights(book_frame: pd.DataFrame) -> pd.Series | None:
    """The book's weights of NAV; None for an all-cash book (built from cash)."""
    shares = book_frame["shares"].drop(CASH)
    if not (shares != 0).any():
        return None
    return book_frame["weight"].drop(CASH)


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
    portfolio_book: pd.DataFrame,
    market_data: MarketDataResource,
    settings: PlatformSettings,
):
    """Optimised weights from D R D with the configured objective, moving from the book.

    The turnover limit and transaction costs are measured from the book's weights. Built by
    the same two functions as every backtest rebalance (``portfolio_constraints`` and
    ``rebalance_weights``), so the backtest tests this step.
    """
    known, _ = _known(asset_returns, context.partition_key)
    mu = expected_returns(known, method=settings.expected_returns)
    current = _held_weights(portfolio_book)
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
    frame["held"] = current.reindex(frame.index).fillna(0.0) if current is not None else 0.0
    frame["expected_return_annual"] = mu.reindex(frame.index) * TRADING_DAYS
    turnover = float((frame["weight"] - frame["held"]).abs().sum()) if current is not None else 1.0
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
            "turnover": turnover,
            "max_turnover": settings.max_turnover or "none",
            "starting_from": "the book" if current is not None else "cash",
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


def _write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step: an execution system never reads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@asset(group_name=GROUP, partitions_def=daily_partitions, kinds={"pandas", "csv"})
def rebalance_orders(
    context: AssetExecutionContext,
    target_weights: pd.DataFrame,
    portfolio_book: pd.DataFrame,
    clean_prices: pd.DataFrame,
    market_data: MarketDataResource,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """Orders in whole lots from the book to the target, written to the outbox.

    CSV and JSON are written only when the pre-trade check passes (otherwise the run fails,
    saying why, and an alert file is written; nothing reaches the outbox). Order ids are
    stable per day and asset, and the files are replaced atomically: re-running a day never
    duplicates orders.
    """
    known, info = _known(clean_prices, context.partition_key)
    book = Book.from_frame(portfolio_book, date=known.index[-1])
    current = _held_weights(portfolio_book)
    weights = target_weights["weight"]
    last = known.iloc[-1]
    bad = [a for a in weights.index if not (np.isfinite(last.get(a, np.nan)) and last[a] > 0)]
    orders = (
        book_orders(
            book,
            weights,
            last,
            lot_size=settings.lot_size,
            min_trade_notional=settings.min_trade_notional,
            cost_bps=settings.cost_bps,
        )
        if not bad
        else pd.DataFrame(columns=["order_id", *ORDER_COLUMNS])
    )
    nav = float(portfolio_book["value"].sum())
    check = pretrade_check(
        orders,
        target_weights=weights,
        prices=known.iloc[-2:],
        nav=nav,
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
    _write_atomic(folder / "orders.csv", orders.to_csv(index=False))
    _write_atomic(
        folder / "orders.json",
        json.dumps(
            {
                "partition": context.partition_key,
                **info,
                "nav": nav,
                "orders": orders.to_dict(orient="records"),
            },
            indent=2,
        ),
    )
    context.log.info(f"{len(orders)} orders written to {folder}")
    return Output(
        orders,
        metadata={
            **info,
            "orders": len(orders),
            "nav": nav,
            "gross_notional": float(orders["notional"].sum()),
            "estimated_cost": float(orders["estimated_cost"].sum()),
            "starting_book": "the book" if current is not None else "cash",
            "outbox": MetadataValue.path(str(folder)),
            "ticket": markdown_table(orders.set_index("asset"), floatfmt=".2f"),
        },
    )
