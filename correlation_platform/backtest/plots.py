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
