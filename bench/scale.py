"""Every family at 20, 100 and 500 assets x 2,500 days: retraining and the daily chain.

A synthetic ``macro`` market (returns and feature panel written once to Parquet, so no
process holds the synthetic truth) is fed to one process per (size, family, stage), whose
peak resident memory is the stage's own:

- **fit**: the family fitted on every row (what quarterly retraining does);
- **daily**: the daily chain with that fitted model: the forecast as of the last row,
  the GARCH volatility forecast, min-variance weights from the book with a turnover limit
  and costs, and the orders.

``python bench/scale.py [--sizes 20,100,500] [--families gbm,lstm] [--cpu 1]``; one core
each (``taskset -c CPU``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

N_DAYS = 2500

STAGE = r"""
import json, pickle, sys, time
import numpy as np, pandas as pd, torch
torch.set_num_threads(1)
from correlation_platform.forecasters import USES_FEATURES, get_forecaster
from correlation_platform.portfolio import (
    garch_volatility_forecast, portfolio_constraints, rebalance_orders, rebalance_weights,
)
stage, family, folder = sys.argv[1], sys.argv[2], sys.argv[3]
returns = pd.read_parquet(f"{folder}/returns.parquet")
panel = pd.read_parquet(f"{folder}/panel.parquet")
sectors = pd.read_parquet(f"{folder}/sectors.parquet")
started = time.perf_counter()
if stage == "fit":
    feats = panel if family in USES_FEATURES else None
    model = get_forecaster(family).fit(returns, feats, tree=sectors)
    with open(f"{folder}/{family}.pkl", "wb") as fh:
        pickle.dump(model, fh)
    extra = {}
else:
    with open(f"{folder}/{family}.pkl", "rb") as fh:
        model = pickle.load(fh)
    feats = panel if family in USES_FEATURES else None
    t0 = time.perf_counter()
    corr = model.predict(returns, feats, horizon=21)
    predict_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vol = garch_volatility_forecast(returns, horizon=21).daily_volatility
    vol_s = time.perf_counter() - t0
    n = returns.shape[1]
    book = pd.Series(np.full(n, 1.0 / n), index=returns.columns)
    constraints = portfolio_constraints(
        list(returns.columns), bounds=(0.0, min(1.0, 10.0 / n)), max_turnover=0.5,
        cost_bps=5.0, horizon=21,
    )
    t0 = time.perf_counter()
    res = rebalance_weights(corr, vol, None, objective="min_variance", constraints=constraints,
                            current_weights=book)
    weights_s = time.perf_counter() - t0
    orders = rebalance_orders(book, res.weights, nav=1e8, prices=pd.Series(100.0, index=returns.columns))
    extra = {"predict_s": predict_s, "vol_s": vol_s, "weights_s": weights_s,
             "solver": res.solver, "orders": len(orders)}
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child would report
# its parent's peak (the parent built the synthetic market's truth).
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1e6
print(json.dumps({"seconds": seconds, "peak_gb": peak, **extra}))
"""


def market(n: int, folder: Path) -> None:
    from correlation_platform.data.synthetic import simulate_market
    from correlation_platform.features import build_feature_panel, simple_returns

    data = simulate_market(n_assets=n, n_days=N_DAYS, kind="macro", seed=0)
    returns = simple_returns(data.prices)
    build_feature_panel(returns, data.indicators).to_parquet(folder / "panel.parquet")
    returns.to_parquet(folder / "returns.parquet")
    data.sectors.to_parquet(folder / "sectors.parquet")


def run(stage: str, family: str, folder: Path, cpu: str = "1") -> dict:
    script = folder / "stage.py"
    script.write_text(STAGE)
    done = subprocess.run(
        ["taskset", "-c", cpu, sys.executable, str(script), stage, family, str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": last[:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from correlation_platform.forecasters import FORECASTERS

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,100,500")
    parser.add_argument("--families", default=",".join(FORECASTERS))
    parser.add_argument("--cpu", default="1", help="the core each stage is pinned to")
    args = parser.parse_args()
    print(f"Machine: {machine()}; synthetic macro market, {N_DAYS} days\n")
    print(
        "| assets | family | fit s | fit peak GB | daily s (predict / vol / weights) | "
        "daily peak GB | weights solver |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix=f"scale{n}_"))
        market(n, folder)
        for family in args.families.split(","):
            fit = run("fit", family, folder, args.cpu)
            if "error" in fit:
                print(f"| {n} | {family} | refused: {fit['error']} | | | | |", flush=True)
                continue
            day = run("daily", family, folder, args.cpu)
            if "error" in day:
                daily = f"failed: {day['error']}"
                print(
                    f"| {n} | {family} | {fit['seconds']:.1f} | {fit['peak_gb']:.2f} | "
                    f"{daily} | | |",
                    flush=True,
                )
                continue
            daily = (
                f"{day['seconds']:.1f} ({day['predict_s']:.1f} / {day['vol_s']:.1f} / "
                f"{day['weights_s']:.2f})"
            )
            print(
                f"| {n} | {family} | {fit['seconds']:.1f} | {fit['peak_gb']:.2f} | {daily} | "
                f"{day['peak_gb']:.2f} | {day['solver']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
