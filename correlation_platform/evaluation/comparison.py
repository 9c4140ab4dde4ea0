"""Is a model better than the benchmark? Diebold-Mariano and the Model Confidence Set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class DMResult:
    """A Diebold-Mariano test's outcome.

    Attributes
    ----------
    statistic : float
        The HLN-corrected statistic (negative: the first model has the lower loss).
    pvalue : float
        Two-sided p-value, Student-t(T - 1).
    mean_difference : float
        Mean of loss_a - loss_b.
    """

    statistic: float
    pvalue: float
    mean_difference: float


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, *, horizon: int = 1) -> DMResult:
    """Two-sided DM test of equal expected loss, d_t = loss_a - loss_b.

    Long-run variance by Newey-West with h-1 lags (h-step forecasts have MA(h-1) errors),
    Harvey-Leybourne-Newbold (1997) small-sample correction, Student-t(T-1) p-value.
    A negative statistic means model a has the lower loss.

    Parameters
    ----------
    loss_a, loss_b : numpy.ndarray
        Paired losses (non-finite pairs dropped).
    horizon : int, default 1
        Forecast horizon h.

    Returns
    -------
    DMResult
        Statistic, p-value and mean difference.

    References
    ----------
    F. Diebold and R. Mariano (1995), "Comparing predictive accuracy", JBES 13(3);
    D. Harvey, S. Leybourne and P. Newbold (1997), "Testing the equality of prediction mean
    squared errors", IJF 13(2).
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
            statistic=0.0 if mean == 0 else np.sign(mean) * np.inf,
            pvalue=0.0 if mean else 1.0,
            mean_difference=float(mean),
        )
    dm = mean / np.sqrt(lrv / t)
    h = horizon
    hln = np.sqrt((t + 1 - 2 * h + h * (h - 1) / t) / t)
    stat = float(dm * hln)
    return DMResult(
        statistic=stat,
        pvalue=float(2 * stats.t.sf(abs(stat), df=t - 1)),
        mean_difference=float(mean),
    )


def model_confidence_set(
    losses: pd.DataFrame,
    *,
    size: float = 0.10,
    block_size: int | None = None,
    reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Hansen-Lunde-Nason MCS via ``arch.bootstrap.MCS``: p-value and membership per model.

    Parameters
    ----------
    losses : pandas.DataFrame
        Date x model losses.
    size : float, default 0.10
        Size of the test (models with p >= size are in the set).
    block_size : int, optional
        Bootstrap block length (default round(T^(1/3)), at least 2).
    reps : int, default 1000
        Bootstrap replications.
    seed : int, default 0
        Bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        ``mcs_pvalue`` and ``in_mcs`` per model.

    References
    ----------
    P. Hansen, A. Lunde and J. Nason (2011), "The model confidence set", Econometrica 79(2).
    """
    from arch.bootstrap import MCS

    clean = losses.replace([np.inf, -np.inf], np.nan).dropna()
    # Models with identical losses (e.g. one configuration reached twice) make arch's
    # statistic 0/0 and its elimination fail: one of each stands for all, same p-value.
    first = {}
    for model in clean.columns:
        twin = next((m for m in first.values() if clean[m].equals(clean[model])), model)
        first[model] = twin
    distinct = list(dict.fromkeys(first.values()))
    if len(distinct) == 1:
        pvals = pd.Series(1.0, index=losses.columns)
        return pd.DataFrame({"mcs_pvalue": pvals, "in_mcs": pvals >= size})
    block = block_size or max(2, round(len(clean) ** (1 / 3)))
    mcs = MCS(
        clean[distinct],
        size=size,
        block_size=block,
        method="R",
        reps=reps,
        seed=np.random.default_rng(seed),
    )
    mcs.compute()
    found = mcs.pvalues.iloc[:, 0]
    pvals = pd.Series({m: found[first[m]] for m in clean.columns}).reindex(losses.columns)
    return pd.DataFrame({"mcs_pvalue": pvals, "in_mcs": pvals >= size})


def comparison_table(
    losses: pd.DataFrame, benchmark: str, horizon: int, *, size: float = 0.10
) -> pd.DataFrame:
    """Mean loss, DM vs the benchmark and MCS membership, one row per model (best first).

    Parameters
    ----------
    losses : pandas.DataFrame
        Date x model losses on common dates.
    benchmark : str
        The column every model is tested against.
    horizon : int
        DM lag order (overlap of the label windows).
    size : float, default 0.10
        MCS size.

    Returns
    -------
    pandas.DataFrame
        ``mean_loss``, ``dm_stat``, ``dm_pvalue``, ``mcs_pvalue``, ``in_mcs`` per model.
    """
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
