"""Evaluation: every trained family walked forward against the historical benchmark."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from correlation_platform.backtest import build_report, run_backtests
from correlation_platform.forecasters import BENCHMARK, get_forecaster
from correlation_platform.forecasters.explain import Explanation
from correlation_platform.orchestration.assets._metadata import markdown_image
from correlation_platform.orchestration.resources import (
    MarketDataResource,
    MlflowResource,
    PlatformSettings,
)
from correlation_platform.paths import subdir
from correlation_platform.tracking import MlflowUnavailableError

GROUP = "evaluation"
#: The indicator that splits calm from stress days, when the source has it.
VOLATILITY_INDICATOR = "vix"


@asset(group_name=GROUP, kinds={"plotly", "html", "mlflow"})
def backtest_report(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    trained_forecasters: dict,
    champion_forecaster: dict,
    market_data: MarketDataResource,
    mlflow: MlflowResource,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """The verdict and its evidence.

    Every trained family (champion first) walked forward with the daily chain's
    objective, inputs and constraints, vs historical, equal weight and the index;
    significance, market conditions, calibration; HTML + MLflow.
    """
    champion = champion_forecaster["champion"]
    records = {rec["family"]: rec for rec in trained_forecasters.values()}
    params = {family: rec["params"] for family, rec in records.items()}
    params.setdefault(champion, champion_forecaster["params"])
    data = market_data.load()
    families = list(dict.fromkeys([champion, *sorted(params)]))
    forecasters = {f: get_forecaster(f, **params.get(f, {})) for f in families}
    references = {}
    if data.benchmark is not None:
        references[str(data.benchmark.name or "index")] = data.benchmark.pct_change()
    indicator = data.indicators.get(VOLATILITY_INDICATOR)
    results = run_backtests(
        asset_returns,
        forecasters,
        objectives=[settings.objective],
        features=feature_panel,
        tree=data.sectors,
        n_jobs=settings.backtest_workers,
        progress=context.log.info,
        rebalance_every=settings.horizon,
        train_size=settings.train_size,
        refit_every=settings.refit_every,
        cost_bps=settings.cost_bps,
        expected_returns=settings.expected_returns,
        volatility=settings.volatility_model,
        target_volatility=settings.target_volatility,
        bounds=(0.0, settings.max_weight),
        sectors=data.sectors if settings.sector_cap > 0 else None,
        sector_cap=settings.sector_cap or None,
        max_turnover=settings.max_turnover or None,
        references=references,
        indicator=indicator,
    )
    # K of the deflated Sharpe ratio: every configuration model selection actually tried.
    n_trials = sum(int(rec.get("n_configurations", 1)) for rec in records.values())
    ordered = [results[(f, settings.objective)] for f in families]
    path = subdir("reports") / "backtest_report.html"
    title = (
        f"Walk-forward backtest: champion {champion} vs {BENCHMARK}, {settings.objective}, "
        f"rebalance every {settings.horizon} days, {settings.cost_bps} bps"
    )
    explanations = {
        f: Explanation.from_dict(records[f]["explanation"])
        for f in families
        if "explanation" in records.get(f, {})
    }
    report = build_report(
        ordered,
        list(asset_returns.columns),
        path,
        title,
        n_trials=max(n_trials, 2),
        explanations=explanations,
    )
    context.log.info(f"verdict: {report.verdict}")
    context.log.info(f"report written to {path}")
    main = results[(champion, settings.objective)]
    headline = {
        f"backtest_{k}": float(main.metrics[k])
        for k in ("sharpe", "annual_volatility", "max_drawdown", "calmar", "bias_statistic")
        if k in main.metrics
    }
    run_id = records.get(champion, champion_forecaster).get("mlflow_run_id")
    if run_id:
        try:
            store = mlflow.store()
            store.check_reachable(
                doing="attaching the backtest report to the champion's run",
                consequence=f"The report is at {path}; it was not attached to MLflow.",
            )
            store.log_backtest(
                run_id,
                path,
                headline,
                {"verdict.md": report.markdown, "regimes.md": main.regimes.to_markdown()},
            )
        except MlflowUnavailableError as exc:  # the report is written: never block on MLflow
            context.log.warning(str(exc))
            run_id = None
    images = "\n\n".join(markdown_image(png, name) for name, png in report.images.items())
    table = report.metrics_table
    return Output(
        table,
        metadata={
            "verdict": MetadataValue.md(report.verdict),
            "report_path": MetadataValue.path(str(path)),
            "report": MetadataValue.md(report.markdown + "\n\n" + images),
            "market_conditions": MetadataValue.md(main.regimes.to_markdown(floatfmt=".3f")),
            "n_trials": n_trials,
            "sharpe": float(main.metrics["sharpe"]),
            "annual_volatility": float(main.metrics["annual_volatility"]),
            "information_ratio": float(main.metrics.get("information_ratio", float("nan"))),
            "n_fallbacks": len(main.fallbacks),
            "mlflow_run_id": run_id or "none",
        },
    )
