"""Target weights from a covariance forecast, with cvxpy problems built once and re-solved.

Each (size, objective, constraint set) compiles to one DPP-compliant problem whose data
(the covariance factor, expected returns, current weights, bounds, targets) are cvxpy
Parameters; later calls only update values and re-solve, skipping canonicalisation.
The solver is chosen explicitly (Clarabel); failures fall back by name, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import pandas as pd

OBJECTIVES = ("min_variance", "mean_variance", "target_volatility")
SOLVER = cp.CLARABEL
BACKUP_SOLVER = cp.SCS
_OK = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE}


@dataclass
class _Compiled:
    problem: cp.Problem
    w: cp.Variable
    params: dict[str, cp.Parameter]


@dataclass
class OptimizationResult:
    """Weights plus how they were obtained; ``fallback`` names any rescue that was used."""

    weights: pd.Series
    status: str
    solver: str
    objective: str
    fallback: str | None = None
    reason: str = ""
    ex_ante_volatility: float = float("nan")
    info: dict = field(default_factory=dict)


_CACHE: dict[tuple, _Compiled] = {}


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """L with L L' = cov, valid for singular PSD matrices (eigen square root)."""
    c = (cov + cov.T) / 2
    lam, vec = np.linalg.eigh(c)
    return vec * np.sqrt(np.clip(lam, 0.0, None))


def _build(n: int, objective: str, turnover: bool) -> _Compiled:
    w = cp.Variable(n, name="w")
    p = {
        "L": cp.Parameter((n, n), name="L"),
        "mu": cp.Parameter(n, name="mu"),
        "w0": cp.Parameter(n, name="w0"),
        "lb": cp.Parameter(n, name="lb"),
        "ub": cp.Parameter(n, name="ub"),
        "tc": cp.Parameter(nonneg=True, name="tc"),
        "risk_aversion": cp.Parameter(nonneg=True, name="risk_aversion"),
        "target_vol": cp.Parameter(nonneg=True, name="target_vol"),
        "max_turnover": cp.Parameter(nonneg=True, name="max_turnover"),
    }
    # Auxiliary variables keep every parameter-times-expression product DPP.
    risk, trade = cp.Variable(n, name="risk"), cp.Variable(n, name="trade")
    trade_cost = p["tc"] * cp.norm1(trade)
    cons = [
        risk == p["L"].T @ w,
        trade == w - p["w0"],
        cp.sum(w) == 1,
        w >= p["lb"],
        w <= p["ub"],
    ]
    if turnover:
        cons.append(cp.norm1(trade) <= p["max_turnover"])
    if objective == "min_variance":
        obj = cp.Minimize(cp.sum_squares(risk) + trade_cost)
    elif objective == "mean_variance":
        obj = cp.Maximize(p["mu"] @ w - p["risk_aversion"] * cp.sum_squares(risk) - trade_cost)
    elif objective == "target_volatility":
        cons.append(cp.norm(risk, 2) <= p["target_vol"])
        obj = cp.Maximize(p["mu"] @ w - trade_cost)
    else:
        raise ValueError(f"unknown objective {objective!r}; available: {OBJECTIVES}")
    prob = cp.Problem(obj, cons)
    assert prob.is_dcp(dpp=True), "optimiser problem must be DPP so re-solves skip compilation"
    return _Compiled(prob, w, p)


def _compiled(n: int, objective: str, turnover: bool) -> _Compiled:
    key = (n, objective, turnover)
    if key not in _CACHE:
        _CACHE[key] = _build(n, objective, turnover)
    return _CACHE[key]


def _solve(c: _Compiled) -> tuple[np.ndarray | None, str, str]:
    for solver in (SOLVER, BACKUP_SOLVER):
        try:
            c.problem.solve(solver=solver, warm_start=True)
        except cp.error.SolverError as exc:
            status = f"solver error: {exc}"
            continue
        status = str(c.problem.status)
        if status in _OK and c.w.value is not None:
            return np.asarray(c.w.value, dtype=float), status, solver
    return None, status, solver


def optimize(
    covariance: pd.DataFrame,
    objective: str = "min_variance",
    expected_returns: pd.Series | None = None,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    max_turnover: float | None = None,
    bounds: tuple[float, float] = (0.0, 1.0),
    transaction_cost: float = 0.0,
    risk_aversion: float = 1.0,
) -> OptimizationResult:
    """Solve for target weights; see :func:`optimize_weights` for the parameters."""
    assets = list(covariance.columns)
    n = len(assets)
    cov = covariance.to_numpy(dtype=float)
    if cov.shape != (n, n) or not np.all(np.isfinite(cov)):
        raise ValueError("covariance must be a finite square frame with matching labels")
    lb, ub = (np.full(n, float(b)) for b in bounds)
    if lb.sum() > 1 + 1e-12 or ub.sum() < 1 - 1e-12 or np.any(lb > ub):
        raise ValueError(f"bounds {bounds} cannot hold a fully invested portfolio of {n} assets")
    mu = (
        np.zeros(n)
        if expected_returns is None
        else expected_returns.reindex(assets).to_numpy(float)
    )
    if np.any(~np.isfinite(mu)):
        raise ValueError("expected_returns must cover every asset with finite values")
    w0 = (
        np.zeros(n)
        if current_weights is None
        else current_weights.reindex(assets).fillna(0.0).to_numpy(float)
    )
    c = _compiled(n, objective, max_turnover is not None)
    p = c.params
    p["L"].value = covariance_factor(cov)
    p["mu"].value, p["w0"].value, p["lb"].value, p["ub"].value = mu, w0, lb, ub
    p["tc"].value = float(transaction_cost)
    p["risk_aversion"].value = float(risk_aversion)
    p["target_vol"].value = (
        float(target_volatility) / np.sqrt(252) if objective == "target_volatility" else 0.0
    )
    p["max_turnover"].value = float(max_turnover) if max_turnover is not None else 0.0
    w, status, solver = _solve(c)
    fallback, reason = None, ""
    if w is None and objective == "target_volatility":
        fb = optimize(
            covariance,
            "min_variance",
            None,
            target_volatility,
            current_weights,
            max_turnover,
            bounds,
            transaction_cost,
        )
        fallback = "min_variance"
        reason = (
            f"target volatility {target_volatility:.2%} is not reachable ({status}); "
            f"closest feasible portfolio is the minimum-variance one "
            f"({fb.ex_ante_volatility:.2%})"
        )
        return OptimizationResult(
            fb.weights, fb.status, fb.solver, objective, fallback, reason, fb.ex_ante_volatility
        )
    if w is None:
        if current_weights is not None and abs(w0.sum() - 1) < 1e-6:
            w, fallback = w0.copy(), "hold_current_weights"
        else:
            w, fallback = np.clip(np.full(n, 1.0 / n), lb, ub), "equal_weight"
        reason = f"{objective} failed with {SOLVER} and {BACKUP_SOLVER}: {status}"
    w = np.clip(w, lb, ub)
    w = w / w.sum()
    vol = float(np.sqrt(max(w @ cov @ w, 0.0) * 252))
    weights = pd.Series(w, index=assets, name="weight")
    return OptimizationResult(weights, status, solver, objective, fallback, reason, vol)


def optimize_weights(
    covariance: pd.DataFrame,
    objective: str = "min_variance",
    expected_returns: pd.Series | None = None,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    max_turnover: float | None = None,
    bounds: tuple[float, float] = (0.0, 1.0),
    transaction_cost: float = 0.0,
    risk_aversion: float = 1.0,
) -> pd.Series:
    """Fully invested target weights (sum to 1) for ``objective``.

    ``covariance`` is daily; ``target_volatility`` is annualised. ``transaction_cost`` is a
    linear penalty per unit of turnover against ``current_weights``. The result's
    ``attrs["optimization"]`` records status, solver, any fallback and its reason.
    """
    res = optimize(
        covariance,
        objective,
        expected_returns,
        target_volatility,
        current_weights,
        max_turnover,
        bounds,
        transaction_cost,
        risk_aversion,
    )
    out = res.weights.copy()
    out.attrs["optimization"] = {
        "status": res.status,
        "solver": res.solver,
        "objective": res.objective,
        "fallback": res.fallback,
        "reason": res.reason,
        "ex_ante_volatility": res.ex_ante_volatility,
    }
    return out
