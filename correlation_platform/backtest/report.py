"""The backtest report: a verdict first, then the evidence, in one offline HTML file.

The page answers in its first lines whether the champion beats the historical matrix,
where and how surely (the verdict), then shows the summary table with significance marks,
every family's tests (Holm-adjusted) and deflated Sharpe ratio, the per-condition table
and interactive plotly figures (plotly.js embedded once, so the file works offline). The
same tables come back as markdown for Dagster metadata, and two static PNGs (growth of 1,
heatmaps) for markdown previews.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.offline

from correlation_platform.backtest import figures
from correlation_platform.backtest.comparison import RISK_OBJECTIVES, conditions_won, verdict_table
from correlation_platform.backtest.engine import BacktestResult
from correlation_platform.backtest.metrics import performance_metrics
from correlation_platform.backtest.plots import correlation_heatmaps_png, cumulative_returns_png
from correlation_platform.forecasters import BENCHMARK

METRIC_LABELS = {
    "annual_return": "Annual return",
    "annual_volatility": "Annual volatility",
    "sharpe": "Sharpe",
    "sortino": "Sortino",
    "calmar": "Calmar",
    "max_drawdown": "Max drawdown",
    "realized_vs_target_volatility": "Realised / target volatility",
    "share_on_target": "Days within ±20% of target (63-day vol)",
    "mean_turnover": "Turnover per rebalance",
    "annual_turnover": "Annual turnover",
    "information_ratio": "Information ratio vs historical",
    "tracking_error": "Tracking error vs historical",
    "information_ratio_vs_equal_weight": "Information ratio vs equal weight",
    "tracking_error_vs_equal_weight": "Tracking error vs equal weight",
    "bias_statistic": "Bias statistic (1 = calibrated)",
    "mahalanobis_ratio": "Mahalanobis calibration ratio (1 = calibrated)",
    "mean_frobenius_loss": "Mean Frobenius loss vs realised",
    "n_rebalances": "Rebalances",
    "n_fallbacks": "Optimiser fallbacks",
}
#: Metrics and columns shown as percentages, and as whole numbers, in the report's tables.
PERCENT = {
    "annual_return", "annual_volatility", "max_drawdown", "share_on_target",
    "tracking_error", "tracking_error_vs_equal_weight", "benchmark_volatility",
    "volatility_vs_historical",
}  # fmt: skip
COUNTS = {"days", "n_rebalances", "n_fallbacks"}
#: The level the verdict sentence judges at.
SIGNIFICANCE = 0.05
#: Significance marks: p below each level earns one more star.
MARKS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right;font-size:13px}
th{background:#f4f4f4}.verdict{font-size:1.15em;background:#f6f9ff;border-left:4px solid #36c;
padding:.6em 1em}.note{color:#666;font-size:12px}
"""


@dataclass
class Report:
    """The written report.

    Attributes
    ----------
    html_path : Path
        The self-contained HTML file.
    markdown : str
        Verdict and tables for Dagster metadata.
    metrics_table : pd.DataFrame
        Metrics by run (columns) and metric label (rows).
    verdict : str
        The verdict sentence.
    verdict_table : pd.DataFrame
        Every family vs the benchmark (tests, Holm, DSR, conditions won).
    images : dict
        Static PNGs (``cumulative_returns``, ``correlation_heatmap``) for markdown.
    """

    html_path: Path
    markdown: str
    metrics_table: pd.DataFrame
    verdict: str
    verdict_table: pd.DataFrame
    images: dict[str, bytes]


def mark(pvalue: float) -> str:
    """Stars for a p-value: *** < 0.01, ** < 0.05, * < 0.10.

    Parameters
    ----------
    pvalue : float
        The p-value (NaN gives no stars).

    Returns
    -------
    str
        The stars, possibly empty.
    """
    if pvalue is None or not np.isfinite(pvalue):
        return ""
    return next((stars for level, stars in MARKS if pvalue < level), "")


def _all_runs(results: list[BacktestResult]) -> list[BacktestResult]:
    runs, seen = [], set()
    for r in results:
        for run in (r, r.benchmark):
            if run is not None and run.name not in seen:
                runs.append(run)
                seen.add(run.name)
    return runs


def metrics_table(results: list[BacktestResult]) -> pd.DataFrame:
    """Metrics of every run and reference (columns), labelled rows.

    Parameters
    ----------
    results : list of BacktestResult
        The runs, champion first.

    Returns
    -------
    pandas.DataFrame
        Metric x run.
    """
    runs = _all_runs(results)
    columns = {r.name: r.metrics for r in runs}
    target = (
        runs[0].config.get("target_volatility")
        if runs[0].config.get("objective") == "target_volatility"
        else None
    )
    for name, series in runs[0].references.items():
        if series.notna().sum() > 2:
            columns[name] = performance_metrics(series.dropna(), target_volatility=target)
    table = pd.DataFrame(columns)
    table = table.reindex([k for k in METRIC_LABELS if k in table.index])
    return table


def _format_metrics(table: pd.DataFrame, results: list[BacktestResult]) -> pd.DataFrame:
    out = table.astype(object).copy()
    for key in table.index:
        for col in table.columns:
            out.loc[key, col] = _cell(key, table.loc[key, col], 3)
    for r in results:
        sig = r.significance
        if sig is None or r.name not in out.columns:
            continue
        p_sharpe = sig["pvalue"].get("Sharpe difference, Ledoit-Wolf HAC", np.nan)
        p_var = sig["pvalue"].get("Diebold-Mariano, realised portfolio variance", np.nan)
        if "sharpe" in out.index:
            out.loc["sharpe", r.name] = f"{out.loc['sharpe', r.name]}{mark(p_sharpe)}"
        if "annual_volatility" in out.index:
            out.loc["annual_volatility", r.name] = (
                f"{out.loc['annual_volatility', r.name]}{mark(p_var)}"
            )
    out.index = [METRIC_LABELS[k] for k in out.index]
    return out


def verdict_sentence(result: BacktestResult, verdict: pd.DataFrame) -> str:
    """The champion against the historical matrix, in words and numbers.

    Parameters
    ----------
    result : BacktestResult
        The champion's run.
    verdict : pandas.DataFrame
        Its row of the verdict table (significance and conditions).

    Returns
    -------
    str
        One or two sentences.
    """
    if result.name == BENCHMARK or result.benchmark is None or result.significance is None:
        return (
            f"The champion is the {BENCHMARK} matrix itself: no forecaster has yet shown "
            "enough evidence to replace it (the table below compares every challenger with it)."
        )
    bench = result.benchmark
    sig = result.significance
    vol_a, vol_b = result.metrics["annual_volatility"], bench.metrics["annual_volatility"]
    sh_a, sh_b = result.metrics["sharpe"], bench.metrics["sharpe"]
    p_dm = sig["pvalue"].get("Diebold-Mariano, realised portfolio variance", np.nan)
    p_hac = sig["pvalue"].get("Sharpe difference, Ledoit-Wolf HAC", np.nan)
    p_boot = sig["pvalue"].get("Sharpe difference, Ledoit-Wolf bootstrap", np.nan)
    wins, of = conditions_won(result)
    judged = (
        "lower realised variance"
        if result.config.get("objective") in RISK_OBJECTIVES
        else ("a higher Sharpe ratio")
    )
    row = verdict.loc[result.name] if result.name in verdict.index else None
    dsr = (
        f"; deflated Sharpe ratio {row['deflated_sharpe_ratio']:.2f} for K = {verdict.attrs['n_trials']} configurations tried"
        if row is not None
        else ""
    )
    variance_word = "lower" if vol_a < vol_b else "higher"
    sharpe_word = "higher" if sh_a > sh_b else "lower"

    def judged_at_5(p: float, what: str) -> str:
        return (
            f"the {what} is significant" if p < SIGNIFICANCE else f"the {what} is not significant"
        )

    return (
        f"{result.name} vs {BENCHMARK}: realised volatility {vol_a / vol_b - 1:+.1%} "
        f"({vol_a:.2%} vs {vol_b:.2%}, DM p = {p_dm:.3f}), Sharpe {sh_a - sh_b:+.2f} "
        f"({sh_a:.2f} vs {sh_b:.2f}, Ledoit-Wolf p = {p_hac:.3f} HAC, {p_boot:.3f} bootstrap), "
        f"{judged} in {wins} of {of} market conditions{dsr}. At 5%, "
        f"{judged_at_5(p_dm, f'{variance_word} realised variance')} and "
        f"{judged_at_5(p_hac, f'{sharpe_word} Sharpe ratio')}."
    )


def _cell(name: str, value, digits: int) -> str:
    """One table cell: percent, whole number or ``digits`` decimals by the metric's name."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if name in PERCENT:
        return f"{value:.2%}"
    if name in COUNTS:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _table_html(frame: pd.DataFrame, digits: int = 3) -> str:
    shown = frame.copy().astype(object)
    for column in frame.columns:
        shown[column] = [_cell(str(column), v, digits) for v in frame[column]]
    return '<div style="overflow-x:auto">' + shown.to_html(border=0, escape=True) + "</div>"


def build_report(
    results: list[BacktestResult],
    assets: list[str],
    path: Path,
    title: str,
    *,
    n_trials: int | None = None,
    explanations: dict | None = None,
) -> Report:
    """Write the HTML report to ``path``; return it with the markdown for Dagster.

    Parameters
    ----------
    results : list of BacktestResult
        The champion first, then the other families (each with its benchmark run).
    assets : list of str
        Asset names (heatmap labels).
    path : Path
        Where the HTML goes.
    title : str
        Page title.
    n_trials : int, optional
        Configurations tried (families x tuning grid points) for the deflated Sharpe
        ratio; default the number of runs.
    explanations : dict of str to Explanation, optional
        What drives each feature-learning family's forecast
        (:func:`~correlation_platform.forecasters.explain.explain`), shown in a section
        of their own.

    Returns
    -------
    Report
        The written report.
    """
    runs = _all_runs(results)
    main = results[0]
    challengers = {r.name: r for r in runs if r.significance is not None}
    k = n_trials if n_trials is not None else len(runs)
    verdict = verdict_table(challengers, n_trials=k) if challengers else pd.DataFrame()
    sentence = verdict_sentence(main, verdict)
    table = metrics_table(results)
    shown = _format_metrics(table, results)
    series = {r.name: r.returns for r in runs}
    series.update({n: s.dropna() for n, s in main.references.items() if s.notna().sum() > 2})
    figs = _figures(main, runs, series, assets)
    body = [
        *_tables_html(title, sentence, shown, verdict, main),
        *(fig.to_html(full_html=False, include_plotlyjs=False) for fig in figs),
        *_explanations_html(explanations or {}),
        *_fallbacks_html(runs),
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    markdown = "\n\n".join(
        [
            f"### {title}",
            f"**Verdict.** {sentence}",
            shown.to_markdown(),
            verdict.to_markdown(floatfmt=".3f") if len(verdict) else "",
            main.regimes.to_markdown(floatfmt=".3f") if main.regimes is not None else "",
            *(_explanation_markdown(e) for e in (explanations or {}).values()),
        ]
    )
    images = _preview_images(main, series, assets)
    return Report(
        html_path=path,
        markdown=markdown,
        metrics_table=table,
        verdict=sentence,
        verdict_table=verdict,
        images=images,
    )


def _figures(
    main: BacktestResult,
    runs: list[BacktestResult],
    series: dict[str, pd.Series],
    assets: list[str],
) -> list:
    """The report's interactive figures, in page order."""
    target = (
        main.config.get("target_volatility")
        if main.config.get("objective") == "target_volatility"
        else None
    )
    figs = [
        figures.growth_figure(series),
        figures.drawdown_figure(series),
        figures.rolling_volatility_figure(series, target=target),
        figures.weights_figure(main.weights, main.name),
        figures.turnover_figure({r.name: r.turnover for r in runs}),
        figures.condition_figure({r.name: r.regimes for r in runs if r.regimes is not None}),
    ]
    if len(main.realized):
        figs.append(
            figures.average_correlation_figure(
                {r.name: (r.weights.index, r.predicted) for r in runs},
                (main.forecast_dates, main.realized),
            )
        )
        last = len(main.realized) - 1
        figs.append(
            figures.heatmaps_figure(
                main.predicted[last],
                main.realized[last],
                assets,
                f"{main.name}: forecast made {main.forecast_dates[last].date()} vs the "
                "correlation realised over the next period",
            )
        )
    figs.append(figures.forecast_loss_figure({r.name: r.forecast_loss for r in runs}))
    return figs


def _tables_html(
    title: str,
    sentence: str,
    shown: pd.DataFrame,
    verdict: pd.DataFrame,
    main: BacktestResult,
) -> list[str]:
    """The verdict, the summary, every family's tests and the conditions, as HTML."""
    config = ", ".join(f"{k_}={v}" for k_, v in main.config.items())
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="verdict">{html.escape(sentence)}</p>',
        f'<p class="note">Configuration: {html.escape(config)}. Marks: Sharpe by the '
        "Ledoit-Wolf HAC test, volatility by Diebold-Mariano on realised holding-period "
        "variance, both vs historical; * p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01.</p>",
        "<h2>Summary</h2>",
        '<div style="overflow-x:auto">' + shown.to_html(border=0) + "</div>",
    ]
    if len(verdict):
        body += [
            "<h2>Every family vs historical</h2>",
            '<p class="note">p-values of equal Sharpe ratios (Ledoit-Wolf HAC and '
            "studentised block bootstrap; Jobson-Korkie-Memmel assumes iid normal returns) "
            "and of equal realised variance (DM); Holm-adjusted across families; deflated "
            f"Sharpe ratio with K = {verdict.attrs['n_trials']} configurations tried.</p>",
            _table_html(verdict),
        ]
    if main.significance is not None:
        body += [
            f"<h2>{html.escape(main.name)}: tests vs historical</h2>",
            _table_html(main.significance, 4),
        ]
    if main.regimes is not None:
        body += [
            f"<h2>{html.escape(main.name)}: market conditions</h2>",
            '<p class="note">Stress: the volatility indicator (VIX, or a realised proxy) at '
            "the previous close above the 80th percentile of its history so far; crisis "
            "windows are calendar spans.</p>",
            _table_html(main.regimes),
        ]
    return body


#: Importances listed per family in the report's tables (the figure shows a dozen).
EXPLAINED_ROWS = 8


def _explanations_html(explanations: dict) -> list[str]:
    """The section on what drives the feature-learning families' forecasts."""
    if not explanations:
        return []
    body = [
        "<h2>What drives the forecasts of the feature-learning families</h2>",
        '<p class="note">Permutation importance: the rise of the Fisher-z mean squared '
        "error of the pair correlations on the last held-out dates before the explained "
        "date when one market feature is shuffled across dates (the pair features, "
        "trailing and EWMA correlations and volatilities, shuffled together, each pair on "
        "its own). Partial dependence: the predicted average correlation as of that date "
        "while one feature is set across its 5th-95th percentile, every other input at "
        "its value. Fitted models of the training round, on all history.</p>",
    ]
    for family, e in explanations.items():
        top = e.importances.head(EXPLAINED_ROWS).to_frame("importance")
        body += [
            f"<h3>{html.escape(family)}</h3>",
            _table_html(top, 5),
            figures.explanation_figure(e).to_html(full_html=False, include_plotlyjs=False),
        ]
    return body


def _explanation_markdown(explanation) -> str:
    """One family's importances as a markdown block."""
    top = explanation.importances.head(EXPLAINED_ROWS).to_frame("importance")
    return f"**{explanation.family}: what drives it**\n\n" + top.to_markdown(floatfmt=".5f")


def _fallbacks_html(runs: list[BacktestResult]) -> list[str]:
    """One list of optimiser and volatility fallbacks per run that had any."""
    out = []
    for r in runs:
        if r.fallbacks:
            items = "".join(f"<li>{html.escape(f)}</li>" for f in r.fallbacks)
            out.append(f"<h3>{html.escape(r.name)}: fallbacks</h3><ul>{items}</ul>")
    return out


def _preview_images(
    main: BacktestResult, series: dict[str, pd.Series], assets: list[str]
) -> dict[str, bytes]:
    """PNG previews for Dagster markdown: growth of 1 and the last forecast's heatmaps."""
    images = {"cumulative_returns": cumulative_returns_png(series)}
    if len(main.realized):
        last = len(main.realized) - 1
        images["correlation_heatmap"] = correlation_heatmaps_png(
            main.predicted[last], main.realized[last], assets,
            f"{main.name}: forecast {main.forecast_dates[last].date()} vs realised",
        )  # fmt: skip
    return images
