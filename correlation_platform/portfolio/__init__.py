"""L4: optimiser inputs, target weights and rebalancing orders (DESIGN.md section 4)."""

from correlation_platform.portfolio.book import (
    CASH,
    Book,
    apply_fills,
    book_orders,
    paper_fills,
    read_fills,
    read_shares_csv,
    reconcile,
    starting_book,
)
from correlation_platform.portfolio.fallback import FALLBACKS, InfeasiblePortfolioError
from correlation_platform.portfolio.inputs import (
    EXPECTED_RETURNS,
    VOLATILITY_MODELS,
    VolatilityForecast,
    covariance_from,
    ewma_volatility_forecast,
    expected_returns,
    garch_volatility_forecast,
)
from correlation_platform.portfolio.objective import OBJECTIVES, Objective
from correlation_platform.portfolio.optimizer import (
    OptimizationResult,
    optimize,
    optimize_weights,
)
from correlation_platform.portfolio.orders import rebalance_orders
from correlation_platform.portfolio.pretrade import (
    PretradeLimits,
    PretradeResult,
    pretrade_check,
    weight_violations,
)
from correlation_platform.portfolio.problem import PortfolioProblem, portfolio_problem
from correlation_platform.portfolio.programs import Attempt
from correlation_platform.portfolio.rebalance import (
    PortfolioConstraints,
    portfolio_constraints,
    rebalance_weights,
)

__all__ = [
    "CASH",
    "EXPECTED_RETURNS",
    "FALLBACKS",
    "OBJECTIVES",
    "VOLATILITY_MODELS",
    "Attempt",
    "Book",
    "InfeasiblePortfolioError",
    "Objective",
    "OptimizationResult",
    "PortfolioConstraints",
    "PortfolioProblem",
    "PretradeLimits",
    "PretradeResult",
    "VolatilityForecast",
    "apply_fills",
    "book_orders",
    "covariance_from",
    "ewma_volatility_forecast",
    "expected_returns",
    "garch_volatility_forecast",
    "optimize",
    "optimize_weights",
    "paper_fills",
    "portfolio_constraints",
    "portfolio_problem",
    "pretrade_check",
    "read_fills",
    "read_shares_csv",
    "rebalance_orders",
    "rebalance_weights",
    "reconcile",
    "starting_book",
    "weight_violations",
]
