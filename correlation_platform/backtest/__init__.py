"""L5: walk-forward backtests, metrics and the HTML report (DESIGN.md section 5)."""

from correlation_platform.backtest.engine import BacktestResult, run_backtest
from correlation_platform.backtest.metrics import performance_metrics, relative_metrics
from correlation_platform.backtest.report import Report, build_report

__all__ = [
    "BacktestResult",
    "Report",
    "build_report",
    "performance_metrics",
    "relative_metrics",
    "run_backtest",
]
