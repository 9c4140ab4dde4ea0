"""L5: walk-forward backtests, significance, market conditions and the report (DESIGN.md section 5)."""

from correlation_platform.backtest.comparison import (
    calibration,
    conditions_won,
    regime_table,
    significance_table,
    verdict_table,
)
from correlation_platform.backtest.conditions import CRISES, market_conditions
from correlation_platform.backtest.engine import (
    EQUAL_WEIGHT,
    BacktestConfig,
    BacktestResult,
    backtest_config,
    run_backtest,
)
from correlation_platform.backtest.fanout import run_backtests
from correlation_platform.backtest.metrics import (
    performance_metrics,
    relative_metrics,
    target_tracking,
)
from correlation_platform.backtest.report import Report, build_report

__all__ = [
    "CRISES",
    "EQUAL_WEIGHT",
    "BacktestConfig",
    "BacktestResult",
    "Report",
    "backtest_config",
    "build_report",
    "calibration",
    "conditions_won",
    "market_conditions",
    "performance_metrics",
    "regime_table",
    "relative_metrics",
    "run_backtest",
    "run_backtests",
    "significance_table",
    "target_tracking",
    "verdict_table",
]
