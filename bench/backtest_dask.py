"""Walk-forward fan-out at 500 assets x 2,500 days: local processes vs a local Dask cluster.

Every classical family (historical benchmark, EWMA, DCC, Ledoit-Wolf, denoised, TIC) under
minimum variance with a turnover limit and costs, one walk per family
(``backtest.run_backtests``): in this process, in 2 local worker processes, and on a
local Dask cluster (scheduler + 1 or 2 single-threaded worker processes, started here).
The results must not depend on the workers (the table gives the largest weight
difference from the in-process run; differences of an ulp come from reductions whose
SIMD path depends on memory alignment in each process) and the wall times.

    .venv/bin/python bench/backtest_dask.py [n_assets] [n_days]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

FAMILIES = ["historical", "ewma", "dcc", "ledoit_wolf", "denoised", "tic"]
KW = {
    "rebalance_every": 21,
    "train_size": 1008,  # DCC needs more than 2N observations
    "refit_every": 504,
    "max_turnover": 0.5,
    "cost_bps": 5.0,
    "significance": False,
}


def main() -> None:
    from distributed import LocalCluster

    from correlation_platform.backtest import run_backtests
    from correlation_platform.data.synthetic import simulate_market
    from correlation_platform.features import simple_returns

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 2500
    data = simulate_market(n, days, "regime", 0)
    returns = simple_returns(data.prices)
    tree = data.sectors
    del data
    print(f"machine: {machine()}; {n} assets x {days} days, families {', '.join(FAMILIES)}")
    print(f"settings: {KW}, bounds (0, 10/N)\n")
    print("| where | workers | wall s | largest weight difference from one process |")
    print("|---|---|---|---|")
    runs = {}

    def timed(label, workers, **where):
        start = time.perf_counter()
        out = run_backtests(returns, FAMILIES, tree=tree, progress=lambda _: None, **where, **KW)
        seconds = time.perf_counter() - start
        base = runs.get("one")
        if base is None:
            same = "reference"
        else:
            gap = max(
                float(np.max(np.abs(out[k].weights.to_numpy() - base[k].weights.to_numpy())))
                for k in base
            )
            same = "bit-identical" if gap == 0 else f"{gap:.1e}"
        runs.setdefault("one", out)
        print(f"| {label} | {workers} | {seconds:.1f} | {same} |", flush=True)

    timed("this process", 1, n_jobs=1)
    timed("local processes (joblib loky)", 2, n_jobs=2)
    for workers in (1, 2):
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            timed("local Dask cluster", workers, scheduler=cluster.scheduler_address)
    ann = {k[0]: float(r.returns.std() * np.sqrt(252)) for k, r in runs["one"].items()}
    print("\nrealised volatility per family:", pd.Series(ann).round(4).to_dict())


if __name__ == "__main__":
    main()
