"""Static report figures as PNG bytes (matplotlib, headless).

For markdown previews (Dagster metadata); the HTML report's interactive figures are in
:mod:`.figures`.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from correlation_platform.forecasters.explain import TOP_IMPORTANCES


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (90 dpi, tight); the figure is closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    bytes
        The PNG image.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def cumulative_returns_png(series: dict[str, pd.Series]) -> bytes:
    """Growth of 1 per run, as PNG.

    Parameters
    ----------
    series : dict of str to pandas.Series
        Daily returns per run, by name.

    Returns
    -------
    bytes
        The PNG image.
    """
    fig, ax = plt.subplots(figsize=(9, 4))
    for name, r in series.items():
        ax.plot((1.0 + r).cumprod(), label=name, lw=1.2)
    ax.set_title("Growth of 1 (after costs)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return figure_png(fig)


def correlation_heatmaps_png(
    predicted: np.ndarray, realized: np.ndarray, assets: list[str], title: str
) -> bytes:
    """Predicted and realised correlation heatmaps side by side, as PNG.

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
    bytes
        The PNG image.
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    panels = [
        (predicted, "predicted"),
        (realized, "realised"),
        (predicted - realized, "predicted - realised"),
    ]
    for ax, (m, label) in zip(axes, panels, strict=True):
        im = ax.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_title(label)
        ticks = np.arange(len(assets))
        ax.set_xticks(ticks, assets, rotation=90, fontsize=7)
        ax.set_yticks(ticks, assets, fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.suptitle(title)
    return figure_png(fig)


def explanation_png(explanation) -> bytes:
    """Permutation importances (bars) beside the partial dependence of the top features.

    Parameters
    ----------
    explanation : correlation_platform.forecasters.explain.Explanation
        What :func:`~correlation_platform.forecasters.explain.explain` returned.

    Returns
    -------
    bytes
        The PNG image.
    """
    curves = explanation.dependence
    fig, axes = plt.subplots(
        1, 1 + len(curves), figsize=(4.5 + 3.2 * len(curves), 4.2), squeeze=False
    )
    axes = axes[0]
    top = explanation.importances.head(TOP_IMPORTANCES)[::-1]
    labels = [_short(str(k)) for k in top.index]
    axes[0].barh(labels, top.to_numpy(), color=np.where(top.to_numpy() >= 0, "C0", "C3"))
    axes[0].axvline(0.0, color="grey", lw=0.8)
    axes[0].set_title(f"{explanation.family}: permutation importance", fontsize=10)
    axes[0].set_xlabel("rise in Fisher-z MSE when shuffled", fontsize=8)
    axes[0].tick_params(labelsize=7)
    axes[0].xaxis.set_major_locator(MaxNLocator(4))  # small values: long tick labels
    for ax, (feature, curve) in zip(axes[1:], curves.items(), strict=True):
        ax.plot(curve.index, curve.to_numpy(), marker="o", ms=3, lw=1.4)
        ax.set_title(f"partial dependence: {feature}", fontsize=10)
        ax.set_xlabel(f"{feature} (5th-95th percentile)", fontsize=8)
        ax.set_ylabel("predicted average correlation", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"What drives the forecast, as of {explanation.as_of.date()}", fontsize=11)
    return figure_png(fig)


def forecast_move_png(move) -> bytes:
    """Why the forecast moved: each input's contribution to the change, as bars.

    Parameters
    ----------
    move : correlation_platform.forecasters.explain.ForecastMove
        What :meth:`~correlation_platform.forecasters.explain.PairExplainer.forecast_move`
        returned.

    Returns
    -------
    bytes
        The PNG image.
    """
    table = move.contributions.head(TOP_IMPORTANCES)[::-1]
    values = table["contribution"].to_numpy()
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(table) + 1.6))
    ax.barh([_short(str(k)) for k in table.index], values, color=np.where(values >= 0, "C3", "C0"))
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_xlabel("contribution to the change of the predicted average correlation", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(
        f"Forecast moved {move.before:.3f} -> {move.after:.3f} ({move.change:+.3f}) from "
        f"{move.previous.date()} to {move.as_of.date()}",
        fontsize=10,
    )
    ax.grid(alpha=0.3, axis="x")
    return figure_png(fig)


def _short(label: str, width: int = 32) -> str:
    """A label cut to ``width`` characters for an axis."""
    return label if len(label) <= width else label[: width - 1] + "…"
