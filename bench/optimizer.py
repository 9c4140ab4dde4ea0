"""Solve and re-solve times of optimize_weights for 20, 100 and 500 assets per objective.

Fresh solve = build + DPP-canonicalise + solve (cache cleared); re-solve = new covariance
and returns on the cached problem (what a backtest does at every rebalance). Each case
runs with method="auto" (exact special-purpose solvers) and method="cvxpy" (Clarabel). Peer: skfolio,
which builds a new cvxpy problem on every fit (MeanRisk, RiskBudgeting; same objective,
long-only, fully invested; target volatility = MeanRisk's maximum return under
``max_standard_deviation``), timed from a covariance-equivalent sample in the same run.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from correlation_platform.portfolio import optimize_weights
from correlation_platform.portfolio.optimizer import _CACHE

OBJECTIVES = ("min_variance", "mean_variance", "target_volatility", "max_sharpe", "risk_parity")
# Cases: each objective, plus target volatility at 12%, where the risk constraint binds at
# 100 and 500 assets (at 20% the weight caps keep the maximum-return portfolio below the
# target; at 20 assets 12% is below the minimum-variance volatility: the rescue path).
# "+sectors": ten sectors, each capped at 15% (the 12% target binds there too).
CASES = (
    *OBJECTIVES[:3],
    "target_volatility@12%",
    "target_volatility@12%+sectors",
    *OBJECTIVES[3:],
)
# Each case twice: "auto" (the critical line or Newton, what a caller gets by default with
# budget and bounds) and "cvxpy" (the Clarabel programs, what sector caps, turnover limits
# or costs lead to).
METHODS = ("auto", "cvxpy")


def sample(n: int, t: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = 5
    loadings = rng.normal(0.5, 0.3, (n, k))
    factors = rng.standard_normal((t, k)) * 0.008
    idio = rng.standard_normal((t, n)) * rng.uniform(0.008, 0.02, n)
    drift = rng.uniform(0.0001, 0.0008, n)
    return pd.DataFrame(
        factors @ loadings.T + idio + drift, columns=[f"S{i:03d}" for i in range(n)]
    )


def kwargs_for(case: str, x: pd.DataFrame) -> dict:
    case, _, extra = case.partition("+")
    objective, _, level = case.partition("@")
    kw = {"bounds": (0.0, min(1.0, 10.0 / x.shape[1]) if x.shape[1] > 10 else 1.0)}
    if objective in ("mean_variance", "target_volatility", "max_sharpe"):
        kw["expected_returns"] = x.mean()
    if objective == "mean_variance":
        kw["risk_aversion"] = 5.0
    if objective == "target_volatility":
        kw["target_volatility"] = float(level.rstrip("%")) / 100 if level else 0.20
    if extra == "sectors":
        kw["groups"] = pd.Series([f"sector{i % 10}" for i in range(x.shape[1])], x.columns)
        kw["group_caps"] = {f"sector{i}": 0.15 for i in range(10)}
    return kw


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def skfolio_time(objective: str, x: pd.DataFrame, kw: dict) -> float | None:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction, RiskBudgeting

    upper = kw["bounds"][1]

    models = {
        "min_variance": lambda: MeanRisk(
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            risk_measure=RiskMeasure.VARIANCE,
            max_weights=upper,
        ),
        "max_sharpe": lambda: MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
            risk_measure=RiskMeasure.VARIANCE,
            max_weights=upper,
        ),
        "mean_variance": lambda: MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
            risk_measure=RiskMeasure.VARIANCE,
            risk_aversion=5.0,
            max_weights=upper,
        ),
        "risk_parity": lambda: RiskBudgeting(risk_measure=RiskMeasure.VARIANCE),
        "target_volatility": lambda: MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RETURN,
            risk_measure=RiskMeasure.VARIANCE,
            max_standard_deviation=kw.get("target_volatility", 0.0) / np.sqrt(252),
            max_weights=upper,
            raise_on_failure=False,  # 12% is infeasible for most 20-asset samples
        ),
    }
    if objective not in models:
        return None
    with warnings.catch_warnings():  # skfolio warns on each infeasible 12% target fit
        warnings.simplefilter("ignore", UserWarning)
        times = [timed(lambda: models[objective]().fit(x)) for _ in range(3)]
    return float(np.median(times))


def main() -> None:
    print(f"machine: {machine()}")
    print(
        "| assets | objective | method: solver | fresh solve ms | re-solve ms (median of 5) "
        "| fresh / re-solve | skfolio fit ms | skfolio / re-solve |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in (20, 100, 500):
        xs = [sample(n, 1000, seed) for seed in range(6)]
        covs = [
            pd.DataFrame(np.cov(x.to_numpy(), rowvar=False), index=x.columns, columns=x.columns)
            for x in xs
        ]
        for case in CASES:
            peer = (
                None
                if "+" in case
                else skfolio_time(case.partition("@")[0], xs[0], kwargs_for(case, xs[0]))
            )
            for method in METHODS:
                print(row(n, case, method, xs, covs, peer), flush=True)


def row(n: int, case: str, method: str, xs, covs, peer: float | None) -> str:
    objective = case.partition("@")[0]
    _CACHE.clear()
    kw = {**kwargs_for(case, xs[0]), "method": method}
    fresh = timed(lambda: optimize_weights(covs[0], objective=objective, **kw))
    re, at_target, unreachable, solvers = [], 0, 0, set()
    for x, cov in zip(xs[1:], covs[1:], strict=True):
        kw = {**kwargs_for(case, x), "method": method}
        out = {}
        re.append(timed(lambda: out.update(w=optimize_weights(cov, objective=objective, **kw))))  # noqa: B023
        info = out["w"].attrs["optimization"]
        solvers.add(info["solver"])
        if objective == "target_volatility":
            unreachable += info["fallback"] is not None
            at_target += abs(info["ex_ante_volatility"] - kw["target_volatility"]) < 1e-4
    resolve = float(np.median(re))
    label = case
    if objective == "target_volatility":
        label += f" (at target {at_target}/{len(re)}, unreachable {unreachable}/{len(re)})"
    peer_txt = f"{peer * 1e3:.1f} | {peer / resolve:.1f}x" if peer else "n/a | n/a"
    return (
        f"| {n} | {label} | {method}: {'/'.join(sorted(solvers))} | {fresh * 1e3:.1f} | "
        f"{resolve * 1e3:.1f} | {fresh / resolve:.1f}x | {peer_txt} |"
    )


if __name__ == "__main__":
    main()
