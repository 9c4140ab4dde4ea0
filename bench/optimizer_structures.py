"""The optimiser at 500 assets over the structures users have: default vs Clarabel vs skfolio.

Structures: factor models with positive loadings (the old benchmark's generator) and with
mixed-sign loadings (a multi-asset book), and sample covariances from T = 600 and 1,000
days; caps 2/N, 10/N and 50/N; every objective, plain (budget and bounds) and with a
turnover limit (0.3) and costs (10 bp) from a current book. Twenty problems per cell:
median and worst solve time of the default (``method="auto"``) and of the Clarabel
program (``method="cvxpy"``, re-solving the cached program, what a backtest does), the
worst objective gap of the default against Clarabel, and skfolio's median fit time on
the first problem of each row (a sample whose covariance is exactly the problem's).

    .venv/bin/python bench/optimizer_structures.py [n_assets] [problems] [objective:variant]
"""

from __future__ import annotations

import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from correlation_platform.portfolio import optimize

LABELS = {False: "plain", True: "turnover+costs", "costs": "costs"}
STRUCTURES = ("positive", "mixed", "sample600", "sample1000")
CAPS = (2.0, 10.0, 50.0)
OBJECTIVES = ("min_variance", "mean_variance", "target_volatility", "max_sharpe", "risk_parity")
TURNOVER, COST = 0.3, 0.001
SKFOLIO_PROBLEMS = 1


def covariance(structure: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if structure in ("positive", "mixed"):
        loc, spread = (0.5, 0.3) if structure == "positive" else (0.0, 0.5)
        loadings = rng.normal(loc, spread, (n, 5))
        return loadings @ loadings.T * 0.008**2 + np.diag(rng.uniform(0.008, 0.02, n) ** 2)
    t = int(structure.removeprefix("sample"))
    x = rng.standard_normal((t, 5)) @ rng.normal(0.3, 0.5, (5, n)) * 0.008
    return np.cov(x + rng.standard_normal((t, n)) * rng.uniform(0.008, 0.02, n), rowvar=False)


def book(n: int, cap: float, rng: np.random.Generator) -> np.ndarray:
    """A fully invested current book within the caps (a Dirichlet draw, capped)."""
    w = rng.dirichlet(np.ones(n))
    for _ in range(100):
        w = np.minimum(w, cap)
        w += (1 - w.sum()) * (w < cap) / max((w < cap).sum(), 1)
        if w.max() <= cap + 1e-12:
            break
    return w / w.sum()


def exact_sample(cov: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Returns whose sample covariance is ``cov`` (for skfolio, which fits on returns)."""
    n = len(cov)
    z = rng.standard_normal((n + 100, n))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return pd.DataFrame(q * np.sqrt(n + 99) @ np.linalg.cholesky(cov).T)


def value(objective, cov, mu, w, w0, kw) -> float:
    cost = kw.get("transaction_cost", 0.0) * np.abs(w - w0).sum()
    var = w @ cov @ w
    if objective == "min_variance":
        return var + cost
    if objective == "mean_variance":
        return -(mu @ w - kw["risk_aversion"] * var - cost)
    if objective == "target_volatility":
        return -(mu @ w - cost)
    if objective == "max_sharpe":
        return -(mu @ w - cost) / np.sqrt(var)
    budgets = np.full(len(w), 1 / len(w))
    contrib = w * (cov @ w) / var
    return float(np.abs(contrib - budgets).max())


def skfolio_fit(objective, x, kw, w0) -> float | None:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction, RiskBudgeting

    common = {"risk_measure": RiskMeasure.VARIANCE, "max_weights": kw["bounds"][1]}
    if "current_weights" in kw:
        common.update(previous_weights=w0, transaction_costs=COST)
    if "max_turnover" in kw:
        common["max_turnover"] = kw["max_turnover"]
    fn = {
        "min_variance": ObjectiveFunction.MINIMIZE_RISK,
        "mean_variance": ObjectiveFunction.MAXIMIZE_UTILITY,
        "target_volatility": ObjectiveFunction.MAXIMIZE_RETURN,
        "max_sharpe": ObjectiveFunction.MAXIMIZE_RATIO,
    }
    if objective == "risk_parity":
        model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)
    else:
        extra = {}
        if objective == "mean_variance":
            extra["risk_aversion"] = kw["risk_aversion"]
        if objective == "target_volatility":
            extra["max_standard_deviation"] = kw["target_volatility"] / np.sqrt(252)
        model = MeanRisk(
            objective_function=fn[objective], raise_on_failure=False, **common, **extra
        )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(x)
        except Exception:  # a peer's failure is reported, not fatal
            return None
    return time.perf_counter() - start


def cell(structure, cap_n, objective, constrained, n, problems):
    # crc32, not hash(): Python salts str hashes per process, so hash() drew other
    # problems on every run (the machine-D results cannot be re-drawn).
    rng = np.random.default_rng(zlib.crc32(f"{structure}/{cap_n}/{objective}".encode()))
    cap = min(cap_n / n, 1.0)
    ours, cones, gaps, peers, solvers = [], [], [], [], {}
    for k in range(problems):
        cov = covariance(structure, n, rng)
        assets = [f"a{i}" for i in range(n)]
        frame = pd.DataFrame(cov, index=assets, columns=assets)
        mu = rng.uniform(-0.0002, 0.0008, n)
        w0 = book(n, cap, rng)
        kw = {"objective": objective, "bounds": (0.0, cap), "risk_aversion": 5.0}
        if objective != "risk_parity":
            kw["expected_returns"] = pd.Series(mu, index=assets)
        if objective == "target_volatility":
            vol = np.sqrt(np.diag(cov).mean() * 252)
            kw["target_volatility"] = 0.6 * vol  # binds: between min variance and max return
        if constrained:
            kw.update(current_weights=pd.Series(w0, index=assets), transaction_cost=COST)
            if constrained is True:
                kw["max_turnover"] = TURNOVER
        if k == 0:
            optimize(frame, method="cvxpy", **kw)  # compile the program once, untimed
        start = time.perf_counter()
        a = optimize(frame, **kw)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        c = optimize(frame, method="cvxpy", **kw)
        cones.append(time.perf_counter() - start)
        solvers[a.solver] = solvers.get(a.solver, 0) + 1
        if a.fallback is None and c.fallback is None:
            va = value(objective, cov, mu, a.weights.to_numpy(), w0, kw)
            vc = value(objective, cov, mu, c.weights.to_numpy(), w0, kw)
            gaps.append((va - vc) / max(abs(vc), 1e-12))
        if k < SKFOLIO_PROBLEMS and not (objective == "risk_parity" and constrained):
            peer_time = skfolio_fit(objective, exact_sample(cov, rng), kw, w0)
            peers.append(np.nan if peer_time is None else peer_time)
    ms = lambda xs, f: f"{f(xs) * 1e3:.1f}"  # noqa: E731
    peer = (
        "n/a"
        if not peers
        else "failed"
        if np.all(np.isnan(peers))
        else (f"{np.nanmedian(peers) * 1e3:.0f}")
    )
    ratio = np.median(cones) / np.median(ours)
    worst_ratio = max(cones) / max(ours)
    gap = f"{max(gaps):.1e}" if gaps else "n/a"
    used = ", ".join(f"{k} {v}" for k, v in sorted(solvers.items()))
    return (
        f"| {structure} | {cap_n:.0f}/N | {objective} | {LABELS[constrained]} "
        f"| {used} | {ms(ours, np.median)} | {ms(ours, max)} | {ms(cones, np.median)} "
        f"| {ms(cones, max)} | {ratio:.1f}x | {worst_ratio:.1f}x | {gap} | {peer} |"
    )


#: Constraint variants: plain (budget and bounds), a turnover limit with costs, and (for
#: target volatility, whose exact method takes costs but not a turnover limit) costs only.
VARIANTS: tuple = (False, True, "costs")


def main() -> None:
    global VARIANTS, OBJECTIVES
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    problems = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if len(sys.argv) > 3:  # e.g. "target_volatility:costs"
        objective, _, variant = sys.argv[3].partition(":")
        OBJECTIVES = (objective,)
        VARIANTS = ({"plain": False, "both": True, "costs": "costs"}[variant],)
    print(f"machine: {machine()}; {n} assets, {problems} problems per row\n")
    print(
        "| structure | cap | objective | constraints | default solver (count) | default median ms "
        "| default worst ms | Clarabel median ms | Clarabel worst ms | Clarabel / default "
        "(median) | Clarabel / default (worst) | worst relative objective gap | skfolio "
        "median ms |"
    )
    print("|" + "---|" * 13)
    for structure in STRUCTURES:
        for objective in OBJECTIVES:
            caps = (CAPS[0],) if objective == "risk_parity" else CAPS
            for cap_n in caps:
                for constrained in VARIANTS:
                    if objective == "risk_parity" and constrained:
                        continue  # risk parity takes no turnover limit or costs
                    if constrained == "costs" and objective != "target_volatility":
                        continue
                    print(cell(structure, cap_n, objective, constrained, n, problems), flush=True)


if __name__ == "__main__":
    main()
