"""The backtest report: one self-contained HTML file (plots embedded) plus a markdown summary."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from correlation_platform.backtest.engine import BacktestResult
from correlation_platform.backtest.plots import (
    correlation_heatmaps_png,
    cumulative_returns_png,
    drawdown_png,
    forecast_loss_png,
)

METRIC_LABELS = {
    "annual_return": "Annual return",
    "annual_volatility": "Annual volatility",
    "sharpe": "Sharpe",
    "sortino": "Sortino",
    "max_drawdown": "Max drawdown",
    "mean_turnover": "Turnover per rebalance",
    "annual_turnover": "Annual turnover",
    "information_ratio": "Information ratio vs historical",
    "tracking_error": "Tracking error vs historical",
    "mean_frobenius_loss": "Mean Frobenius loss vs realised",
    "n_rebalances": "Rebalances",
    "n_fallbacks": "Optimiser fallbacks",
}


@dataclass
class Report:
    html_path: Path
    markdown: str
    metrics_table: pd.DataFrame
    images: dict[str, bytes]


def metrics_table(results: list[BacktestResult]) -> pd.DataFrame:
    table = pd.DataFrame({r.name: r.metrics for r in results})
    table = table.reindex([k for k in METRIC_LABELS if k in table.index])
    table.index = [METRIC_LABELS[k] for k in table.index]
    return table


def _all_runs(results: list[BacktestResult]) -> list[BacktestResult]:
    runs, seen = [], set()
    for r in results:
        for run in (r, r.benchmark):
            if run is not None and run.name not in seen:
                runs.append(run)
                seen.add(run.name)
    return runs


def build_report(
    results: list[BacktestResult], assets: list[str], path: Path, title: str
) -> Report:
    """Write the HTML report to ``path``; return it with a markdown summary for Dagster."""
    runs = _all_runs(results)
    table = metrics_table(runs)
    main = results[0]
    images = {
        "cumulative_returns": cumulative_returns_png({r.name: r.returns for r in runs}),
        "drawdown": drawdown_png({r.name: r.returns for r in runs}),
        "forecast_loss": forecast_loss_png({r.name: r.forecast_loss for r in runs}),
    }
    if len(main.realized):
        last = len(main.realized) - 1
        date = main.forecast_dates[last].date()
        images["correlation_heatmap"] = correlation_heatmaps_png(
            main.predicted[last],
            main.realized[last],
            assets,
            f"{main.name}: forecast made {date} vs correlation realised over the next period",
        )
    body = [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Metrics</h2>",
        table.to_html(float_format=lambda v: f"{v:,.4f}"),
    ]
    for r in runs:
        if r.fallbacks:
            items = "".join(f"<li>{html.escape(f)}</li>" for f in r.fallbacks)
            body.append(f"<h3>{html.escape(r.name)}: optimiser fallbacks</h3><ul>{items}</ul>")
    for name, png in images.items():
        data = base64.b64encode(png).decode()
        body.append(
            f"<h2>{name.replace('_', ' ').capitalize()}</h2>"
            f'<img alt="{name}" src="data:image/png;base64,{data}"/>'
        )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}</style></head><body>" + "\n".join(body) + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    markdown = f"### {title}\n\n" + table.to_markdown(floatfmt=".4f")
    return Report(path, markdown, table, images)
