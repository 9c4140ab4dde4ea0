"""Forecast error against the noise floor as a PNG (Dagster markdown metadata, replay)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from correlation_platform.backtest.plots import figure_png


def forecast_error_png(
    states: pd.DataFrame, *, loss: str = "frobenius", marks: dict[str, pd.Timestamp] | None = None
) -> bytes:
    """Rolling champion and benchmark error, the noise floor and the drift limit over time.

    Parameters
    ----------
    states : DataFrame
        From :func:`~correlation_platform.monitoring.drift_states` (x axis: ``closed_on``).
    loss : {"frobenius", "cmd"}
        Which loss to draw.
    marks : dict, optional
        Vertical lines to draw, label -> date (e.g. the break, the alert, retraining).

    Returns
    -------
    bytes
        PNG image.
    """
    x = pd.DatetimeIndex(states["closed_on"])
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.plot(x, states[f"recent_champion_{loss}"], label="champion (rolling mean)", lw=1.5)
    ax.plot(x, states[f"recent_benchmark_{loss}"], label="historical benchmark", lw=1.0)
    ax.plot(x, states[f"recent_floor_{loss}"], label="noise floor", lw=1.0, color="grey")
    ax.plot(x, states[f"limit_{loss}"], label="drift limit", lw=1.0, ls="--", color="red")
    drifted = states["drifted"].to_numpy(bool)
    if drifted.any():
        top = float(states[f"recent_champion_{loss}"].max())
        ax.fill_between(x, 0, top, where=drifted, color="red", alpha=0.08, label="drift episode")
    for k, (label, date) in enumerate((marks or {}).items()):
        ax.axvline(pd.Timestamp(date), color=f"C{k + 3}", lw=1.0, ls=":", label=label)
    ax.set_title(f"Forecast error ({loss}) vs the noise floor, by the day each period closed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    return figure_png(fig)


def replay_png(
    states: pd.DataFrame, nav: pd.Series, *, marks: dict[str, pd.Timestamp] | None = None
) -> bytes:
    """Two panels over a replay: forecast error vs the noise floor (Frobenius), and NAV.

    Parameters
    ----------
    states : DataFrame
        The last ``forecast_error`` of the replay (drift states by closing day).
    nav : pd.Series
        NAV per replayed day.
    marks : dict, optional
        Vertical lines, label -> date (the break, alerts).

    Returns
    -------
    bytes
        PNG image.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    if len(states):
        x = pd.DatetimeIndex(states["closed_on"])
        top.plot(x, states["recent_champion_frobenius"], label="champion (rolling mean)")
        top.plot(x, states["recent_benchmark_frobenius"], label="historical benchmark", lw=1)
        top.plot(x, states["recent_floor_frobenius"], label="noise floor", color="grey", lw=1)
        top.plot(x, states["limit_frobenius"], label="drift limit", color="red", ls="--", lw=1)
        top.scatter(
            x, states["champion_frobenius"], s=4, color="C0", alpha=0.3, label="each forecast"
        )
    top.set_title("Forecast error (Frobenius) by the day each holding period closed")
    bottom.plot(nav.index, nav.to_numpy(), color="black", lw=1.2)
    bottom.set_title("NAV (book marked at each close)")
    for axis in (top, bottom):
        for k, (label, date) in enumerate((marks or {}).items()):
            axis.axvline(pd.Timestamp(date), color=f"C{k + 3}", ls=":", lw=1.2, label=label)
        axis.grid(alpha=0.3)
    top.legend(fontsize=7, loc="upper left")
    return figure_png(fig)
