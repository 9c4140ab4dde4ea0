"""Asset-check logic, yielded by the assets it guards (works for partitioned assets too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from correlation_platform.linalg import correlation_violations
from correlation_platform.portfolio import PortfolioConstraints, weight_violations


def valid_correlation_spec(asset: str) -> AssetCheckSpec:
    """Blocking: nothing downstream is materialised from an invalid correlation matrix."""
    return AssetCheckSpec(
        "valid_correlation",
        asset=asset,
        description="symmetric, unit diagonal, entries in [-1, 1], PSD",
        blocking=True,
    )


def weights_spec(asset: str) -> AssetCheckSpec:
    """Blocking: no order is built from weights that break a constraint."""
    return AssetCheckSpec(
        "weights_valid",
        asset=asset,
        description="finite, sum to 1, within bounds, sector caps and the turnover limit",
        blocking=True,
    )


def no_missing_spec(asset: str) -> AssetCheckSpec:
    """The check spec of a frame that must have no missing values and sorted dates."""
    return AssetCheckSpec(
        "no_missing_and_sorted",
        asset=asset,
        description="no inf, no NaN (or only in the warm-up), dates strictly increasing",
    )


def check_correlation(
    matrix: pd.DataFrame | np.ndarray, name: str = "valid_correlation"
) -> AssetCheckResult:
    """The ``valid_correlation`` check of a matrix (blocking: nothing downstream runs).

    Parameters
    ----------
    matrix : pandas.DataFrame or numpy.ndarray
        The forecast.
    name : str, default "valid_correlation"
        The check's name.

    Returns
    -------
    dagster.AssetCheckResult
        Passed, or failed with every broken rule in metadata.
    """
    problems = correlation_violations(matrix, tol=1e-8)
    values = np.asarray(matrix, dtype=float)
    return AssetCheckResult(
        check_name=name,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "problems": "; ".join(problems) or "none",
            "min_eigenvalue": float(np.linalg.eigvalsh(values)[0]),
        },
    )


def check_weights(
    weights: pd.Series,
    constraints: PortfolioConstraints,
    current_weights: pd.Series | None = None,
) -> AssetCheckResult:
    """Every constraint of the rebalance, re-checked on the weights themselves."""
    problems = weight_violations(weights, constraints, current_weights)
    return AssetCheckResult(
        check_name="weights_valid",
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"sum": float(weights.sum()), "problems": "; ".join(problems) or "none"},
    )


def check_frame(
    frame: pd.DataFrame, allow_nan: bool = False, warmup_nan: bool = False
) -> AssetCheckResult:
    """Sorted unique dates, no inf ever, and NaN only where allowed.

    ``warmup_nan``: NaN is accepted only before each column's first value (a window
    filling, a series starting); a gap after it is a problem.
    """
    problems = []
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        problems.append("dates not strictly increasing")
    values = frame.to_numpy(dtype=float)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        columns = list(frame.columns[np.isinf(values).any(axis=0)])
        problems.append(f"{n_inf} infinite values in {columns}")
    nan = np.isnan(values)
    if warmup_nan:
        started = np.maximum.accumulate(~nan, axis=0)
        late = nan & started
        if late.any():
            columns = list(frame.columns[late.any(axis=0)])
            problems.append(f"{int(late.sum())} NaN after the warm-up in {columns}")
    elif nan.any() and not allow_nan:
        problems.append(f"{int(nan.sum())} NaN values")
    return AssetCheckResult(
        check_name="no_missing_and_sorted",
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"problems": "; ".join(problems) or "none"},
    )


def freshness_spec(asset: str) -> AssetCheckSpec:
    """Warning: the day's forecast was built from data that stopped arriving."""
    return AssetCheckSpec(
        "fresh_data",
        asset=asset,
        description="latest data row at most settings.stale_business_days before the day",
    )


def check_freshness(as_of: pd.Timestamp, day: pd.Timestamp, *, limit: int) -> AssetCheckResult:
    """Warn when the last row used is more than ``limit`` business days older than ``day``."""
    behind = int(np.busday_count(as_of.date(), day.date()))
    return AssetCheckResult(
        check_name="fresh_data",
        passed=behind <= limit,
        severity=AssetCheckSeverity.WARN,
        metadata={"latest_row": str(as_of.date()), "business_days_behind": behind, "limit": limit},
    )
