"""Evaluation: walk-forward backtest of the champion against the historical benchmark."""

import time

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from correlation_platform.backtest import build_report, run_backtest
from correlation_platform.forecasters import BENCHMARK
from correlation_platform.orchestration.assets._forecasters import build_forecaster, features_for
from correlation_platform.orchestration.assets._metadata import markdown_image
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform.paths import subdir

GROUP = "evaluation"


@asset(group_name=GROUP, kinds={"matplotlib", "html"})
def backtest_report(
    context: AssetExecutionContext,
    asset_returns: pd.DataFrame,
    feature_panel: pd.DataFrame,
    trained_forecasters: dict,
    champion_forecaster: dict,
    market_data: MarketDataResource,
    settings: PlatformSettings,
) -> Output[pd.DataFrame]:
    """HTML report (plots embedded): every trained family, champion first, vs historical."""
    champion = champion_forecaster["champion"]
    params = {rec["family"]: rec["params"] for rec in trained_forecasters.values()}
    params.setdefault(champion, champion_forecaster["params"])
    order = list(dict.fromkeys([champion, BENCHMARK, *sorted(params)]))
    sectors = market_data.load().sectors

    def backtest(family: str, benchmark):
        context.log.info(f"backtesting {family}")
        started = time.perf_counter()
        result = run_backtest(
            asset_returns,
            build_forecaster(family, params.get(family), sectors),
            features=features_for(family, feature_panel),
            objective=settings.objective,
            rebalance_every=settings.horizon,
            train_size=settings.train_size,
            refit_every=settings.refit_every,
            cost_bps=settings.cost_bps,
            target_volatility=settings.target_volatility,
            bounds=(0.0, settings.max_weight),
            benchmark=benchmark,
            progress=context.log.info,
        )
        context.log.info(f"backtested {family} in {time.perf_counter() - started:.1f}s")
        return result

    bench = backtest(BENCHMARK, True)
    results = {BENCHMARK: bench}
    for family in order:
        if family not in results:
            results[family] = backtest(family, bench)
    result = results[champion]
    path = subdir("reports") / "backtest_report.html"
    title = (
        f"Walk-forward backtest (champion: {champion}) vs historical, {settings.objective}, "
        f"rebalance every {settings.horizon} days, {settings.cost_bps} bps"
    )
    report = build_report([results[f] for f in order], list(asset_returns.columns), path, title)
    context.log.info(f"report written to {path}")
    images = "\n\n".join(
        markdown_image(report.images[k], k)
        for k in ("cumulative_returns", "correlation_heatmap")
        if k in report.images
    )
    table = report.metrics_table
    return Output(
        table,
        metadata={
            "report_path": MetadataValue.path(str(path)),
            "report": MetadataValue.md(report.markdown + "\n\n" + images),
            "sharpe": float(result.metrics["sharpe"]),
            "annual_volatility": float(result.metrics["annual_volatility"]),
            "information_ratio": float(result.metrics.get("information_ratio", float("nan"))),
            "n_fallbacks": len(result.fallbacks),
        },
    )
