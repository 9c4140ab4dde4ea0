"""Asset-check logic, yielded by the assets it guards (works for partitioned assets too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from correlation_platform.linalg import correlation_violations


def valid_correlation_spec(asset: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        "valid_correlation",
        asset=asset,
        description="symmetric, unit diagonal, entries in [-1, 1], PSD",
    )


def weights_spec(asset: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        "weights_valid", asset=asset, description="weights sum to 1 and respect the bounds"
    )


def no_missing_spec(asset: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        "no_missing_and_sorted", asset=asset, description="no NaN, dates strictly increasing"
    )


def check_correlation(
    matrix: pd.DataFrame | np.ndarray, name: str = "valid_correlation"
) -> AssetCheckResult:
    problems = correlation_violations(matrix, tol=1e-8)
    values = np.asarray(matrix, dtype=float)
    return AssetCheckResult(
        check_name=name,
        passed=not problems,
        metadata={
            "problems": "; ".join(problems) or "none",
            "min_eigenvalue": float(np.linalg.eigvalsh(values)[0]),
        },
    )


def check_weights(
    weights: pd.Series, bounds: tuple[float, float], tol: float = 1e-6
) -> AssetCheckResult:
    total = float(weights.sum())
    below, above = weights[weights < bounds[0] - tol], weights[weights > bounds[1] + tol]
    problems = []
    if abs(total - 1.0) > tol:
        problems.append(f"sum {total:.8f} != 1")
    if len(below):
        problems.append(f"below {bounds[0]}: {list(below.index)}")
    if len(above):
        problems.append(f"above {bounds[1]}: {list(above.index)}")
    return AssetCheckResult(
        check_name="weights_valid",
        passed=not problems,
        metadata={"sum": total, "problems": "; ".join(problems) or "none"},
    )


def check_frame(frame: pd.DataFrame, allow_nan: bool = False) -> AssetCheckResult:
    problems = []
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        problems.append("dates not strictly increasing")
    n_nan = int(frame.isna().sum().sum())
    if n_nan and not allow_nan:
        problems.append(f"{n_nan} NaN values")
    return AssetCheckResult(
        check_name="no_missing_and_sorted",
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"problems": "; ".join(problems) or "none"},
    )
