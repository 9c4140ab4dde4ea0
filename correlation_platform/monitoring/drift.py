"""Scoring recorded forecasts once their holding period closes, and the drift rule.

Every day the platform stored a forecast (``predicted_correlation``). Once the ``horizon``
rows after its as-of date have arrived, :func:`score_forecasts` scores it against the
realised sample correlation, beside the historical benchmark's forecast for the same date
and the noise floor (the loss a perfect forecast would show, :func:`noise_floor`).
:func:`drift_states` turns that history into drift episodes: drift when the champion's
recent error exceeds what noise (or its own test-period error) explains, or exceeds the
benchmark's; an episode ends only once the error has come back (hysteresis), so one break
gives one episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.forecasters import CorrelationForecaster
from correlation_platform.linalg import correlation_matrix_distance, frobenius_distance
from correlation_platform.monitoring.noise_floor import noise_floor

LOSSES = ("cmd", "frobenius")
# 21 scored forecasts: one month of daily forecasts. Their h-day windows overlap, so this
# is about two independent scores; with 10 the CMD/floor ratio of a good model on a
# stationary market reached 1.46 (measured, 12 assets, 1,000 days), with 21 it stays
# under 1.3.
DRIFT_WINDOW = 21
# Drift when the recent error is 1.5x what noise (or the test period) explains: a margin
# above the 1.3 a good model reaches by chance (tests), left for fat tails.
NOISE_RATIO = 1.5
# The episode ends once the error is back under 1.2x the explained level: a gap below the
# entry ratio so an error hovering at the limit does not open an episode a day.
REARM_RATIO = 1.2
# Drift when the champion is 10% worse than the historical benchmark over the window.
BENCHMARK_MARGIN = 0.10
# The drift sensor re-arms after ten consecutive days without drift. An alert's retraining
# can change the champion and so the reference its recorded errors are judged against; in
# the default replay that flipped the state off for two days and back on (a second alert
# for one break) - ten days is two weeks of the error really being back.
REARM_DAYS = 10


def score_forecasts(
    forecasts: Mapping[pd.Timestamp, pd.DataFrame],
    returns: pd.DataFrame,
    *,
    horizon: int,
    benchmark: CorrelationForecaster,
) -> pd.DataFrame:
    """Score every recorded forecast whose ``horizon``-day holding period has closed.

    Parameters
    ----------
    forecasts : mapping of date to DataFrame
        Recorded forecasts keyed by their as-of date (the last return row they knew).
    returns : DataFrame
        Daily returns (dates x assets) up to today; only rows after each as-of date up to
        ``horizon`` rows later are read for its realisation.
    horizon : int
        Holding period the forecasts cover (rows).
    benchmark : CorrelationForecaster
        Scored on the same dates from the rows known at each (typically historical).

    Returns
    -------
    DataFrame
        Indexed by forecast date: ``closed_on`` (the day its period closed),
        ``average_correlation`` (realised), ``champion_cmd``, ``champion_frobenius``,
        ``benchmark_cmd``, ``benchmark_frobenius``, ``floor_cmd``, ``floor_frobenius``.
        Empty when no holding period has closed yet.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be a positive number of rows, got {horizon}")
    index = pd.DatetimeIndex(returns.index)
    x = returns.to_numpy(dtype=float)
    closed = {}
    for date, matrix in forecasts.items():
        pos = index.get_indexer([pd.Timestamp(date)])[0]
        if pos < 0:
            raise ValueError(f"forecast as of {pd.Timestamp(date).date()} is not a return date")
        if pos + horizon < len(index):
            closed[pd.Timestamp(date)] = (pos, matrix)
    columns = [
        "closed_on",
        "average_correlation",
        *(f"{who}_{loss}" for who in ("champion", "benchmark", "floor") for loss in LOSSES),
    ]
    if not closed:
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="date"))
    dates = pd.DatetimeIndex(sorted(closed))
    first = closed[dates[0]][0]
    benchmark_path = benchmark.fit(returns.iloc[: first + 1]).iter_path(
        returns, None, dates=dates, horizon=horizon
    )
    n = x.shape[1]
    rows = []
    for date, bench in zip(dates, benchmark_path, strict=True):
        pos, matrix = closed[date]
        realised = np.corrcoef(x[pos + 1 : pos + 1 + horizon], rowvar=False)
        predicted = matrix.reindex(index=returns.columns, columns=returns.columns).to_numpy()
        if np.isnan(predicted).any():
            missing = sorted(set(returns.columns) - set(matrix.columns))
            raise ValueError(f"forecast as of {date.date()} lacks assets {missing}")
        average = float((realised.sum() - n) / (n * (n - 1)))
        rows.append(
            {
                "closed_on": index[pos + horizon],
                "average_correlation": average,
                "champion_cmd": correlation_matrix_distance(predicted, realised),
                "champion_frobenius": frobenius_distance(predicted, realised),
                "benchmark_cmd": correlation_matrix_distance(bench.correlation, realised),
                "benchmark_frobenius": frobenius_distance(bench.correlation, realised),
                "floor_cmd": noise_floor(n, horizon, min(average, 0.99), loss="cmd"),
                "floor_frobenius": noise_floor(n, horizon, min(average, 0.99), loss="frobenius"),
            }
        )
    return pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="date"))[columns]


@dataclass(frozen=True)
class DriftDecision:
    """The drift state after the latest scored forecast.

    Attributes
    ----------
    drifted : bool
        Whether a drift episode is open.
    episode : str or None
        ISO date the open episode started (the day its first breach was scored); the
        identity an alert is keyed by.
    reason : str
        Why (the losses and limits), or why not.
    recent : dict
        Latest rolling means: champion, benchmark and floor per loss.
    """

    drifted: bool
    episode: str | None
    reason: str
    recent: dict


def drift_states(
    scores: pd.DataFrame,
    *,
    reference: Mapping[str, float] | None = None,
    window: int = DRIFT_WINDOW,
    noise_ratio: float = NOISE_RATIO,
    rearm_ratio: float = REARM_RATIO,
    benchmark_margin: float = BENCHMARK_MARGIN,
) -> pd.DataFrame:
    """Drift episodes over a history of scored forecasts (oldest first, by ``closed_on``).

    For each loss (CMD, Frobenius) the explained level is the larger of the recent noise
    floor and the champion's own test-period error (``reference``). A breach opens an
    episode when the champion's recent mean error exceeds ``noise_ratio`` x that level, or
    ``1 + benchmark_margin`` x the benchmark's recent error. The episode closes once every
    loss is back under ``rearm_ratio`` x its level and within ``benchmark_margin / 2`` of
    the benchmark.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`score_forecasts`.
    reference : mapping, optional
        Champion's mean test-period loss per loss name (``{"cmd": ..., "frobenius": ...}``).
    window : int
        Scored forecasts in the rolling mean.
    noise_ratio, rearm_ratio : float
        Entry and exit multiples of the explained level (``rearm_ratio < noise_ratio``).
    benchmark_margin : float
        Relative excess over the benchmark that opens an episode.

    Returns
    -------
    DataFrame
        Indexed like ``scores``: ``recent_<who>_<loss>``, ``limit_<loss>``, ``breach``
        (the reason, empty if none), ``drifted`` (bool) and ``episode`` (the start date
        as ISO text, empty when no episode is open).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    if not 0 < rearm_ratio <= noise_ratio:
        raise ValueError(
            f"need 0 < rearm_ratio <= noise_ratio, got {rearm_ratio} and {noise_ratio}"
        )
    if benchmark_margin < 0:
        raise ValueError(f"benchmark_margin must be >= 0, got {benchmark_margin}")
    reference = dict(reference or {})
    ordered = scores.sort_values("closed_on")
    recent = ordered.drop(columns=["closed_on"]).rolling(window, min_periods=window).mean()
    out = pd.DataFrame(index=ordered.index)
    for loss in LOSSES:
        for who in ("champion", "benchmark", "floor"):
            out[f"recent_{who}_{loss}"] = recent[f"{who}_{loss}"]
        explained = np.maximum(recent[f"floor_{loss}"], reference.get(loss, 0.0))
        out[f"explained_{loss}"] = explained
        out[f"limit_{loss}"] = noise_ratio * explained
    breaches, drifted, episodes = [], [], []
    open_since = ""
    for date, row in out.iterrows():
        if np.isnan(row["recent_champion_cmd"]):
            breaches.append("")
            drifted.append(False)
            episodes.append("")
            continue
        reasons, back = [], True
        for loss in LOSSES:
            champion = row[f"recent_champion_{loss}"]
            bench = row[f"recent_benchmark_{loss}"]
            if champion > row[f"limit_{loss}"]:
                reasons.append(
                    f"{loss} {champion:.3f} > {noise_ratio} x explained "
                    f"{row[f'explained_{loss}']:.3f}"
                )
            if champion > (1 + benchmark_margin) * bench:
                reasons.append(
                    f"{loss} {champion:.3f} > benchmark {bench:.3f} by more than {benchmark_margin:.0%}"
                )
            if (
                champion > rearm_ratio * row[f"explained_{loss}"]
                or champion > (1 + benchmark_margin / 2) * bench
            ):
                back = False
        if not open_since and reasons:
            open_since = str(ordered.loc[date, "closed_on"].date())
        elif open_since and back:
            open_since = ""
        breaches.append("; ".join(reasons))
        drifted.append(bool(open_since))
        episodes.append(open_since)
    out["breach"] = breaches
    out["drifted"] = drifted
    out["episode"] = episodes
    out.insert(0, "closed_on", ordered["closed_on"])
    return out


def latest_decision(states: pd.DataFrame) -> DriftDecision:
    """The drift state after the last scored forecast of :func:`drift_states`.

    Parameters
    ----------
    states : pandas.DataFrame
        From :func:`drift_states`.

    Returns
    -------
    DriftDecision
        Drifted or not, the ratios and the reason.
    """
    if states.empty or not states["recent_champion_cmd"].notna().any():
        return DriftDecision(
            drifted=False, episode=None, reason="not enough scored forecasts yet", recent={}
        )
    last = states.iloc[-1]
    recent = {
        k.removeprefix("recent_"): float(last[k]) for k in states.columns if k.startswith("recent_")
    }
    if last["drifted"]:
        reason = last["breach"] or "episode open: the error has not come back yet"
        return DriftDecision(drifted=True, episode=last["episode"], reason=reason, recent=recent)
    return DriftDecision(
        drifted=False,
        episode=None,
        reason="within what noise and the benchmark explain",
        recent=recent,
    )
