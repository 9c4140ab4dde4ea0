"""Pre-trade checks: the last gate between target weights and the execution system.

Wrong orders are the worst harm the platform can do, so before any order file is written
:func:`pretrade_check` re-verifies, independently of the optimiser, everything an order
depends on: every price is finite and positive, no price moved more than a limit since the
previous close unless a corporate action explains it (a bad tick or an unadjusted split
would size every order wrongly), no single order is larger than a share of NAV, the
turnover is within its limit, and the target weights meet every constraint
(:func:`weight_violations`). Any violation blocks all orders and says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.portfolio.rebalance import PortfolioConstraints

#: Weights may miss a constraint by this much (solver rounding), no more.
WEIGHT_TOL = 1e-6


@dataclass(frozen=True)
class PretradeLimits:
    """Limits of the pre-trade check.

    Attributes
    ----------
    max_price_move : float
        Largest |close / previous close - 1| accepted without a corporate action (0.5:
        a move of more than 50% in a day is far more often a bad print than news).
    max_order_share : float
        Largest single order notional as a share of NAV.
    """

    max_price_move: float = 0.5
    max_order_share: float = 0.5

    def __post_init__(self) -> None:
        """Refuse limits outside their ranges."""
        if not self.max_price_move > 0:
            raise ValueError(f"max_price_move must be > 0, got {self.max_price_move}")
        if not 0 < self.max_order_share <= 2:
            raise ValueError(f"max_order_share must be in (0, 2], got {self.max_order_share}")


@dataclass(frozen=True)
class PretradeResult:
    """Outcome of :func:`pretrade_check`.

    Attributes
    ----------
    passed : bool
        True when no rule is broken.
    violations : tuple of str
        One sentence per broken rule, naming the asset and the numbers.
    """

    passed: bool
    violations: tuple[str, ...]


def weight_violations(
    weights: pd.Series,
    constraints: PortfolioConstraints,
    current_weights: pd.Series | None = None,
    *,
    tol: float = WEIGHT_TOL,
) -> list[str]:
    """Every constraint ``weights`` break.

    Finite values, budget, bounds, sector caps and the turnover limit from
    ``current_weights``.

    Parameters
    ----------
    weights : pd.Series
        Target weights by asset.
    constraints : PortfolioConstraints
        The constraint set they were optimised under.
    current_weights : pd.Series, optional
        The book before the trade (needed for the turnover limit).
    tol : float
        Allowed rounding.

    Returns
    -------
    list of str
        Empty when every constraint holds.
    """
    w = weights.astype(float)
    problems = []
    if not np.all(np.isfinite(w.to_numpy())):
        return [f"non-finite weights for {list(w.index[~np.isfinite(w.to_numpy())])}"]
    total = float(w.sum())
    if abs(total - 1.0) > tol:
        problems.append(f"weights sum to {total:.8f}, not 1")
    lower, upper = constraints.bounds
    below, above = w[w < lower - tol], w[w > upper + tol]
    if len(below):
        problems.append(f"below the lower bound {lower}: {below.round(6).to_dict()}")
    if len(above):
        problems.append(f"above the upper bound {upper}: {above.round(6).to_dict()}")
    if constraints.group_caps:
        by_sector = w.groupby(constraints.groups.reindex(w.index)).sum()
        for sector, cap in constraints.group_caps.items():
            held = float(by_sector.get(sector, 0.0))
            if held > cap + tol:
                problems.append(f"sector {sector} holds {held:.4f} > cap {cap}")
    if constraints.max_turnover is not None and current_weights is not None:
        cur = current_weights.reindex(w.index).fillna(0.0)
        turnover = float((w - cur).abs().sum())
        if turnover > constraints.max_turnover + tol:
            problems.append(f"turnover {turnover:.4f} > limit {constraints.max_turnover}")
    return problems


def pretrade_check(
    orders: pd.DataFrame,
    *,
    target_weights: pd.Series,
    prices: pd.DataFrame,
    nav: float,
    constraints: PortfolioConstraints,
    current_weights: pd.Series | None = None,
    corporate_actions: Iterable[str] = (),
    limits: PretradeLimits | None = None,
) -> PretradeResult:
    """Check orders and their inputs before anything reaches the outbox.

    Parameters
    ----------
    orders : pd.DataFrame
        From :func:`~correlation_platform.portfolio.rebalance_orders` (``asset``,
        ``notional``).
    target_weights : pd.Series
        The weights the orders move to.
    prices : pd.DataFrame
        At least the last two closes (rows) of every asset; the last row sized the orders.
    nav : float
        Portfolio value the orders are sized for.
    constraints : PortfolioConstraints
        The constraint set of the rebalance.
    current_weights : pd.Series, optional
        The book before the trade.
    corporate_actions : iterable of str
        Assets with a corporate action (split, dividend) on the last day: their price
        moves are expected.
    limits : PretradeLimits, optional
        Thresholds (defaults: :class:`PretradeLimits`).

    Returns
    -------
    PretradeResult
    """
    limits = limits or PretradeLimits()
    violations: list[str] = []
    assets = list(target_weights.index)
    missing = [a for a in assets if a not in prices.columns]
    if missing:
        violations.append(f"no price column for {missing}")
    last = prices.reindex(columns=assets).iloc[-1]
    bad = last[~np.isfinite(last.to_numpy(dtype=float)) | (last <= 0)]
    for asset, value in bad.items():
        violations.append(f"{asset}: last price {value} is not a finite positive number")
    if len(prices) >= 2:
        previous = prices.reindex(columns=assets).iloc[-2]
        with np.errstate(divide="ignore", invalid="ignore"):
            move = (last / previous - 1.0).abs()
        explained = set(corporate_actions)
        for asset, m in move.items():
            if asset not in explained and np.isfinite(m) and m > limits.max_price_move:
                violations.append(
                    f"{asset}: price moved {m:.0%} in one day ({previous[asset]:.4g} -> "
                    f"{last[asset]:.4g}) with no corporate action: bad tick or unadjusted split?"
                )
    if len(orders):
        share = orders.set_index("asset")["notional"] / nav
        for asset, s in share[share > limits.max_order_share].items():
            violations.append(
                f"{asset}: order of {s:.1%} of NAV exceeds the limit {limits.max_order_share:.0%}"
            )
    violations += weight_violations(target_weights, constraints, current_weights)
    return PretradeResult(not violations, tuple(violations))
