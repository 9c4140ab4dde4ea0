"""A walk-forward run against the benchmark: significance, calibration, market conditions.

- :func:`significance_table`: every test of ``evaluation.significance`` plus
  Diebold-Mariano on the realised variance of each holding period (Engle and Colacito's
  economic loss) and on the Frobenius forecast loss.
- :func:`calibration`: per holding period, the portfolio return standardised by its
  predicted volatility (the bias statistic is their standard deviation; 1 = calibrated)
  and the Mahalanobis calibration ratio R' (h S)^-1 R / N of the aggregated asset returns
  (skfolio's ``mahalanobis_calibration_ratio``; 1 = calibrated).
- :func:`regime_table`: every metric, the Sharpe difference and its p-value, realised
  variance vs the benchmark and calibration, per market condition.
- :func:`verdict_table`: several families vs the benchmark with Holm-adjusted p-values and
  the deflated Sharpe ratio for the number of configurations tried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from correlation_platform.backtest.metrics import performance_metrics
from correlation_platform.evaluation.comparison import diebold_mariano
from correlation_platform.evaluation.significance import (
    deflated_sharpe_ratio,
    holm_adjust,
    jobson_korkie_memmel,
    probabilistic_sharpe_ratio,
    sharpe_difference_test,
)
from correlation_platform.units import TRADING_DAYS

if TYPE_CHECKING:
    from correlation_platform.backtest.engine import BacktestResult

#: Objectives judged by lower realised risk; the others by a higher Sharpe ratio.
RISK_OBJECTIVES = ("min_variance", "risk_parity")
#: Fewest days in a condition for its tests to be run.
MIN_CONDITION_DAYS = 20


def calibration(
    x: np.ndarray,
    positions: np.ndarray,
    predicted: np.ndarray,
    daily_volatility: np.ndarray,
    weights: np.ndarray,
    dates: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Calibration of each holding period's covariance forecast D R D.

    Parameters
    ----------
    x : ndarray
        Daily asset returns (T x N).
    positions : ndarray
        Rebalance rows.
    predicted : ndarray
        Correlation forecast at each rebalance.
    daily_volatility : ndarray
        Volatility forecast at each rebalance (len(positions) x N).
    weights : ndarray
        Target weights at each rebalance.
    dates : pd.DatetimeIndex
        Dates of the rows of ``x``.

    Returns
    -------
    pd.DataFrame
        Indexed by rebalance date: ``standardized_return`` w'R / sqrt(h w'Sw),
        ``mahalanobis_ratio`` R' (h S)^-1 R / N and ``days`` h, where R is the sum of the
        daily asset returns over the h days of the period.
    """
    n = x.shape[1]
    ends = [*positions[1:].tolist(), len(x) - 1]
    rows = []
    for k, (p, end) in enumerate(zip(positions, ends, strict=True)):
        h = end - p
        if h < 1:
            continue
        agg = x[p + 1 : end + 1].sum(axis=0)
        vol = daily_volatility[k]
        cov = predicted[k] * np.outer(vol, vol) * h
        w = weights[k]
        port_var = float(w @ cov @ w)
        solved = np.linalg.lstsq(cov, agg, rcond=None)[0]
        rows.append(
            (
                dates[p],
                float(w @ agg) / np.sqrt(port_var) if port_var > 0 else np.nan,
                float(agg @ solved) / n,
                h,
            )
        )
    frame = pd.DataFrame(rows, columns=["date", "standardized_return", "mahalanobis_ratio", "days"])
    return frame.set_index("date")


def significance_table(result: BacktestResult, benchmark: BacktestResult) -> pd.DataFrame:
    """Every test of ``result`` against ``benchmark`` on the same days, one row each.

    Parameters
    ----------
    result, benchmark : BacktestResult
        Two runs of the same configuration.

    Returns
    -------
    pd.DataFrame
        Index: test name; columns ``estimate`` (annualised Sharpe difference, PSR, mean
        loss difference), ``statistic``, ``pvalue``, ``assumption``, ``details``.
    """
    a, b = result.returns, benchmark.returns.reindex(result.returns.index)
    ann = np.sqrt(TRADING_DAYS)
    rows = {}
    for method in ("hac", "bootstrap"):
        t = sharpe_difference_test(a, b, method=method)
        rows[f"Sharpe difference, Ledoit-Wolf {method.upper() if method == 'hac' else method}"] = (
            t.difference * ann, t.statistic, t.pvalue, t.assumption, t.details,
        )  # fmt: skip
    jk = jobson_korkie_memmel(a, b)
    rows["Sharpe difference, Jobson-Korkie-Memmel"] = (
        jk.difference * ann, jk.statistic, jk.pvalue, jk.assumption, "",
    )  # fmt: skip
    psr = probabilistic_sharpe_ratio(a.to_numpy(), benchmark_sharpe=0.0)
    rows["Probabilistic Sharpe ratio (vs 0)"] = (
        psr.probability, psr.statistic, psr.pvalue, "skewness and kurtosis of the returns",
        "P(true Sharpe > 0); p-value = 1 - PSR",
    )  # fmt: skip
    var_a, var_b = (
        result.period_variance,
        benchmark.period_variance.reindex(result.period_variance.index),
    )
    full = result.calibration["days"].reindex(var_a.index) == result.config["rebalance_every"]
    if full.sum() >= 3:
        dm = diebold_mariano(var_a[full].to_numpy(), var_b[full].to_numpy(), horizon=1)
        rows["Diebold-Mariano, realised portfolio variance"] = (
            dm.mean_difference * TRADING_DAYS / result.config["rebalance_every"], dm.statistic,
            dm.pvalue, "Engle-Colacito economic loss; non-overlapping holding periods",
            "estimate: annualised mean variance difference (negative: lower risk)",
        )  # fmt: skip
    loss_a = result.forecast_loss
    loss_b = benchmark.forecast_loss.reindex(loss_a.index)
    if len(loss_a) >= 3:
        dm = diebold_mariano(loss_a.to_numpy(), loss_b.to_numpy(), horizon=1)
        rows["Diebold-Mariano, Frobenius forecast loss"] = (
            dm.mean_difference, dm.statistic, dm.pvalue,
            "non-overlapping forecast windows (Newey-West, HLN correction)",
            "estimate: mean loss difference (negative: closer to realised)",
        )  # fmt: skip
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["estimate", "statistic", "pvalue", "assumption", "details"]
    ).rename_axis("test")


def _condition_row(
    result: BacktestResult, benchmark: BacktestResult | None, days: pd.Index
) -> dict[str, float]:
    r = result.returns.loc[days]
    row = {"days": float(len(r))}
    if len(r) < 2:
        return row
    row.update(performance_metrics(r))
    periods = result.calibration.index
    first_day = result.returns.index.searchsorted(periods, side="right")
    inside = np.isin(result.returns.index[np.minimum(first_day, len(result.returns) - 1)], days)
    calib = result.calibration[inside]
    row["bias_statistic"] = (
        float(calib["standardized_return"].std(ddof=1)) if len(calib) > 2 else np.nan
    )
    row["mahalanobis_ratio"] = float(calib["mahalanobis_ratio"].mean()) if len(calib) else np.nan
    if benchmark is None:
        return row
    b = benchmark.returns.reindex(days)
    row["benchmark_sharpe"] = float(b.mean() / b.std() * np.sqrt(TRADING_DAYS))
    row["benchmark_volatility"] = float(b.std() * np.sqrt(TRADING_DAYS))
    row["variance_ratio"] = float(r.var() / b.var()) if b.var() > 0 else np.nan
    row["sharpe_difference"] = row["sharpe"] - row["benchmark_sharpe"]
    row["sharpe_pvalue"] = np.nan
    if len(r) >= MIN_CONDITION_DAYS:
        try:
            row["sharpe_pvalue"] = sharpe_difference_test(r, b, method="hac").pvalue
        except ValueError:
            pass
    return row


def regime_table(
    result: BacktestResult, benchmark: BacktestResult | None, conditions: pd.DataFrame
) -> pd.DataFrame:
    """Metrics of ``result`` (and the comparison with ``benchmark``) per market condition.

    Parameters
    ----------
    result : BacktestResult
        The run.
    benchmark : BacktestResult or None
        The historical run on the same configuration.
    conditions : pd.DataFrame
        Boolean columns per condition over the out-of-sample days
        (:func:`.conditions.market_conditions`).

    Returns
    -------
    pd.DataFrame
        One row per condition: days, every performance metric, bias statistic and
        Mahalanobis ratio, and vs the benchmark its Sharpe and volatility, the variance
        ratio, the Sharpe difference (annualised) and its Ledoit-Wolf HAC p-value.
    """
    rows = {}
    for name in conditions.columns:
        days = conditions.index[conditions[name].to_numpy()]
        days = days.intersection(result.returns.index)
        if len(days):
            rows[name] = _condition_row(result, benchmark, days)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("condition")


def conditions_won(result: BacktestResult) -> tuple[int, int]:
    """Market conditions in which a run beat the benchmark: (wins, conditions).

    Lower realised variance for risk objectives (min variance, risk parity), a higher
    Sharpe ratio for the others; "all" not counted.

    Parameters
    ----------
    result : BacktestResult
        A run with ``regimes`` filled (its benchmark's columns included).

    Returns
    -------
    tuple of int
        Conditions won and conditions compared.
    """
    table = result.regimes
    if table is None or "variance_ratio" not in table:
        return 0, 0
    table = table.drop(index="all", errors="ignore")
    if result.config.get("objective") in RISK_OBJECTIVES:
        won = table["variance_ratio"] < 1.0
    else:
        won = table["sharpe_difference"] > 0.0
    return int(won.sum()), int(table["variance_ratio"].notna().sum())


def verdict_table(results: dict[str, BacktestResult], *, n_trials: int) -> pd.DataFrame:
    """Several families against the benchmark run of one configuration.

    Parameters
    ----------
    results : dict
        Family -> result; each (but the benchmark's own) with ``benchmark`` and
        ``significance`` set.
    n_trials : int
        Configurations actually tried to get here (families x tuning grid points), the K
        of the deflated Sharpe ratio (at least 2).

    Returns
    -------
    pd.DataFrame
        One row per family: realised volatility, Sharpe, the two Ledoit-Wolf p-values and
        their Holm adjustment across families, the Jobson-Korkie-Memmel p-value, the DM
        p-value on realised variance (and Holm), the relative volatility difference, the
        deflated Sharpe ratio, and the market conditions won.
    """
    sharpes = [r.returns.mean() / r.returns.std() for r in results.values()]
    for r in results.values():
        if r.benchmark is not None:
            sharpes.append(r.benchmark.returns.mean() / r.benchmark.returns.std())
            break
    variance = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    k = max(int(n_trials), 2)
    rows = {}
    for family, r in results.items():
        dsr = deflated_sharpe_ratio(r.returns.to_numpy(), k, variance)
        row = {
            "annual_volatility": r.metrics["annual_volatility"],
            "sharpe": r.metrics["sharpe"],
            "deflated_sharpe_ratio": dsr.probability,
        }
        sig = r.significance
        if sig is not None:
            lookup = sig["pvalue"]
            row["lw_hac_pvalue"] = lookup.get("Sharpe difference, Ledoit-Wolf HAC", np.nan)
            row["lw_bootstrap_pvalue"] = lookup.get(
                "Sharpe difference, Ledoit-Wolf bootstrap", np.nan
            )
            row["jkm_pvalue"] = lookup.get("Sharpe difference, Jobson-Korkie-Memmel", np.nan)
            row["dm_variance_pvalue"] = lookup.get(
                "Diebold-Mariano, realised portfolio variance", np.nan
            )
        if r.benchmark is not None:
            row["volatility_vs_historical"] = (
                r.metrics["annual_volatility"] / r.benchmark.metrics["annual_volatility"] - 1.0
            )
        wins, of = conditions_won(r)
        row["conditions_won"] = f"{wins}/{of}" if of else ""
        rows[family] = row
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("family")
    for column in ("lw_hac_pvalue", "dm_variance_pvalue"):
        if column in table:
            table[column.replace("_pvalue", "_holm")] = holm_adjust(table[column])
    table.attrs["n_trials"] = k
    table.attrs["trials_sharpe_variance"] = variance
    return table
