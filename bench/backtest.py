"""Walk-forward backtest benchmarks (issue 11); prints the markdown tables of bench/README.md.

1. The standard configuration here and in skfolio, same run: the 20 bundled assets
   1999-2018, EWMA correlation with a 40-day half-life, min variance, 252-day training
   window, rebalance every 21 days, no benchmark run, no costs. skfolio:
   ``cross_val_predict(MeanRisk(prior EWCovariance(half_life=40)), WalkForward(252, 21))``.
2. Every family x the five objectives on the bundled data (the backtest_report
   configuration), with 1 and 2 local worker processes.
3. 500 synthetic assets x 2,500 days, min variance, EWMA: wall time and peak memory (in a
   child process, so the peak is the run's own).

Usage: ``.venv/bin/python bench/backtest.py [--skip-families]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, bundled_zoo, machine

HALF_LIFE = 40


def standard_vs_skfolio() -> None:
    from skfolio.model_selection import WalkForward, cross_val_predict
    from skfolio.moments import EWCovariance
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    from correlation_platform.backtest import run_backtest
    from correlation_platform.data import load_market_data
    from correlation_platform.features import simple_returns
    from correlation_platform.forecasters import EWMAForecaster

    data = load_market_data("bundled")
    returns = simple_returns(data.prices).dropna()
    kwargs = dict(
        objective="min_variance", train_size=252, rebalance_every=21, refit_every=63,
        cost_bps=0.0, benchmark=False, significance=False, progress=lambda _: None,
    )  # fmt: skip

    def ours():
        return run_backtest(returns, EWMAForecaster(decay=0.5 ** (1 / HALF_LIFE)), **kwargs)

    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        prior_estimator=EmpiricalPrior(covariance_estimator=EWCovariance(half_life=HALF_LIFE)),
    )

    def peer():
        return cross_val_predict(model, returns, cv=WalkForward(train_size=252, test_size=21))

    t_ours, t_peer = best_of(ours, 3), best_of(peer, 3)
    res, pred = ours(), peer()
    peer_w = np.vstack([p.weights for p in pred.portfolios])
    n = min(len(peer_w), len(res.weights))
    diff = np.abs(res.weights.to_numpy()[:n] - peer_w[:n])
    # The same covariance on both sides (skfolio's EWCovariance of each training window,
    # solved by our optimiser) isolates the optimiser: the weights must agree.
    from correlation_platform.portfolio import optimize

    same = []
    folds = WalkForward(train_size=252, test_size=21).split(returns.to_numpy())
    for k, (train, _) in enumerate(folds):
        if k >= n:
            break
        cov = EWCovariance(half_life=HALF_LIFE).fit(returns.to_numpy()[train]).covariance_
        frame = pd.DataFrame(cov, index=returns.columns, columns=returns.columns)
        same.append(
            np.abs(optimize(frame, objective="min_variance").weights.to_numpy() - peer_w[k]).max()
        )
    print(f"\nMachine: {machine()}\n")
    print(
        "| configuration | ours s | skfolio s | skfolio / ours | rebalances | max abs weight diff | median |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| 20 x {len(returns):,}, EWMA hl {HALF_LIFE}, min variance, 252 / 21 | {t_ours:.2f} | "
        f"{t_peer:.2f} | {t_peer / t_ours:.1f}x | {n} | {diff.max():.3f} | "
        f"{np.median(diff.max(axis=1)):.3f} |"
    )
    print(
        f"\nSame covariance (skfolio's EWCovariance per fold, our optimiser): max abs weight "
        f"difference {max(same):.1e} over {len(same)} rebalances."
    )


def families_by_workers() -> None:
    from correlation_platform.backtest import run_backtests
    from correlation_platform.portfolio import OBJECTIVES

    data, returns, features, models = bundled_zoo()
    kwargs = dict(
        objectives=list(OBJECTIVES), features=features, tree=data.sectors, train_size=504,
        refit_every=252,
        bounds=(0.0, 0.25), volatility="garch", indicator=data.indicators["vix"],
        references={"SP500": data.benchmark.pct_change()},
    )  # fmt: skip
    print("\n| families x objectives | workers | wall s | per family (s) |")
    print("|---|---|---|---|")
    outputs = {}
    for workers in (1, 2):
        lines = []

        def note(line: str, lines=lines) -> None:
            lines.append(line)

        started = time.perf_counter()
        outputs[workers] = run_backtests(returns, models, n_jobs=workers, progress=note, **kwargs)
        wall = time.perf_counter() - started
        per = "; ".join(line.replace("backtest ", "").split(" (")[0] for line in lines)
        print(f"| {len(models)} x {len(OBJECTIVES)} | {workers} | {wall:.0f} | {per} |")
    same = all(
        np.array_equal(outputs[1][k].returns.to_numpy(), outputs[2][k].returns.to_numpy())
        for k in outputs[1]
    )
    print(f"\nIdentical returns with 1 and 2 workers: {same}")


def large_child(cost_bps: float) -> None:
    import gc
    import tracemalloc

    from correlation_platform.backtest import run_backtest
    from correlation_platform.data.synthetic import simulate_market
    from correlation_platform.features import simple_returns

    market = simulate_market(n_assets=500, n_days=2500, kind="constant", seed=0)
    returns = simple_returns(market.prices).dropna()
    del market  # the synthetic truth (T x N x N) is not the backtest's memory
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    res = run_backtest(
        returns, "ewma", objective="min_variance", train_size=252, rebalance_every=21,
        benchmark=False, significance=False, bounds=(0.0, 0.02), cost_bps=cost_bps,
        progress=lambda _: None,
    )  # fmt: skip
    wall = time.perf_counter() - started
    _, traced = tracemalloc.get_traced_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        json.dumps(
            {
                "wall": wall,
                "traced_gb": traced / 2**30,
                "process_gb": peak,
                "rebalances": len(res.weights),
                "solver": "critical line" if cost_bps == 0 else "Clarabel (costs)",
            }
        )
    )


def large() -> None:
    print(
        "\n| data | family | objective | rebalances | optimiser | wall s | run's peak allocation GB | process peak RSS GB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for cost in (0.0, 5.0):
        out = subprocess.run(
            [sys.executable, __file__, "--large-child", str(cost)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        stats = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| synthetic 500 x 2,500 | ewma | min_variance, cap 2%, {cost:g} bps | "
            f"{stats['rebalances']} | {stats['solver']} | {stats['wall']:.1f} | "
            f"{stats['traced_gb']:.2f} | {stats['process_gb']:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--large-child", type=float, default=None, metavar="COST_BPS")
    parser.add_argument("--skip-families", action="store_true")
    args = parser.parse_args()
    if args.large_child is not None:
        large_child(args.large_child)
    else:
        standard_vs_skfolio()
        if not args.skip_families:
            families_by_workers()
        large()
