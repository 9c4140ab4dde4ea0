"""The verdict table on the bundled data: every family vs historical (issue 11's evidence).

Configuration of the ``backtest_report`` asset's defaults: 20 bundled stocks 1999-2018,
504-day first training window, refit every 252 days, rebalance every 21, weight cap 25%,
5 bps, GARCH volatility and James-Stein expected returns point in time; min variance and
target volatility at 15%. K of the deflated Sharpe ratio = the tuning-grid points of all
families (what model selection tries). Families use their default hyper-parameters.

Usage: ``.venv/bin/python bench/verdict.py`` (about five minutes on two cores).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import bundled_zoo, machine

from correlation_platform.backtest import run_backtests, verdict_table
from correlation_platform.evaluation import GRIDS
from correlation_platform.evaluation.selection import grid_points
from correlation_platform.forecasters import BENCHMARK, FORECASTERS

OBJECTIVES = ("min_variance", "target_volatility")

if __name__ == "__main__":
    data, returns, features, models = bundled_zoo()
    n_trials = sum(len(grid_points(GRIDS.get(f, {}))) for f in FORECASTERS)
    started = time.perf_counter()
    results = run_backtests(
        returns, models, objectives=OBJECTIVES, features=features, tree=data.sectors, n_jobs=2,
        train_size=504, refit_every=252, rebalance_every=21, bounds=(0.0, 0.25),
        cost_bps=5.0, volatility="garch", expected_returns="james_stein",
        target_volatility=0.15, indicator=data.indicators["vix"],
        references={"SP500": data.benchmark.pct_change()}, progress=lambda _: None,
    )  # fmt: skip
    print(f"Machine: {machine()}; {time.perf_counter() - started:.0f}s; K = {n_trials}\n")
    for objective in OBJECTIVES:
        runs = {f: results[(f, objective)] for f in FORECASTERS if f != BENCHMARK}
        table = verdict_table(runs, n_trials=n_trials)
        bench = results[(BENCHMARK, objective)]
        print(f"\n### {objective}" + (" at 15%" if objective == "target_volatility" else ""))
        print(
            f"\nhistorical: volatility {bench.metrics['annual_volatility']:.2%}, Sharpe "
            f"{bench.metrics['sharpe']:.3f}\n"
        )
        print(
            "| family | realised vol | vs historical | Sharpe | LW HAC p | LW bootstrap p | "
            "JKM p | DM p (realised var) | DM p Holm | DSR | conditions won |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for family, row in table.iterrows():
            print(
                f"| {family} | {row['annual_volatility']:.2%} | "
                f"{row['volatility_vs_historical']:+.2%} | {row['sharpe']:.3f} | "
                f"{row['lw_hac_pvalue']:.3f} | {row['lw_bootstrap_pvalue']:.3f} | "
                f"{row['jkm_pvalue']:.3f} | {row['dm_variance_pvalue']:.3f} | "
                f"{row['dm_variance_holm']:.3f} | {row['deflated_sharpe_ratio']:.3f} | "
                f"{row['conditions_won']} |"
            )
