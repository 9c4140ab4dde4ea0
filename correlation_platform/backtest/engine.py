"""Walk-forward backtest: fit on the past, forecast, optimise, hold, pay costs, repeat."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlation_platform.backtest.metrics import performance_metrics, relative_metrics
from correlation_platform.features.returns import ewma_volatility
from correlation_platform.features.targets import forward_realized_correlation
from correlation_platform.forecasters import BENCHMARK, CorrelationForecaster, get_forecaster
from correlation_platform.linalg import corr_to_cov, frobenius_distance
from correlation_platform.portfolio.optimizer import optimize

log = logging.getLogger(__name__)


@dataclass
class BacktestResult:
    """Everything a walk-forward run produced; ``benchmark`` is the historical run, if any."""

    name: str
    returns: pd.Series
    weights: pd.DataFrame
    turnover: pd.Series
    metrics: dict[str, float]
    predicted: np.ndarray
    realized: np.ndarray
    forecast_dates: pd.DatetimeIndex
    forecast_loss: pd.Series
    fallbacks: list[str] = field(default_factory=list)
    benchmark: BacktestResult | None = None


def _rebalance_positions(n_obs: int, train_size: int, every: int) -> np.ndarray:
    if train_size < 2 or train_size >= n_obs - 1:
        raise ValueError(f"train_size={train_size} leaves no out-of-sample days in {n_obs} rows")
    return np.arange(train_size - 1, n_obs - 1, every)


def _forecast_blocks(
    returns: pd.DataFrame,
    features: pd.DataFrame | None,
    forecaster: CorrelationForecaster,
    positions: np.ndarray,
    refit_every: int,
    horizon: int,
    progress: Callable[[str], None],
) -> np.ndarray:
    """Refit at the start of each block, then forecast the block's dates in one path call."""
    out = []
    start = 0
    n_blocks = max(1, int(np.ceil((positions[-1] - positions[0] + 1) / refit_every)))
    log_every = max(1, n_blocks // 10)
    while start < len(positions):
        fit_pos = positions[start]
        stop = start
        while stop < len(positions) and positions[stop] - fit_pos < refit_every:
            stop += 1
        block = positions[start:stop]
        past = returns.iloc[: fit_pos + 1]
        past_features = None if features is None else features.iloc[: fit_pos + 1]
        forecaster.fit(past, past_features)
        visible = returns.iloc[: block[-1] + 1]
        visible_features = None if features is None else features.iloc[: block[-1] + 1]
        out.append(
            forecaster.predict_path(
                visible, visible_features, dates=returns.index[block], horizon=horizon
            )
        )
        block_no = len(out)
        if block_no == 1 or stop == len(positions) or block_no % log_every == 0:
            progress(
                f"{forecaster.name}: refit at {returns.index[fit_pos].date()}, "
                f"{stop}/{len(positions)} rebalances forecast"
            )
        start = stop
    return np.concatenate(out)


def run_backtest(
    returns: pd.DataFrame,
    forecaster: CorrelationForecaster | str,
    objective: str = "min_variance",
    rebalance_every: int = 21,
    train_size: int = 252,
    refit_every: int = 63,
    cost_bps: float = 5.0,
    features: pd.DataFrame | None = None,
    target_volatility: float = 0.10,
    expected_returns: pd.Series | None = None,
    bounds: tuple[float, float] = (0.0, 1.0),
    vol_halflife: float = 21.0,
    benchmark: bool | BacktestResult = True,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Walk forward through ``returns``; the forecast made at a close trades at that close.

    At each rebalance close t the forecaster sees rows up to t only, the covariance is
    D R D with EWMA volatilities known at t, and the new weights earn returns from t+1.
    Costs of ``cost_bps`` per unit of turnover are charged on the next day's return.
    With ``benchmark`` the same run is repeated with the historical forecaster; pass an
    earlier historical :class:`BacktestResult` instead to reuse it.
    """
    progress = progress or log.info
    if isinstance(forecaster, str):
        forecaster = get_forecaster(forecaster)
    x = returns.to_numpy(dtype=float)
    idx = pd.DatetimeIndex(returns.index)
    assets = list(returns.columns)
    positions = _rebalance_positions(len(returns), train_size, rebalance_every)
    predicted = _forecast_blocks(
        returns, features, forecaster, positions, refit_every, rebalance_every, progress
    )
    daily_vol = ewma_volatility(returns, vol_halflife, annualise=False).to_numpy()

    port = np.zeros(len(x))
    w = np.zeros(len(assets))
    weights, turnover, fallbacks = [], [], []
    rebalance_at = dict(zip(positions.tolist(), range(len(positions)), strict=True))
    for t in range(positions[0], len(x)):
        if t > positions[0]:
            gross = float(w @ x[t])
            port[t] += gross
            w = w * (1.0 + x[t]) / (1.0 + gross) if gross > -1 else w
        k = rebalance_at.get(t)
        if k is None:
            continue
        cov = pd.DataFrame(corr_to_cov(predicted[k], daily_vol[t]), index=assets, columns=assets)
        res = optimize(
            cov,
            objective,
            expected_returns,
            target_volatility,
            pd.Series(w, index=assets) if t > positions[0] else None,
            None,
            bounds,
        )
        if res.fallback:
            fallbacks.append(f"{idx[t].date()}: {res.fallback} ({res.reason})")
        new_w = res.weights.to_numpy()
        trade = float(np.abs(new_w - w).sum())
        if t + 1 < len(x):
            port[t + 1] -= trade * cost_bps / 1e4
        w = new_w
        weights.append(new_w)
        turnover.append(trade)

    oos = slice(positions[0] + 1, len(x))
    port_returns = pd.Series(port[oos], index=idx[oos], name=forecaster.name)
    rb_dates = idx[positions]
    weights_df = pd.DataFrame(weights, index=rb_dates, columns=assets)
    turnover_s = pd.Series(turnover, index=rb_dates, name="turnover")

    realized, realized_dates = forward_realized_correlation(returns, rebalance_every, rb_dates)
    scored = np.isin(rb_dates, realized_dates)
    loss = pd.Series(
        [frobenius_distance(p, r) for p, r in zip(predicted[scored], realized, strict=True)],
        index=realized_dates,
        name="frobenius_loss",
    )
    metrics = performance_metrics(port_returns, turnover_s)
    metrics["mean_frobenius_loss"] = float(loss.mean()) if len(loss) else float("nan")
    metrics["n_rebalances"] = float(len(positions))
    metrics["n_fallbacks"] = float(len(fallbacks))

    bench = benchmark if isinstance(benchmark, BacktestResult) else None
    if benchmark is not False:
        if forecaster.name == BENCHMARK and bench is None:
            bench_returns = port_returns
        elif bench is not None:
            bench_returns = bench.returns
        else:
            bench = run_backtest(
                returns,
                get_forecaster(BENCHMARK),
                objective,
                rebalance_every,
                train_size,
                refit_every,
                cost_bps,
                None,
                target_volatility,
                expected_returns,
                bounds,
                vol_halflife,
                False,
                progress,
            )
            bench_returns = bench.returns
        metrics.update(relative_metrics(port_returns, bench_returns))
    return BacktestResult(
        forecaster.name,
        port_returns,
        weights_df,
        turnover_s,
        metrics,
        predicted,
        realized,
        realized_dates,
        loss,
        fallbacks,
        bench,
    )
