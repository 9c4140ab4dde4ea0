"""Tune on validation, refit on train + validation, score once on test (time-ordered, purged)."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from correlation_platform.evaluation.losses import (
    cmd_losses,
    frobenius_losses,
    gmv_variance_losses,
    qlike_losses,
)
from correlation_platform.evaluation.splits import TimeSplit, purged_end, train_validation_test
from correlation_platform.features.returns import ewma_volatility
from correlation_platform.features.targets import forward_realized_correlation
from correlation_platform.forecasters import CorrelationForecaster
from correlation_platform.forecasters.base import PATH_CHUNK

log = logging.getLogger(__name__)

#: Rows between scored forecasts in validation and test: weekly, so a 21-day horizon's
#: label windows overlap ceil(21 / 5) = 5 forecasts deep (the overlap every test of the
#: losses must account for; see :func:`overlap_lags`).
SCORE_STEP = 5

#: Small grids per family: bounded search, most sensitive parameter first.
GRIDS: dict[str, dict[str, list]] = {
    "historical": {"window": [126, 252, 504]},
    "ewma": {"decay": [0.94, 0.97, 0.99]},
    "dcc": {},
    "ledoit_wolf": {"target": ["identity", "constant_correlation"], "window": [126, 252]},
    "denoised": {"window": [126, 252, 504]},
    "tic": {"window": [126, 252], "denoise": [True, False]},
    # The stacking base varies fastest, so a search the time budget cuts short has still
    # compared every base at the first hyper-parameters; "none" first (the level itself).
    "gbm": {
        "learning_rate": [0.03, 0.1],
        "max_leaf_nodes": [7, 15],
        "base": ["none", "ewma", "dcc", "historical"],
    },
    "lstm": {"hidden": [8, 16], "seq_len": [2, 8], "base": ["none", "ewma", "dcc", "historical"]},
}


def overlap_lags(horizon: int, *, step: int = SCORE_STEP) -> int:
    """How many consecutive scored forecasts share days of their label windows.

    Parameters
    ----------
    horizon : int
        Days each forecast's label averages over.
    step : int, default SCORE_STEP
        Rows between scored forecasts.

    Returns
    -------
    int
        ``ceil(horizon / step)``: the lag order a Diebold-Mariano or HAC test of these
        losses needs.
    """
    return int(np.ceil(horizon / step))


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of a parameter grid, in order.

    Parameters
    ----------
    grid : dict of str to list
        Parameter name -> candidate values.

    Returns
    -------
    list of dict
        One parameter dict per combination (``[{}]`` for an empty grid).
    """
    keys = list(grid)
    return [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())
    ] or [{}]


def forecast_losses(
    forecaster: CorrelationForecaster,
    returns: pd.DataFrame,
    features: pd.DataFrame | None,
    positions: np.ndarray,
    horizon: int,
) -> pd.DataFrame:
    """Every loss of DESIGN section 5 for forecasts made at ``positions`` (label windows closed).

    Forecasts are streamed (:meth:`~CorrelationForecaster.iter_path`) and scored in chunks of
    ``PATH_CHUNK`` dates, so memory does not grow with the length of the test block.

    Parameters
    ----------
    forecaster : CorrelationForecaster
        A fitted forecaster.
    returns : pandas.DataFrame
        Returns covering every position and its label window.
    features : pandas.DataFrame or None
        The feature panel, for the families that learn from it.
    positions : numpy.ndarray
        Row indices of the as-of dates.
    horizon : int
        Days each forecast averages over.

    Returns
    -------
    pandas.DataFrame
        Date x loss (frobenius, qlike, cmd, gmv_variance).
    """
    x = returns.to_numpy(dtype=float)
    vols = ewma_volatility(returns, annualise=False).to_numpy()
    index = pd.DatetimeIndex(returns.index)
    stream = forecaster.iter_path(returns, features, dates=index[positions], horizon=horizon)
    frames = []
    while chunk := list(itertools.islice(stream, PATH_CHUNK)):
        dates = pd.DatetimeIndex([f.date for f in chunk])
        predicted = np.stack([f.correlation for f in chunk])
        realized, kept = forward_realized_correlation(returns, horizon=horizon, dates=dates)
        if len(kept) != len(dates):
            raise ValueError(
                f"forecast at {dates[len(kept)].date()} has no complete {horizon}-day label "
                "window; score only dates whose horizon has closed"
            )
        at = index.get_indexer(dates)
        frames.append(
            pd.DataFrame(
                {
                    "frobenius": frobenius_losses(predicted, realized),
                    "qlike": qlike_losses(predicted, realized),
                    "cmd": cmd_losses(predicted, realized),
                    "gmv_variance": gmv_variance_losses(
                        predicted, vols[at], [x[p + 1 : p + 1 + horizon] for p in at]
                    ),
                },
                index=pd.DatetimeIndex(dates, name="date"),
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["frobenius", "qlike", "cmd", "gmv_variance"],
            index=pd.DatetimeIndex([], name="date"),
            dtype=float,
        )
    return pd.concat(frames)


@dataclass
class SelectionResult:
    """What model selection chose and how the choice scored.

    Attributes
    ----------
    params : dict
        The chosen grid point.
    validation : pandas.DataFrame
        One row per grid point tried: params, mean validation loss, seconds, note.
    test_losses : pandas.DataFrame
        Date x loss of the forecasts inside the test block.
    split : TimeSplit
        The train / validation / test split used.
    step : int
        Rows between scored forecasts (see :func:`overlap_lags`).
    """

    params: dict
    validation: pd.DataFrame
    test_losses: pd.DataFrame
    split: TimeSplit
    step: int = SCORE_STEP

    @property
    def test_mean(self) -> dict[str, float]:
        """Mean test loss per loss name."""
        return {k: float(v) for k, v in self.test_losses.mean().items()}


def tune_and_test(
    forecaster: CorrelationForecaster,
    returns: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    grid: dict[str, list],
    tree: pd.DataFrame | None = None,
    horizon: int = 21,
    step: int = SCORE_STEP,
    time_budget: float = 300.0,
    split: TimeSplit | None = None,
    loss: str = "frobenius",
    folds: int = 1,
) -> SelectionResult:
    """Pick params on validation (``loss``), refit on train + validation, score on test.

    With ``folds`` > 1 the validation block is walked forward in that many sub-blocks, each
    scored by a fit on everything before it (purged and embargoed); the grid point with the
    lowest mean loss wins. The grid is searched in order until ``time_budget`` seconds are
    spent (the first point is always evaluated). No fit ever sees the test block.

    Parameters
    ----------
    forecaster : CorrelationForecaster
        The family with its fixed hyper-parameters; each grid point is
        ``clone(forecaster).set_params(**point)``.
    returns : pandas.DataFrame
        Daily returns (dates x assets).
    features : pandas.DataFrame, optional
        The feature panel, passed to every fit and forecast.
    grid : dict of str to list
        Parameter name -> candidate values (see ``GRIDS``).
    tree : pandas.DataFrame, optional
        The sector tree, passed to every fit.
    horizon : int, default 21
        Days each forecast averages over.
    step : int, default SCORE_STEP
        Rows between scored forecasts.
    time_budget : float, default 300.0
        Seconds of search before the remaining grid points are skipped.
    split : TimeSplit, optional
        Default :func:`train_validation_test` of the returns.
    loss : str, default "frobenius"
        Validation loss to minimise.
    folds : int, default 1
        Walk-forward sub-blocks of the validation block.

    Returns
    -------
    SelectionResult
        The chosen parameters, the validation table and the test losses.
    """
    split = split or train_validation_test(len(returns), horizon)

    def rows(last: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        return returns.iloc[: last + 1], None if features is None else features.iloc[: last + 1]

    def make(params: dict) -> CorrelationForecaster:
        return clone(forecaster).set_params(**params)

    started = time.perf_counter()
    records = []
    for params in grid_points(grid):
        if records and time.perf_counter() - started > time_budget:
            log.warning(
                "tuning budget of %.0fs spent; %d grid points left untried",
                time_budget,
                len(grid_points(grid)) - len(records),
            )
            break
        t0 = time.perf_counter()
        try:
            scores = []
            for block in np.array_split(split.validation, folds):
                f = make(params).fit(*rows(purged_end(int(block[0]), horizon)), tree=tree)
                val = forecast_losses(f, returns, features, block[::step], horizon)
                scores.append(float(val[loss].mean()))
            value, note = float(np.mean(scores)), ""
        except ValueError as exc:  # e.g. a window longer than the history before validation
            value, note = float("inf"), f"skipped: {exc}"
            log.warning("grid point %s %s", params, note)
        seconds = time.perf_counter() - t0
        records.append({**params, "validation_loss": value, "seconds": seconds, "note": note})
        log.info(
            "%s grid point %d/%d %s: validation %s %.4f (%.1fs)",
            forecaster.name,
            len(records),
            len(grid_points(grid)),
            params,
            loss,
            value,
            seconds,
        )
    table = pd.DataFrame(records)
    if not np.isfinite(table["validation_loss"]).any():
        raise ValueError(f"no grid point could be evaluated: {list(table['note'])}")
    best = records[int(np.argmin(table["validation_loss"]))]
    params = {k: best[k] for k in grid}
    final = make(params).fit(*rows(purged_end(int(split.test[0]), horizon)), tree=tree)
    test = forecast_losses(final, returns, features, split.test[::step], horizon)
    return SelectionResult(
        params=params, validation=table, test_losses=test, split=split, step=step
    )
