"""Interactive report figures (plotly), one function per figure.

Each returns a ``plotly.graph_objects.Figure``; :mod:`.report` embeds them in one offline
HTML page with plotly.js included once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from correlation_platform.backtest.metrics import drawdown, rolling_volatility
from correlation_platform.forecasters import FORECASTERS
from correlation_platform.forecasters.explain import TOP_IMPORTANCES

#: One colour per run in every figure: the families in registry order, then references.
PALETTE = qualitative.D3
KNOWN_RUNS = [*FORECASTERS, "equal_weight"]


def color_for(name: str) -> str:
    """The run's colour, the same in every figure (unknown names by a stable checksum).

    Parameters
    ----------
    name : str
        The run's name.

    Returns
    -------
    str
        A CSS colour.
    """
    k = KNOWN_RUNS.index(name) if name in KNOWN_RUNS else sum(map(ord, name))
    return PALETTE[k % len(PALETTE)]


#: Figure height in pixels (one screen holds two).
HEIGHT = 380


def _layout(fig: go.Figure, title: str, **kwargs) -> go.Figure:
    fig.update_layout(
        title=title,
        height=kwargs.pop("height", HEIGHT),
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        hovermode=kwargs.pop("hovermode", "x unified"),
        legend={"orientation": "h", "y": -0.15},
        template="plotly_white",
        **kwargs,
    )
    return fig


def _lines(series: dict[str, pd.Series], mode: str = "lines") -> go.Figure:
    """One line per run, in the run's colour."""
    fig = go.Figure()
    for name, values in series.items():
        fig.add_trace(
            go.Scatter(
                x=values.index,
                y=values.to_numpy(),
                name=name,
                mode=mode,
                line={"color": color_for(name)},
            )
        )
    return fig


def growth_figure(series: dict[str, pd.Series]) -> go.Figure:
    """Growth of 1 after costs, log scale, one line per run.

    Parameters
    ----------
    series : dict of str to pandas.Series
        Daily returns per run, by name.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = _lines({name: (1.0 + r.fillna(0.0)).cumprod() for name, r in series.items()})
    fig.update_yaxes(type="log")
    return _layout(fig, "Growth of 1 (after costs)")


def drawdown_figure(series: dict[str, pd.Series]) -> go.Figure:
    """Drawdown from the running peak, one line per run.

    Parameters
    ----------
    series : dict of str to pandas.Series
        Daily returns per run, by name.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = _lines({name: drawdown(r.fillna(0.0)) for name, r in series.items()})
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, "Drawdown")


def rolling_volatility_figure(
    series: dict[str, pd.Series], *, target: float | None = None
) -> go.Figure:
    """Trailing one-year realised volatility, with the target when there is one.

    Parameters
    ----------
    series : dict of str to pandas.Series
        Daily returns per run, by name.
    target : float, optional
        Annualised target drawn as a line.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = _lines({name: rolling_volatility(r) for name, r in series.items()})
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", annotation_text=f"target {target:.0%}")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, "Rolling 1-year realised volatility")


def weights_figure(weights: pd.DataFrame, name: str) -> go.Figure:
    """Target weights at each rebalance, stacked.

    Parameters
    ----------
    weights : pandas.DataFrame
        Rebalance dates x assets.
    name : str
        The run's name (title).

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = go.Figure()
    for asset in weights.columns:
        fig.add_trace(
            go.Scatter(
                x=weights.index,
                y=weights[asset].to_numpy(),
                name=str(asset),
                mode="lines",
                stackgroup="w",
                line={"width": 0.5},
            )
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return _layout(fig, f"{name}: target weights at each rebalance")


def turnover_figure(turnover: dict[str, pd.Series]) -> go.Figure:
    """Turnover per rebalance, one trace per run.

    Parameters
    ----------
    turnover : dict of str to pandas.Series
        Each run's turnover by rebalance date.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = _lines(turnover, mode="lines+markers")
    return _layout(fig, "Turnover per rebalance (sum of |weight changes|)")


def _average_off_diagonal(stack: np.ndarray) -> np.ndarray:
    n = stack.shape[-1]
    return (stack.sum(axis=(1, 2)) - n) / (n * (n - 1))


def average_correlation_figure(
    predicted: dict[str, tuple[pd.DatetimeIndex, np.ndarray]],
    realized: tuple[pd.DatetimeIndex, np.ndarray],
) -> go.Figure:
    """Predicted vs realised average pairwise correlation at each rebalance.

    Does the forecast see stress (correlations converging) coming?

    Parameters
    ----------
    predicted : dict
        Run name -> (dates, T x N x N forecasts).
    realized : tuple
        (dates, T x N x N realised correlations).

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = _lines(
        {name: pd.Series(_average_off_diagonal(m), index=d) for name, (d, m) in predicted.items()}
    )
    dates, mats = realized
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=_average_off_diagonal(mats),
            name="realised (next period)",
            mode="lines",
            line={"color": "black", "width": 2},
        )
    )
    return _layout(fig, "Average pairwise correlation: forecast vs realised over the period")


def heatmaps_figure(
    predicted: np.ndarray, realized: np.ndarray, assets: list[str], title: str
) -> go.Figure:
    """Predicted, realised and their difference, side by side.

    Parameters
    ----------
    predicted, realized : numpy.ndarray
        N x N correlation matrices.
    assets : list of str
        Axis labels.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = make_subplots(rows=1, cols=3, subplot_titles=("predicted", "realised", "difference"))
    for col, m in enumerate((predicted, realized, predicted - realized), start=1):
        fig.add_trace(
            go.Heatmap(
                z=m,
                x=assets,
                y=assets,
                zmin=-1,
                zmax=1,
                colorscale="RdBu_r",
                showscale=col == 3,
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    return _layout(fig, title, height=460, hovermode="closest")


def forecast_loss_figure(losses: dict[str, pd.Series]) -> go.Figure:
    """Frobenius distance of each forecast to the realised correlation.

    Parameters
    ----------
    losses : dict of str to pandas.Series
        Each run's ``forecast_loss``.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    return _layout(_lines(losses), "Forecast error: Frobenius distance to the realised correlation")


def condition_figure(regimes: dict[str, pd.DataFrame]) -> go.Figure:
    """Annualised volatility per market condition, one bar group per run.

    Parameters
    ----------
    regimes : dict of str to pandas.DataFrame
        Each run's ``regimes`` table.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    fig = go.Figure()
    for name, table in regimes.items():
        if "annual_volatility" not in table:
            continue
        fig.add_trace(
            go.Bar(
                x=list(table.index),
                y=table["annual_volatility"],
                name=name,
                marker_color=color_for(name),
            )
        )
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, "Realised volatility per market condition", barmode="group")


def explanation_figure(explanation) -> go.Figure:
    """Permutation importances beside the partial dependence of the top market features.

    Parameters
    ----------
    explanation : correlation_platform.forecasters.explain.Explanation
        One family's explanation.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure.
    """
    curves = explanation.dependence
    fig = make_subplots(
        rows=1,
        cols=1 + len(curves),
        column_widths=[0.4] + [0.6 / max(1, len(curves))] * len(curves),
        subplot_titles=["permutation importance (rise in Fisher-z MSE)", *curves],
    )
    top = explanation.importances.head(TOP_IMPORTANCES)[::-1]
    fig.add_trace(
        go.Bar(
            x=top.to_numpy(),
            y=[str(k) for k in top.index],
            orientation="h",
            marker_color=color_for(explanation.family),
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    for k, (feature, curve) in enumerate(curves.items(), start=2):
        fig.add_trace(
            go.Scatter(
                x=list(curve.index),
                y=curve.to_numpy(),
                mode="lines+markers",
                name=feature,
                showlegend=False,
            ),
            row=1,
            col=k,
        )
        fig.update_xaxes(title_text=feature, row=1, col=k)
    fig.update_yaxes(automargin=True, row=1, col=1)
    if curves:
        fig.update_yaxes(title_text="predicted average correlation", row=1, col=2)
    return _layout(
        fig,
        f"{explanation.family}: what drives the forecast (as of {explanation.as_of.date()})",
        height=420,
        hovermode="closest",
    )
