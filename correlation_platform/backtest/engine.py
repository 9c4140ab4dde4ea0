"""Walk-forward backtest: fit on the past, forecast, optimise, hold, pay costs, repeat.

At each rebalance close t the forecaster sees rows up to t only; volatilities and expected
returns are estimated from the same rows (:func:`portfolio.inputs.input_path`); the
weights come from :func:`portfolio.rebalance.rebalance_weights` under the constraints of
:func:`portfolio.rebalance.portfolio_constraints`, the two functions the daily chain
calls; the new weights earn returns from t+1 and drift with prices until the next
rebalance. Costs of ``cost_bps`` per unit of turnover are charged on the next day.

Families whose fit learns nothing from the returns (``refit_changes_path = False``:
historical, EWMA, shrinkage, denoising, TIC) are fitted once and stream one path over all
rebalance dates; the others are refitted every ``refit_every`` rows on the rows known then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlation_platform.backtest.comparison import (
    calibration,
    regime_table,
    significance_table,
)
from correlation_platform.backtest.conditions import market_conditions
from correlation_platform.backtest.metrics import performance_metrics, relative_metrics
from correlation_platform.features.targets import forward_realized_correlation
from correlation_platform.forecasters import BENCHMARK, CorrelationForecaster, get_forecaster
from correlation_platform.linalg import frobenius_distance
from correlation_platform.portfolio.inputs import (
    EXPECTED_RETURNS,
    VOLATILITY_MODELS,
    Estimator,
    InputPath,
    check_estimator,
    input_path,
)
from correlation_platform.portfolio.objective import OBJECTIVES, USES_EXPECTED_RETURNS
from correlation_platform.portfolio.rebalance import (
    BPS,
    PortfolioConstraints,
    portfolio_constraints,
    rebalance_weights,
)

log = logging.getLogger(__name__)
#: Name of the equally weighted reference run (rebalanced on the same dates, same costs).
EQUAL_WEIGHT = "equal_weight"


@dataclass
class BacktestResult:
    """Everything a walk-forward run produced.

    Attributes
    ----------
    name : str
        The forecaster family.
    returns : pd.Series
        Daily out-of-sample portfolio returns after costs.
    weights : pd.DataFrame
        Target weights at each rebalance date.
    turnover : pd.Series
        Turnover (sum |w_new - w_drifted|) at each rebalance.
    metrics : dict
        Performance metrics, relative metrics vs each reference, forecast loss, counts.
    predicted : ndarray
        Forecast correlation matrices at the rebalance dates.
    realized : ndarray
        Correlation realised over each scored holding period.
    forecast_dates : pd.DatetimeIndex
        Rebalance dates with a full realised window (rows of ``realized``).
    forecast_loss : pd.Series
        Frobenius distance forecast vs realised, by ``forecast_dates``.
    fallbacks : list of str
        Optimiser fallbacks and volatility-model fallbacks, with dates and reasons.
    benchmark : BacktestResult or None
        The historical run on the same configuration.
    references : dict
        Daily returns of the reference runs (``equal_weight`` and any index given).
    ex_ante_volatility : pd.Series
        Predicted annualised portfolio volatility at each rebalance.
    period_variance : pd.Series
        Realised variance (sum of squared daily returns) of each holding period, by its
        rebalance date: the Engle-Colacito economic loss.
    calibration : pd.DataFrame
        Per holding period: standardised portfolio return and Mahalanobis ratio.
    regimes : pd.DataFrame
        One row per market condition (see :mod:`.conditions`).
    significance : pd.DataFrame
        One row per test against the benchmark run.
    config : dict
        The configuration that produced the run.
    """

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
    references: dict[str, pd.Series] = field(default_factory=dict)
    ex_ante_volatility: pd.Series | None = None
    period_variance: pd.Series | None = None
    calibration: pd.DataFrame | None = None
    regimes: pd.DataFrame | None = None
    significance: pd.DataFrame | None = None
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BacktestConfig:
    """A validated walk-forward configuration (everything but the forecaster).

    Built by :func:`backtest_config`; fields as in :func:`run_backtest`.

    Attributes
    ----------
    objective : str
        One of ``OBJECTIVES``.
    rebalance_every : int
        Days between rebalances (also the horizon).
    train_size : int
        Rows before the first rebalance.
    refit_every : int
        Rows between refits.
    cost_bps : float
        Cost per unit of turnover.
    expected_returns : str or callable
        Expected-return estimator.
    volatility : str or callable
        Volatility model.
    target_volatility : float
        Annualised target of ``target_volatility``.
    constraints : PortfolioConstraints
        Bounds, sector caps, turnover limit and costs.
    """

    objective: str
    rebalance_every: int
    train_size: int
    refit_every: int
    cost_bps: float
    expected_returns: Estimator
    volatility: Estimator
    target_volatility: float
    constraints: PortfolioConstraints

    def describe(self) -> dict:
        """Plain values for reports and MLflow.

        Returns
        -------
        dict
            Objective, rebalance and refit periods, costs, estimators, bounds, sector cap and
            turnover limit.
        """
        c = self.constraints
        return {
            "objective": self.objective,
            "rebalance_every": self.rebalance_every,
            "train_size": self.train_size,
            "refit_every": self.refit_every,
            "cost_bps": self.cost_bps,
            "expected_returns": _label(self.expected_returns),
            "volatility": _label(self.volatility),
            "target_volatility": self.target_volatility,
            "bounds": c.bounds,
            "sector_cap": max(c.group_caps.values()) if c.group_caps else None,
            "max_turnover": c.max_turnover,
        }


def _label(estimator: Estimator) -> str:
    return estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "callable")


def backtest_config(
    returns: pd.DataFrame,
    *,
    objective: str = "min_variance",
    rebalance_every: int = 21,
    train_size: int = 252,
    refit_every: int = 63,
    cost_bps: float = 5.0,
    expected_returns: Estimator = "james_stein",
    volatility: Estimator = "ewma",
    target_volatility: float = 0.10,
    bounds: tuple[float, float] = (0.0, 1.0),
    sectors: pd.Series | pd.DataFrame | None = None,
    sector_cap: float | None = None,
    max_turnover: float | None = None,
) -> BacktestConfig:
    """Check a configuration before any work; every error names the parameter.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns (finite).
    objective, rebalance_every, train_size, refit_every, cost_bps : optional
        As in :func:`run_backtest`.
    expected_returns, volatility, target_volatility, bounds : optional
        As in :func:`run_backtest`.
    sectors, sector_cap, max_turnover : optional
        As in :func:`run_backtest`.

    Returns
    -------
    BacktestConfig
        The validated configuration.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective={objective!r} is not accepted: use one of {OBJECTIVES}")
    check_estimator(expected_returns, EXPECTED_RETURNS, "expected_returns")
    check_estimator(volatility, VOLATILITY_MODELS, "volatility")
    n_obs = len(returns)
    values = returns.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise ValueError(
            f"returns contain NaN or inf (column {returns.columns[col]!r}, date "
            f"{pd.Timestamp(returns.index[row]).date()}): clean them first"
        )
    for name, value in (("rebalance_every", rebalance_every), ("refit_every", refit_every)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number of days >= 1, got {value}")
    if int(train_size) != train_size or not 2 <= train_size < n_obs - 1:
        raise ValueError(
            f"train_size={train_size} leaves no out-of-sample days in {n_obs} rows: use "
            f"2 <= train_size < {n_obs - 1}"
        )
    if objective == "risk_parity" and (sector_cap or max_turnover):
        raise ValueError(
            "objective='risk_parity' cannot honour sector_cap or max_turnover (its risk "
            "budgets fix the weights): drop them or choose another objective"
        )
    if objective == "target_volatility" and not 0 < target_volatility < 10:
        raise ValueError(
            f"target_volatility={target_volatility} must be an annualised fraction in (0, 10)"
        )
    constraints = portfolio_constraints(
        list(returns.columns),
        bounds=bounds,
        sectors=sectors,
        sector_cap=sector_cap,
        max_turnover=max_turnover,
        cost_bps=cost_bps,
        horizon=int(rebalance_every),
    )
    return BacktestConfig(
        objective=objective,
        rebalance_every=int(rebalance_every),
        train_size=int(train_size),
        refit_every=int(refit_every),
        cost_bps=float(cost_bps),
        expected_returns=expected_returns,
        volatility=volatility,
        target_volatility=float(target_volatility),
        constraints=constraints,
    )


def rebalance_positions(n_obs: int, train_size: int, every: int) -> np.ndarray:
    """Rows of the rebalance closes: the last training row, then every ``every`` rows.

    Parameters
    ----------
    n_obs : int
        Rows of returns.
    train_size : int
        Rows before the first rebalance.
    every : int
        Rows between rebalances.

    Returns
    -------
    numpy.ndarray
        The rebalance rows.
    """
    if train_size < 2 or train_size >= n_obs - 1:
        raise ValueError(f"train_size={train_size} leaves no out-of-sample days in {n_obs} rows")
    return np.arange(train_size - 1, n_obs - 1, every)


def forecast_path(
    returns: pd.DataFrame,
    features: pd.DataFrame | None,
    forecaster: CorrelationForecaster,
    positions: np.ndarray,
    *,
    refit_every: int,
    horizon: int,
    progress: Callable[[str], None],
    tree: pd.DataFrame | None = None,
) -> np.ndarray:
    """Forecasts at ``positions``, each from rows up to its position only.

    Families whose fit learns nothing from the returns are fitted once on the first
    training window and stream one path (one pass over history in all); the others are
    refitted at the start of each ``refit_every`` block on the rows known then.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    features : pandas.DataFrame or None
        The feature panel, for the families that learn from it.
    forecaster : CorrelationForecaster
        The family (refitted in place).
    positions : numpy.ndarray
        Increasing rows of the rebalance closes.
    refit_every : int
        Rows between refits.
    horizon : int
        Days each forecast averages over.
    progress : callable
        Receives progress lines.
    tree : pandas.DataFrame, optional
        The sector tree, passed to every fit.

    Returns
    -------
    numpy.ndarray
        ``len(positions) x N x N`` forecasts.
    """
    if not forecaster.refit_changes_path:
        first = positions[0]
        forecaster.fit(
            returns.iloc[: first + 1],
            None if features is None else features.iloc[: first + 1],
            tree=tree,
        )
        visible = returns.iloc[: positions[-1] + 1]
        visible_features = None if features is None else features.iloc[: positions[-1] + 1]
        n = returns.shape[1]
        out = np.empty((len(positions), n, n))
        stream = forecaster.iter_path(
            visible, visible_features, dates=returns.index[positions], horizon=horizon
        )
        for k, forecast in enumerate(stream):
            out[k] = forecast.correlation
        progress(f"{forecaster.name}: {len(positions)} rebalances forecast in one pass")
        return out
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
        past_features = None if features is None else features.iloc[: fit_pos + 1]
        forecaster.fit(returns.iloc[: fit_pos + 1], past_features, tree=tree)
        visible = returns.iloc[: block[-1] + 1]
        visible_features = None if features is None else features.iloc[: block[-1] + 1]
        out.append(
            forecaster.predict_path(
                visible, visible_features, dates=returns.index[block], horizon=horizon
            )
        )
        if len(out) == 1 or stop == len(positions) or len(out) % log_every == 0:
            progress(
                f"{forecaster.name}: refit at {returns.index[fit_pos].date()}, "
                f"{stop}/{len(positions)} rebalances forecast"
            )
        start = stop
    return np.concatenate(out)


@dataclass
class _Simulation:
    returns: np.ndarray  # daily, full length (zeros before the first rebalance)
    weights: np.ndarray  # per rebalance
    turnover: np.ndarray
    ex_ante: np.ndarray  # annualised predicted volatility per rebalance
    fallbacks: list[str]


def _simulate(
    x: np.ndarray,
    positions: np.ndarray,
    target: Callable[[int, np.ndarray | None], tuple[np.ndarray, float, str | None]],
    cost_bps: float,
) -> _Simulation:
    """Hold, drift and rebalance: ``target(k, w_drifted)`` gives the k-th new weights."""
    port = np.zeros(len(x))
    w = np.zeros(x.shape[1])
    rebalance_at = dict(zip(positions.tolist(), range(len(positions)), strict=True))
    weights, turnover, ex_ante, fallbacks = [], [], [], []
    for t in range(positions[0], len(x)):
        if t > positions[0]:
            gross = float(w @ x[t])
            port[t] += gross
            if gross > -1:
                w = w * (1.0 + x[t]) / (1.0 + gross)
        k = rebalance_at.get(t)
        if k is None:
            continue
        new_w, vol, note = target(k, w if t > positions[0] else None)
        if note:
            fallbacks.append(note)
        trade = float(np.abs(new_w - w).sum())
        if t + 1 < len(x):
            port[t + 1] -= trade * cost_bps / BPS
        w = new_w
        weights.append(new_w)
        turnover.append(trade)
        ex_ante.append(vol)
    return _Simulation(
        returns=port,
        weights=np.array(weights),
        turnover=np.array(turnover),
        ex_ante=np.array(ex_ante),
        fallbacks=fallbacks,
    )


def _period_variance(daily: pd.Series, rebalance_dates: pd.DatetimeIndex) -> pd.Series:
    """Sum of squared daily returns over each holding period, labelled by its start."""
    label = pd.Series(rebalance_dates, index=rebalance_dates).reindex(daily.index, method="ffill")
    frame = pd.DataFrame({"r2": daily.to_numpy() ** 2, "period": label.to_numpy()})
    return frame.groupby("period")["r2"].sum().rename("realized_variance")


def run_backtest(
    returns: pd.DataFrame,
    forecaster: CorrelationForecaster | str,
    *,
    objective: str = "min_variance",
    rebalance_every: int = 21,
    train_size: int = 252,
    refit_every: int = 63,
    cost_bps: float = 5.0,
    features: pd.DataFrame | None = None,
    tree: pd.DataFrame | None = None,
    expected_returns: Estimator = "james_stein",
    volatility: Estimator = "ewma",
    target_volatility: float = 0.10,
    bounds: tuple[float, float] = (0.0, 1.0),
    sectors: pd.Series | pd.DataFrame | None = None,
    sector_cap: float | None = None,
    max_turnover: float | None = None,
    benchmark: bool | BacktestResult = True,
    references: Mapping[str, pd.Series] | None = None,
    indicator: pd.Series | None = None,
    inputs: InputPath | None = None,
    significance: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Walk ``forecaster`` forward through ``returns`` and compare it with the benchmark.

    Parameters
    ----------
    returns : pd.DataFrame
        Daily simple returns, one column per asset (clean: no NaN).
    forecaster : CorrelationForecaster or str
        A forecaster (it is refitted) or a family name.
    objective : str
        One of ``portfolio.OBJECTIVES``.
    rebalance_every : int
        Days between rebalances; also the forecast horizon and the holding period.
    train_size : int
        Rows before the first rebalance.
    refit_every : int
        Rows between refits (families whose fit learns from the data; GARCH volatility).
    cost_bps : float
        Cost per unit of turnover (charged on the next day's return; amortised over the
        holding period in the optimiser, as in the daily chain).
    features : pd.DataFrame, optional
        Feature panel for families that learn from features.
    tree : pd.DataFrame, optional
        Asset -> group levels (leaves to root) for families that need one (``tic``).
    expected_returns : str or callable
        A name of ``portfolio.EXPECTED_RETURNS`` or ``f(known_returns) -> Series``.
    volatility : str or callable
        A name of ``portfolio.VOLATILITY_MODELS`` or ``f(known_returns) -> Series``.
    target_volatility : float
        Annualised target of ``target_volatility``.
    bounds : tuple of float
        (lower, upper) weight per asset.
    sectors : pd.Series or pd.DataFrame, optional
        Asset -> sector, for ``sector_cap``.
    sector_cap : float, optional
        Maximum weight per sector.
    max_turnover : float, optional
        Maximum turnover per rebalance.
    benchmark : bool or BacktestResult
        Run (True), skip (False) or reuse (a result) the historical benchmark.
    references : dict, optional
        Extra reference return series by name (e.g. the index); the equally weighted
        portfolio is always added.
    indicator : pd.Series, optional
        Volatility indicator for the calm/stress split (default: a realised proxy).
    inputs : InputPath, optional
        Precomputed volatility and expected-return paths (shared by runs of one
        configuration); must match the rebalance positions.
    significance : bool
        Run the significance tests (the bootstrap costs about a second).
    progress : callable, optional
        Receives progress lines (default: the module logger).

    Returns
    -------
    BacktestResult
    """
    progress = progress or log.info
    config = backtest_config(
        returns,
        objective=objective,
        rebalance_every=rebalance_every,
        train_size=train_size,
        refit_every=refit_every,
        cost_bps=cost_bps,
        expected_returns=expected_returns,
        volatility=volatility,
        target_volatility=target_volatility,
        bounds=bounds,
        sectors=sectors,
        sector_cap=sector_cap,
        max_turnover=max_turnover,
    )
    if isinstance(forecaster, str):
        forecaster = get_forecaster(forecaster)
    positions = rebalance_positions(len(returns), config.train_size, config.rebalance_every)
    if inputs is None:
        inputs = config_inputs(returns, config)
    elif not np.array_equal(inputs.positions, positions):
        raise ValueError("inputs were computed for other rebalance positions")
    predicted = forecast_path(
        returns,
        features,
        forecaster,
        positions,
        refit_every=config.refit_every,
        horizon=config.rebalance_every,
        progress=progress,
        tree=tree,
    )
    return evaluate_backtest(
        returns,
        forecaster.name,
        predicted,
        inputs=inputs,
        config=config,
        benchmark=benchmark,
        references=references,
        indicator=indicator,
        significance=significance,
        progress=progress,
    )


def config_inputs(returns: pd.DataFrame, config: BacktestConfig) -> InputPath:
    """The point-in-time volatility and expected-return path of a configuration.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    config : BacktestConfig
        The configuration (its rebalance rows, models and horizon).

    Returns
    -------
    InputPath
        Volatility and expected returns at each rebalance row, from rows up to it only.
    """
    positions = rebalance_positions(len(returns), config.train_size, config.rebalance_every)
    return input_path(
        returns,
        positions,
        volatility=config.volatility,
        expected_returns_method=config.expected_returns,
        horizon=config.rebalance_every,
        refit_every=config.refit_every,
    )


def evaluate_backtest(
    returns: pd.DataFrame,
    name: str,
    predicted: np.ndarray,
    *,
    inputs: InputPath,
    config: BacktestConfig,
    benchmark: bool | BacktestResult = True,
    references: Mapping[str, pd.Series] | None = None,
    indicator: pd.Series | None = None,
    significance: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Trade a forecast path under ``config`` and compare it with the benchmark.

    The second half of :func:`run_backtest`, for callers that reuse one forecast path
    under several objectives (a path does not depend on the objective).

    Parameters
    ----------
    returns : pd.DataFrame
        Daily returns.
    name : str
        The family's name.
    predicted : ndarray
        Point-in-time forecasts at the rebalance rows of ``config``.
    inputs : InputPath
        Point-in-time volatility and expected-return paths (:func:`config_inputs`).
    config : BacktestConfig
        From :func:`backtest_config`.
    benchmark, references, indicator, significance, progress
        As in :func:`run_backtest`.

    Returns
    -------
    BacktestResult
    """
    progress = progress or log.info
    positions = inputs.positions
    result = _evaluate(returns, name, predicted, positions, inputs, config)
    result.fallbacks = [*inputs.fallbacks, *result.fallbacks]
    bench = benchmark if isinstance(benchmark, BacktestResult) else None
    if benchmark is not False and bench is None and name != BENCHMARK:
        historical = get_forecaster(BENCHMARK)
        bench_path = forecast_path(
            returns,
            None,
            historical,
            positions,
            refit_every=config.refit_every,
            horizon=config.rebalance_every,
            progress=progress,
        )
        bench = evaluate_backtest(
            returns,
            BENCHMARK,
            bench_path,
            inputs=inputs,
            config=config,
            benchmark=False,
            references=references,
            indicator=indicator,
            significance=False,
            progress=progress,
        )
    result.benchmark = bench
    result.references = _reference_runs(returns, positions, config, references)
    compare = {**({BENCHMARK: bench.returns} if bench is not None else {}), **result.references}
    if benchmark is not False and bench is None:  # this run is the benchmark
        compare[BENCHMARK] = result.returns
    for ref_name, ref in compare.items():
        rel = relative_metrics(result.returns, ref.reindex(result.returns.index))
        result.metrics[f"information_ratio_vs_{ref_name}"] = rel["information_ratio"]
        result.metrics[f"tracking_error_vs_{ref_name}"] = rel["tracking_error"]
        if ref_name == BENCHMARK:
            result.metrics.update(rel)
    conditions = market_conditions(
        pd.DatetimeIndex(result.returns.index), indicator=indicator, returns=returns
    )
    result.regimes = regime_table(result, bench, conditions)
    if significance and bench is not None:
        result.significance = significance_table(result, bench)
    return result


def _evaluate(
    returns: pd.DataFrame,
    name: str,
    predicted: np.ndarray,
    positions: np.ndarray,
    inputs: InputPath,
    config: BacktestConfig,
) -> BacktestResult:
    """Simulate the strategy from the forecasts; metrics, losses and calibration."""
    x = returns.to_numpy(dtype=float)
    idx = pd.DatetimeIndex(returns.index)
    assets = list(returns.columns)
    mu_needed = config.objective in USES_EXPECTED_RETURNS

    def target(k: int, current: np.ndarray | None):
        res = rebalance_weights(
            predicted[k],
            inputs.daily_volatility[k],
            inputs.expected_returns[k] if mu_needed else None,
            objective=config.objective,
            constraints=config.constraints,
            target_volatility=config.target_volatility,
            current_weights=None if current is None else pd.Series(current, index=assets),
            assets=assets,
        )
        note = None
        if res.fallback:
            note = f"{idx[positions[k]].date()}: {res.fallback} ({res.reason})"
        return res.weights.to_numpy(), res.ex_ante_volatility, note

    sim = _simulate(x, positions, target, config.cost_bps)
    oos = slice(positions[0] + 1, len(x))
    port_returns = pd.Series(sim.returns[oos], index=idx[oos], name=name)
    rb_dates = idx[positions]
    weights_df = pd.DataFrame(sim.weights, index=rb_dates, columns=assets)
    turnover_s = pd.Series(sim.turnover, index=rb_dates, name="turnover")
    realized, realized_dates = forward_realized_correlation(
        returns, horizon=config.rebalance_every, dates=rb_dates
    )
    scored = np.isin(rb_dates, realized_dates)
    loss = pd.Series(
        [frobenius_distance(p, r) for p, r in zip(predicted[scored], realized, strict=True)],
        index=realized_dates,
        name="frobenius_loss",
    )
    target_vol = config.target_volatility if config.objective == "target_volatility" else None
    metrics = performance_metrics(port_returns, turnover_s, target_volatility=target_vol)
    metrics["mean_frobenius_loss"] = float(loss.mean()) if len(loss) else float("nan")
    metrics["n_rebalances"] = float(len(positions))
    metrics["n_fallbacks"] = float(len(sim.fallbacks))
    calib = calibration(x, positions, predicted, inputs.daily_volatility, sim.weights, idx)
    metrics["bias_statistic"] = float(calib["standardized_return"].std(ddof=1))
    metrics["mahalanobis_ratio"] = float(calib["mahalanobis_ratio"].mean())
    return BacktestResult(
        name=name,
        returns=port_returns,
        weights=weights_df,
        turnover=turnover_s,
        metrics=metrics,
        predicted=predicted,
        realized=realized,
        forecast_dates=realized_dates,
        forecast_loss=loss,
        fallbacks=sim.fallbacks,
        ex_ante_volatility=pd.Series(sim.ex_ante, index=rb_dates, name="ex_ante_volatility"),
        period_variance=_period_variance(port_returns, rb_dates),
        calibration=calib,
        config=config.describe(),
    )


def _reference_runs(
    returns: pd.DataFrame,
    positions: np.ndarray,
    config: BacktestConfig,
    references: Mapping[str, pd.Series] | None,
) -> dict[str, pd.Series]:
    """The equally weighted portfolio (same dates and costs) and any index given."""
    x = returns.to_numpy(dtype=float)
    n = x.shape[1]
    equal = np.full(n, 1.0 / n)
    sim = _simulate(x, positions, lambda k, w: (equal, float("nan"), None), config.cost_bps)
    oos = slice(positions[0] + 1, len(x))
    out = {EQUAL_WEIGHT: pd.Series(sim.returns[oos], index=returns.index[oos], name=EQUAL_WEIGHT)}
    for name, series in (references or {}).items():
        aligned = series.reindex(returns.index[oos])
        if aligned.isna().mean() > 0.5:
            log.warning("reference %s covers less than half of the out-of-sample days", name)
        out[name] = aligned.rename(name)
    return out
