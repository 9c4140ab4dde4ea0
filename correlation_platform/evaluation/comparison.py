"""Is a model better than the benchmark? Diebold-Mariano and the Model Confidence Set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class DMResult:
    statistic: float
    pvalue: float
    mean_difference: float


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, *, horizon: int = 1) -> DMResult:
    """Two-sided DM test of equal expected loss, d_t = loss_a - loss_b.

    Long-run variance by Newey-West with h-1 lags (h-step forecasts have MA(h-1) errors),
    Harvey-Leybourne-Newbold (1997) small-sample correction, Student-t(T-1) p-value.
    A negative statistic means model a has the lower loss.
    """
    d = np.asarray(loss_a, float) - np.asarray(loss_b, float)
    d = d[np.isfinite(d)]
    t = len(d)
    if t < 3:
        raise ValueError("need at least three paired losses")
    mean = d.mean()
    dev = d - mean
    lags = max(horizon - 1, 0)
    lrv = dev @ dev / t
    for k in range(1, lags + 1):
        weight = 1 - k / (lags + 1)  # Bartlett
        lrv += 2 * weight * (dev[k:] @ dev[:-k]) / t
    if lrv <= 0:
        return DMResult(
            0.0 if mean == 0 else np.sign(mean) * np.inf, 0.0 if mean else 1.0, float(mean)
        )
    dm = mean / np.sqrt(lrv / t)
    h = horizon
    hln = np.sqrt((t + 1 - 2 * h + h * (h - 1) / t) / t)
    stat = float(dm * hln)
    return DMResult(stat, float(2 * stats.t.sf(abs(stat), df=t - 1)), float(mean))


def model_confidence_set(
    losses: pd.DataFrame,
    *,
    size: float = 0.10,
    block_size: int | None = None,
    reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Hansen-Lunde-Nason MCS via ``arch.bootstrap.MCS``: p-value and membership per model."""
    from arch.bootstrap import MCS

    clean = losses.replace([np.inf, -np.inf], np.nan).dropna()
    block = block_size or max(2, round(len(clean) ** (1 / 3)))
    mcs = MCS(
        clean, size=size, block_size=block, method="R", reps=reps, seed=np.random.default_rng(seed)
    )
    mcs.compute()
    pvals = mcs.pvalues.iloc[:, 0].reindex(losses.columns)
    return pd.DataFrame({"mcs_pvalue": pvals, "in_mcs": pvals >= size})


def comparison_table(
    losses: pd.DataFrame, benchmark: str, horizon: int, *, size: float = 0.10
) -> pd.DataFrame:
    """Mean loss, DM vs the benchmark and MCS membership, one row per model (best first)."""
    rows = {}
    for model in losses.columns:
        row = {"mean_loss": float(losses[model].mean())}
        if model != benchmark:
            dm = diebold_mariano(
                losses[model].to_numpy(), losses[benchmark].to_numpy(), horizon=horizon
            )
            row.update(dm_stat=dm.statistic, dm_pvalue=dm.pvalue)
        else:
            row.update(dm_stat=np.nan, dm_pvalue=np.nan)
        rows[model] = row
    table = pd.DataFrame(rows).T
    if losses.shape[1] > 1:
        table = table.join(model_confidence_set(losses, size=size))
    return table.sort_values("mean_loss")
