"""Point-in-time models: a forecast as of a past date from a model fitted only on its past.

The champion was fitted on all history up to its training end. A backfilled prediction for
an earlier date made with it would use a model that saw the future. :func:`as_of_forecaster`
refits the champion's family with the same hyper-parameters on the rows before the start
of the refit period (a calendar quarter by default) that holds the date, so every date of
that period shares one model and nothing after the date is read. Refits are cached on
disk keyed by family, parameters, period and a fingerprint of the rows used, so a backfill
over years costs one fit per quarter and a revised history refits.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.base import clone

from correlation_platform.forecasters.base import CorrelationForecaster

#: Default refit period: one model per calendar quarter, as the quarterly retraining does.
REFIT_PERIOD = "Q"


@dataclass(frozen=True)
class PointInTimeModel:
    """The model to forecast with as of a date, and where it came from.

    Attributes
    ----------
    forecaster : CorrelationForecaster
        Fitted model.
    source : str
        ``"champion"`` (the date is at or after its training end) or ``"refit"``.
    fitted_until : pd.Timestamp
        Last row the model was fitted on (never after the as-of date).
    cached : bool
        Whether a refit came from the cache.
    """

    forecaster: CorrelationForecaster
    source: str
    fitted_until: pd.Timestamp
    cached: bool = False


def _fingerprint(*frames: pd.DataFrame | None) -> str:
    digest = hashlib.sha256()
    for frame in frames:
        if frame is not None:
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            digest.update("|".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


def as_of_forecaster(
    forecaster: CorrelationForecaster,
    returns: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    tree: pd.DataFrame | None = None,
    as_of: pd.Timestamp,
    trained_until: pd.Timestamp,
    period: str = REFIT_PERIOD,
    cache_dir: Path | None = None,
) -> PointInTimeModel:
    """The champion if ``as_of`` is at or after its training end, else a point-in-time refit.

    Parameters
    ----------
    forecaster : CorrelationForecaster
        The fitted champion (its family and hyper-parameters are reused).
    returns : DataFrame
        Daily returns; rows after the refit period's start are never read by a refit.
    features : DataFrame, optional
        Market features of families that learn from them (cut the same way).
    tree : DataFrame, optional
        The sector tree, for families that need one (passed to the refit).
    as_of : pd.Timestamp
        The date the forecast is made at.
    trained_until : pd.Timestamp
        The champion's last training row.
    period : str
        Pandas period alias of the refit period (``"Q"``, ``"M"``, ``"Y"``).
    cache_dir : Path, optional
        Folder for cached refits (no cache if None).

    Returns
    -------
    PointInTimeModel
    """
    as_of, trained_until = pd.Timestamp(as_of), pd.Timestamp(trained_until)
    if as_of >= trained_until:
        return PointInTimeModel(
            forecaster=forecaster, source="champion", fitted_until=trained_until
        )
    start = as_of.to_period(period).start_time
    rows = returns.loc[returns.index < start]
    feats = None if features is None else features.loc[features.index < start]
    if len(rows) == 0:
        raise ValueError(
            f"no point-in-time model as of {as_of.date()}: no returns before the refit "
            f"period starting {start.date()}"
        )
    fitted_until = pd.Timestamp(rows.index[-1])
    key = (
        f"{type(forecaster).__name__}-{fitted_until:%Y%m%d}-"
        f"{hashlib.sha256(repr(sorted(forecaster.get_params().items())).encode()).hexdigest()[:10]}"
        f"-{_fingerprint(rows, feats, tree)}"
    )
    path = None if cache_dir is None else Path(cache_dir) / f"{key}.pkl"
    if path is not None and path.exists():
        # Our own cache, written below by this function: not untrusted input.
        with path.open("rb") as fh:
            return PointInTimeModel(
                forecaster=pickle.load(fh), source="refit", fitted_until=fitted_until, cached=True
            )
    try:
        refit = clone(forecaster).fit(rows, feats, tree=tree)
    except ValueError as exc:
        raise ValueError(
            f"no point-in-time model as of {as_of.date()}: refitting {type(forecaster).__name__} "
            f"on the {len(rows)} rows before {start.date()} failed ({exc})"
        ) from exc
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(refit, fh)
        tmp.replace(path)
    return PointInTimeModel(forecaster=refit, source="refit", fitted_until=fitted_until)
