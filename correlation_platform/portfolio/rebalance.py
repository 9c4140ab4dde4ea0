"""One rebalance, the same in the backtest and in the daily chain.

:func:`portfolio_constraints` turns the platform's settings (weight bounds, sector caps,
turnover limit, costs) into the optimiser's constraint set, refusing one that no fully
invested portfolio can meet; :func:`rebalance_weights` builds D R D from a correlation
forecast and volatilities and solves the objective under those constraints. The
walk-forward backtest and the ``target_weights`` asset both call these two functions, so
the strategy a backtest tests is the one the daily chain runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.linalg import corr_to_cov
from correlation_platform.portfolio.objective import OBJECTIVES
from correlation_platform.portfolio.optimizer import OptimizationResult, optimize

#: Basis points per unit.
BPS = 1e4


@dataclass(frozen=True)
class PortfolioConstraints:
    """The constraint set every rebalance is solved under.

    Attributes
    ----------
    bounds : tuple of float
        Per-asset (lower, upper) weight bounds.
    groups : pd.Series or None
        Asset -> sector label, for ``group_caps``.
    group_caps : dict or None
        Sector -> maximum total weight.
    max_turnover : float or None
        Maximum sum |w - w_current| per rebalance (None: no limit).
    cost_bps : float
        Transaction cost per unit of turnover, in basis points.
    horizon : int
        Days a rebalance is held: the cost is amortised over them in the optimiser, so a
        one-off cost is weighed against daily variance and return on the same footing.
    """

    bounds: tuple[float, float] = (0.0, 1.0)
    groups: pd.Series | None = None
    group_caps: Mapping[str, float] | None = None
    max_turnover: float | None = None
    cost_bps: float = 0.0
    horizon: int = 21

    @property
    def transaction_cost(self) -> float:
        """Daily-return units per unit of turnover: cost_bps / 1e4 / horizon."""
        return self.cost_bps / BPS / self.horizon


def portfolio_constraints(
    assets: list[str],
    *,
    bounds: tuple[float, float] = (0.0, 1.0),
    sectors: pd.Series | pd.DataFrame | None = None,
    sector_cap: float | None = None,
    max_turnover: float | None = None,
    cost_bps: float = 0.0,
    horizon: int = 21,
) -> PortfolioConstraints:
    """Validated constraints for ``assets``; an impossible set fails here, before any work.

    Parameters
    ----------
    assets : list of str
        The universe.
    bounds : tuple of float
        (lower, upper) weight per asset; lower * N <= 1 <= upper * N is required.
    sectors : pd.Series or pd.DataFrame, optional
        Asset -> sector (a frame's ``sector`` column, as ``MarketData.sectors``).
    sector_cap : float, optional
        Maximum weight per sector (None or 0: no cap).
    max_turnover : float, optional
        Maximum turnover per rebalance, in (0, 2] (None or 0: no limit).
    cost_bps : float
        Transaction cost per unit of turnover (>= 0).
    horizon : int
        Holding period in days (>= 1).

    Returns
    -------
    PortfolioConstraints
    """
    n = len(assets)
    lower, upper = float(bounds[0]), float(bounds[1])
    if not (np.isfinite(lower) and np.isfinite(upper)) or lower > upper:
        raise ValueError(f"bounds={bounds}: need finite lower <= upper")
    if upper * n < 1 - 1e-12:
        raise ValueError(
            f"bounds upper={upper} is below 1/N = {1 / n:.4f} for {n} assets: no fully "
            f"invested portfolio fits; use an upper bound of at least {1 / n:.4f}"
        )
    if lower * n > 1 + 1e-12:
        raise ValueError(f"bounds lower={lower} is above 1/N = {1 / n:.4f} for {n} assets")
    if not cost_bps >= 0:
        raise ValueError(f"cost_bps must be >= 0, got {cost_bps}")
    if int(horizon) < 1:
        raise ValueError(f"horizon must be >= 1 day, got {horizon}")
    turnover = None
    if max_turnover:
        if not 0 < max_turnover <= 2:
            raise ValueError(f"max_turnover must be in (0, 2], got {max_turnover}")
        turnover = float(max_turnover)
    groups, caps = None, None
    if sector_cap:
        if sectors is None:
            raise ValueError("sector_cap needs sectors (asset -> sector)")
        labels = sectors["sector"] if isinstance(sectors, pd.DataFrame) else sectors
        groups = labels.reindex(assets)
        missing = list(groups.index[groups.isna()])
        if missing:
            raise ValueError(f"sector_cap: no sector for assets {missing}")
        if not 0 < sector_cap <= 1:
            raise ValueError(f"sector_cap must be in (0, 1], got {sector_cap}")
        room = groups.value_counts().map(lambda k: min(float(sector_cap), k * upper)).sum()
        if room < 1 - 1e-12:
            raise ValueError(
                f"sector_cap={sector_cap} with {groups.nunique()} sectors and upper bound "
                f"{upper} leaves room for only {room:.2f} of the portfolio: no fully invested "
                "portfolio fits"
            )
        caps = dict.fromkeys(groups.unique(), float(sector_cap))
    return PortfolioConstraints(
        bounds=(lower, upper),
        groups=groups,
        group_caps=caps,
        max_turnover=turnover,
        cost_bps=float(cost_bps),
        horizon=int(horizon),
    )


def rebalance_weights(
    correlation: pd.DataFrame | np.ndarray,
    volatility: pd.Series | np.ndarray,
    expected_returns: pd.Series | np.ndarray | None,
    *,
    objective: str,
    constraints: PortfolioConstraints,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    assets: list[str] | None = None,
) -> OptimizationResult:
    """Target weights for one rebalance: D R D from the forecasts, then the objective.

    Parameters
    ----------
    correlation : pd.DataFrame or ndarray
        Forecast correlation matrix (N x N).
    volatility : pd.Series or ndarray
        Daily volatility forecast per asset.
    expected_returns : pd.Series or ndarray or None
        Daily expected returns per asset (needed by mean variance, target volatility and
        max Sharpe).
    objective : str
        One of ``OBJECTIVES``.
    constraints : PortfolioConstraints
        From :func:`portfolio_constraints`.
    target_volatility : float
        Annualised target of ``target_volatility``.
    current_weights : pd.Series, optional
        The book before the rebalance (turnover and costs are measured from it). Without
        one the portfolio is built from cash: the turnover limit does not apply.
    assets : list of str, optional
        Labels when the inputs are arrays.

    Returns
    -------
    OptimizationResult
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective={objective!r} is not accepted: use one of {OBJECTIVES}")
    if isinstance(correlation, pd.DataFrame):
        assets = list(correlation.columns)
        corr = correlation.to_numpy(dtype=float)
    else:
        corr = np.asarray(correlation, dtype=float)
        if assets is None:
            raise ValueError("assets are needed when correlation is an array")
    vol = (
        volatility.reindex(assets).to_numpy(float)
        if isinstance(volatility, pd.Series)
        else np.asarray(volatility, dtype=float)
    )
    cov = pd.DataFrame(corr_to_cov(corr, vol), index=assets, columns=assets)
    mu = None
    if expected_returns is not None:
        mu = (
            expected_returns.reindex(assets)
            if isinstance(expected_returns, pd.Series)
            else pd.Series(np.asarray(expected_returns, dtype=float), index=assets)
        )
    # Risk parity's budgets fix the weights: costs cannot change them, so they are charged
    # (by the backtest, by the book) but not optimised, and the result says so.
    costs_optimised = objective != "risk_parity"
    res = optimize(
        cov,
        objective=objective,
        expected_returns=mu,
        target_volatility=target_volatility,
        current_weights=current_weights,
        max_turnover=constraints.max_turnover if current_weights is not None else None,
        bounds=constraints.bounds,
        transaction_cost=constraints.transaction_cost if costs_optimised else 0.0,
        groups=constraints.groups,
        group_caps=constraints.group_caps,
    )
    if not costs_optimised and constraints.cost_bps > 0:
        note = "risk parity has no cost term: costs are charged, not optimised"
        res.reason = "; ".join(r for r in (res.reason, note) if r)
    return res
