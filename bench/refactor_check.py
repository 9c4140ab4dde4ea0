"""Does a refactor change behaviour or speed? Two checkouts, same machine, same run.

``python bench/refactor_check.py OLD_CHECKOUT [NEW_CHECKOUT]`` (new defaults to this one)
runs the same workloads against each checkout's package in its own process, pinned to
one core, and prints:

- forecasters: every family fitted on the bundled data, its forecast path compared bit
  for bit, fit and path seconds;
- optimiser: 1,762 random problems (factor models with positive and mixed-sign loadings,
  sample covariances with T < N and T > N, caps 2/N to 50/N, sector caps, turnover limits,
  costs; every objective) compared bit for bit (solver, rescue, weights), and the median
  solve time of the bench's own cases at 20 and 500 assets, old and new alternated twice.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PYTHON = sys.executable

FORECASTS = r"""
import sys, pickle, inspect, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
from correlation_platform.data import load_market_data
from correlation_platform.features import build_feature_panel, simple_returns
from correlation_platform.forecasters import FORECASTERS, get_forecaster
assert inspect.getsourcefile(get_forecaster).startswith(sys.argv[1])
data = load_market_data("bundled")
r = simple_returns(data.prices).iloc[-1600:]
panel = build_feature_panel(r, data.indicators)
out = {}
for name in FORECASTERS:
    feats = panel if name in ("gbm", "lstm") else None
    params = {"max_iter": 60} if name == "gbm" else {"epochs": 3, "max_rows": 4000} if name == "lstm" else {}
    tree_in_fit = "tree" in inspect.signature(FORECASTERS[name].fit).parameters
    if name == "tic" and not tree_in_fit:
        params["tree"] = data.sectors
    f = get_forecaster(name, **params)
    train, tf = r.iloc[:1200], None if feats is None else feats.iloc[:1200]
    t0 = time.perf_counter()
    f.fit(train, tf, tree=data.sectors) if tree_in_fit else f.fit(train, tf)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    path = f.predict_path(r, feats, dates=r.index[1200::20])
    out[name] = (path, fit_s, time.perf_counter() - t0)
pickle.dump(out, open(sys.argv[2], "wb"))
"""

PROBLEMS = r"""
import sys, pickle, inspect
sys.path.insert(0, sys.argv[1])
import numpy as np, pandas as pd
from correlation_platform.portfolio import optimize
assert inspect.getsourcefile(optimize).startswith(sys.argv[1])
kind_ = inspect.signature(optimize).parameters["objective"].kind
def call(frame, obj, **kw):
    if kind_ == inspect.Parameter.KEYWORD_ONLY:
        return optimize(frame, objective=obj, **kw)
    return optimize(frame, obj, **kw)
rng = np.random.default_rng(7)
out = []
for trial in range(160):
    n = int(rng.choice([5, 12, 40, 120]))
    kind = trial % 4
    if kind < 2:
        b = rng.uniform(0.2, 1.0, (n, 3)) if kind == 0 else rng.normal(0, 1.0, (n, 3))
        cov = (b @ b.T + np.diag(rng.uniform(0.2, 1, n))) * 1e-4
    else:
        t = 60 if kind == 2 else 600
        z = rng.standard_normal((t, n)) * 0.01
        cov = np.cov(z, rowvar=False) + (0 if t > n else 1e-6 * np.eye(n))
    assets = [f"a{i}" for i in range(n)]
    frame = pd.DataFrame(cov, index=assets, columns=assets)
    mu = pd.Series(rng.normal(3e-4, 4e-4, n), index=assets)
    cap = min(max(float(rng.choice([2 / n, 10 / n, 50 / n])), 1.0 / n + 1e-3), 1.0)
    groups = pd.Series([f"s{i % 4}" for i in range(n)], index=assets) if trial % 3 == 0 else None
    caps = {f"s{k}": max(0.3, cap * n / 4) for k in range(4)} if groups is not None else None
    w0 = pd.Series(np.full(n, 1 / n), index=assets)
    for obj in ("min_variance", "mean_variance", "target_volatility", "max_sharpe", "risk_parity"):
        for extra in ({}, {"max_turnover": 0.3, "current_weights": w0},
                      {"transaction_cost": 2e-4, "current_weights": w0}):
            if obj == "risk_parity" and (extra or groups is not None):
                continue
            if extra and n > 40:
                continue
            kw = dict(expected_returns=mu, bounds=(0.0, cap), groups=groups, group_caps=caps,
                      target_volatility=0.12, risk_aversion=3.0, **extra)
            try:
                res = call(frame, obj, **({} if obj == "risk_parity" else kw))
                out.append((trial, obj, str(sorted(extra)), res.solver, res.fallback,
                            res.weights.to_numpy()))
            except Exception as exc:
                out.append((trial, obj, str(sorted(extra)), type(exc).__name__, str(exc)[:60], None))
pickle.dump(out, open(sys.argv[2], "wb"))
"""

TIMES = r"""
import sys, time, inspect, statistics, pickle
sys.path.insert(0, sys.argv[1])
from correlation_platform.portfolio import optimize_weights
sys.path.insert(1, sys.argv[3])
from optimizer import sample, kwargs_for
assert inspect.getsourcefile(optimize_weights).startswith(sys.argv[1])
positional = "objective" in inspect.signature(optimize_weights).parameters and (
    inspect.signature(optimize_weights).parameters["objective"].kind
    == inspect.Parameter.POSITIONAL_OR_KEYWORD)
out = {}
for n in (20, 500):
    xs = [sample(n, 1000, s) for s in range(5)]
    for case in ("min_variance", "mean_variance", "target_volatility@12%",
                 "target_volatility@12%+sectors", "max_sharpe", "risk_parity"):
        obj = case.partition("@")[0].partition("+")[0]
        times = []
        for _ in range(3 if n == 500 else 10):
            for x in xs:
                cov, kw = x.cov(), kwargs_for(case, x)
                t0 = time.perf_counter()
                optimize_weights(cov, obj, **kw) if positional else optimize_weights(cov, objective=obj, **kw)
                times.append(time.perf_counter() - t0)
        out[(n, case)] = statistics.median(times) * 1e3
pickle.dump(out, open(sys.argv[2], "wb"))
"""


def run(code: str, checkout: Path, out: Path, *extra: str) -> object:
    script = out.with_suffix(".py")
    script.write_text(code)
    subprocess.run(
        ["taskset", "-c", "1", PYTHON, str(script), str(checkout), str(out), *extra],
        check=True,
        cwd=out.parent,
    )
    with out.open("rb") as fh:
        return pickle.load(fh)


def main() -> None:
    old = Path(sys.argv[1]).resolve()
    new = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parents[1]).resolve()
    bench = str(Path(__file__).parent)
    tmp = Path(tempfile.mkdtemp())
    a, b = run(FORECASTS, old, tmp / "fa.pkl"), run(FORECASTS, new, tmp / "fb.pkl")
    print("| family | forecasts | fit s old -> new | path s old -> new |\n|---|---|---|---|")
    for k in a:
        same = np.array_equal(a[k][0], b[k][0])
        diff = "identical" if same else f"max diff {np.abs(a[k][0] - b[k][0]).max():.1e}"
        print(f"| {k} | {diff} | {a[k][1]:.2f} -> {b[k][1]:.2f} | {a[k][2]:.2f} -> {b[k][2]:.2f} |")
    a, b = run(PROBLEMS, old, tmp / "pa.pkl"), run(PROBLEMS, new, tmp / "pb.pkl")
    differ = [
        (x[:5], y[3:5])
        for x, y in zip(a, b, strict=True)
        if x[3:5] != y[3:5]
        or (x[5] is None) != (y[5] is None)
        or (x[5] is not None and not np.array_equal(x[5], y[5]))
    ]
    print(f"\noptimiser: {len(a) - len(differ)} of {len(a)} problems identical to the last bit")
    for old_row, new_outcome in differ:
        print(f"  differs: {old_row} -> {new_outcome}")
    runs = [run(TIMES, c, tmp / f"t{i}.pkl", bench) for i, c in enumerate((old, new, old, new))]
    print("\n| assets | case | old ms | new ms | old ms | new ms |\n|---|---|---|---|---|---|")
    for key in runs[0]:
        cells = " | ".join(f"{r[key]:.1f}" for r in runs)
        print(f"| {key[0]} | {key[1]} | {cells} |")


if __name__ == "__main__":
    main()
