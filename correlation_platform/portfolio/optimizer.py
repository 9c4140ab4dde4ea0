"""Target weights from a covariance forecast, with cvxpy problems built once and re-solved.

Each (size, objective, constraint set) compiles to one DPP-compliant problem whose data
(the covariance, expected returns, current weights, bounds, caps, targets) are cvxpy
Parameters; later calls only update values and re-solve, skipping canonicalisation
(``enforce_dpp=True`` makes a recompilation an error, never a silent slowdown).
The solver is chosen explicitly (Clarabel; SCS as backup); failures fall back by name and
the reason travels with the result, never silently.

Quadratic objectives take the covariance itself as a PSD Parameter in ``quad_form``
(DPP for solvers with quadratic objectives since cvxpy 1.8), so Clarabel's KKT system
holds one N x N block. The factor form ``sum_squares(L'w)`` it replaces adds N auxiliary
variables and a dense N x N constraint block, which made every interior-point iteration
two to three times dearer at 500 assets.

``min_variance``, ``mean_variance``, ``target_volatility`` and ``max_sharpe`` under a
budget, per-asset bounds and sector caps (the backtest's and the pipeline's constraint
sets) walk Markowitz's critical line instead (:mod:`.critical_line`): exact, no
interior-point iterations, several times faster than Clarabel at 500 assets
(bench/README.md). With a turnover limit or costs, or when the walk declines (ties,
overlapping sectors, a singular covariance; its reason is kept in
``info["critical_line"]``), Clarabel solves the programs below: target
volatility's risk is then a second-order-cone constraint on a factor (Cholesky, eigen
square root if singular). ``risk_parity`` is solved by Spinu's damped Newton method
(:mod:`.risk_parity`; exact, and several times faster than Clarabel's exponential cones
at 500 assets), with the cvxpy program as its fallback (``info["newton"]`` says why).
``method="cvxpy"`` skips both and always solves the Clarabel programs.

Every problem is rescaled by s^2 = mean variance (S -> S/s^2, L -> L/s, mu -> mu/s^2,
cost -> cost/s^2), which leaves the optimum unchanged and keeps daily-variance-sized
numbers away from the solver's absolute tolerances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import pandas as pd

from correlation_platform.portfolio.critical_line import (
    CriticalLineSolution,
    max_sharpe_weights,
    mean_variance_weights,
    min_variance_weights,
    target_volatility_weights,
)
from correlation_platform.portfolio.risk_parity import risk_budget_weights
from correlation_platform.units import TRADING_DAYS

OBJECTIVES = ("min_variance", "mean_variance", "target_volatility", "max_sharpe", "risk_parity")
#: "auto": exact special-purpose solvers where they apply; "cvxpy": always Clarabel.
METHODS = ("auto", "cvxpy")
SOLVER = cp.CLARABEL
BACKUP_SOLVER = cp.SCS
#: Solver name reported for weights found by walking the critical line.
CRITICAL_LINE = "critical_line"
#: Solver name reported for risk-parity weights found by Spinu's Newton method.
NEWTON = "newton"
_OK = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE}
#: Clarabel proved these; only errors and inaccurate or limit statuses go to the backup.
_CERTIFIED = {cp.INFEASIBLE, cp.UNBOUNDED}
FAER_FROM = 200
#: A fallback weight vector may miss a constraint by this much (solver-level rounding).
FEASIBILITY_TOL = 1e-6
#: A covariance whose minimum eigenvalue is below -this x its mean variance is reported as
#: not PSD (beyond the rounding of a PSD estimate) when it is repaired.
NOT_PSD_BEYOND_ROUNDING = 1e-8

Bound = float | pd.Series


@dataclass
class _Compiled:
    problem: cp.Problem
    x: cp.Variable  # weights, or their scaled version (max_sharpe, risk_parity)
    params: dict[str, cp.Parameter]
    kappa: cp.Variable | None = None


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


def psd_covariance(cov: np.ndarray) -> np.ndarray:
    """Symmetric PSD version of ``cov``: itself when a Cholesky (with a 1e-12 relative
    jitter) succeeds, else the eigenvalues clipped at zero."""
    c = (cov + cov.T) / 2
    if _cholesky(c) is not None:
        return c
    root = _eigen_root(c)
    return root @ root.T


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """L with L L' = cov: Cholesky when positive definite, else the eigen square root
    (valid for singular PSD matrices; negative eigenvalues are clipped)."""
    c = (cov + cov.T) / 2
    chol = _cholesky(c)
    return chol if chol is not None else _eigen_root(c)


def _cholesky(c: np.ndarray) -> np.ndarray | None:
    try:
        return np.linalg.cholesky(c + _jitter(c))
    except np.linalg.LinAlgError:
        return None


def _eigen_root(c: np.ndarray) -> np.ndarray:
    lam, vec = np.linalg.eigh(c)
    return vec * np.sqrt(np.clip(lam, 0.0, None))


def _jitter(c: np.ndarray) -> np.ndarray:
    return np.eye(len(c)) * (1e-12 * max(float(np.mean(np.diag(c))), 1e-300))


def _params(n: int, n_groups: int) -> dict[str, cp.Parameter]:
    p = {
        "S": cp.Parameter((n, n), name="S", PSD=True),
        "L": cp.Parameter((n, n), name="L"),
        "mu": cp.Parameter(n, name="mu"),
        "w0": cp.Parameter(n, name="w0"),
        "lb": cp.Parameter(n, name="lb"),
        "ub": cp.Parameter(n, name="ub"),
        "tc": cp.Parameter(nonneg=True, name="tc"),
        "target_vol": cp.Parameter(nonneg=True, name="target_vol"),
        "max_turnover": cp.Parameter(nonneg=True, name="max_turnover"),
        "budgets": cp.Parameter(n, nonneg=True, name="budgets"),
    }
    if n_groups:
        p["G"] = cp.Parameter((n_groups, n), name="G")
        p["caps"] = cp.Parameter(n_groups, name="caps")
    return p


def _build(n: int, objective: str, turnover: bool, costs: bool, n_groups: int) -> _Compiled:
    """One DPP problem; the trade variable exists only when turnover or costs need it."""
    p = _params(n, n_groups)
    if objective == "risk_parity":
        # Spinu (2013): min 0.5 y'Sy - b'log y, y > 0; w = y / sum(y) has risk budgets b.
        # No pos=True: log's domain keeps y > 0, and the extra cone costs ~25% more iterations.
        y = cp.Variable(n, name="y")
        objective_ = 0.5 * cp.quad_form(y, p["S"]) - p["budgets"] @ cp.log(y)
        return _Compiled(cp.Problem(cp.Minimize(objective_)), y, p)
    if objective == "max_sharpe":
        # Cornuejols-Tutuncu: y = kappa w, min y'Sy s.t. mu'y = 1, sum y = kappa.
        y, kappa = cp.Variable(n, name="y"), cp.Variable(name="kappa", nonneg=True)
        if costs:
            # The Sharpe ratio net of costs, (mu'w - c |w - w0|) / sqrt(w'Sw): homogeneous
            # in (y, kappa), and ">= 1" is tight at the optimum (scaling y down helps).
            trade = cp.Variable(n, name="trade")
            budget = [trade == y - p["w0"] * kappa, p["mu"] @ y - p["tc"] * cp.norm1(trade) >= 1]
        else:
            budget = [p["mu"] @ y == 1]
        cons = [
            *budget,
            cp.sum(y) == kappa,
            y >= p["lb"] * kappa,
            y <= p["ub"] * kappa,
        ]
        if turnover:
            cons.append(cp.norm1(y - p["w0"] * kappa) <= p["max_turnover"] * kappa)
        if n_groups:
            cons.append(p["G"] @ y <= p["caps"] * kappa)
        return _Compiled(cp.Problem(cp.Minimize(cp.quad_form(y, p["S"])), cons), y, p, kappa)

    w = cp.Variable(n, name="w")
    cons = [cp.sum(w) == 1, w >= p["lb"], w <= p["ub"]]
    trade_cost = 0.0
    if turnover or costs:
        trade = cp.Variable(n, name="trade")
        cons.append(trade == w - p["w0"])
        if costs:
            trade_cost = p["tc"] * cp.norm1(trade)
        if turnover:
            cons.append(cp.norm1(trade) <= p["max_turnover"])
    if n_groups:
        cons.append(p["G"] @ w <= p["caps"])
    if objective == "min_variance":
        obj = cp.Minimize(cp.quad_form(w, p["S"]) + trade_cost)
    elif objective == "mean_variance":
        # S carries the risk aversion (a parameter times quad_form(w, S) would not be DPP).
        obj = cp.Maximize(p["mu"] @ w - cp.quad_form(w, p["S"]) - trade_cost)
    elif objective == "target_volatility":
        cons.append(cp.norm(p["L"].T @ w, 2) <= p["target_vol"])
        obj = cp.Maximize(p["mu"] @ w - trade_cost)
    else:
        raise ValueError(f"unknown objective {objective!r}; available: {OBJECTIVES}")
    return _Compiled(cp.Problem(obj, cons), w, p)


def compiled_problem(
    n: int, objective: str, turnover: bool = False, n_groups: int = 0, costs: bool = False
) -> _Compiled:
    """The cached problem for this shape and constraint set (built once; its solves use
    ``enforce_dpp=True``, so a non-DPP formulation fails loudly instead of recompiling)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; available: {OBJECTIVES}")
    key = (n, objective, turnover, n_groups, costs)
    if key not in _CACHE:
        _CACHE[key] = _build(n, objective, turnover, costs, n_groups)
    return _CACHE[key]


def _solver_options(solver: str, n: int) -> dict:
    # A dense covariance puts an N x N block in the KKT system; faer's supernodal LDL
    # factorises it about 3.5x faster than the default QDLDL from a few hundred assets on.
    if solver == SOLVER and n >= FAER_FROM:
        return {"direct_solve_method": "faer"}
    return {}


def _solve(c: _Compiled) -> tuple[np.ndarray | None, str, str]:
    status, solver = "not solved", SOLVER
    n = c.x.shape[0]
    for solver in (SOLVER, BACKUP_SOLVER):
        try:
            c.problem.solve(
                solver=solver, warm_start=False, enforce_dpp=True, **_solver_options(solver, n)
            )
        except cp.error.SolverError as exc:
            status = f"solver error: {exc}"
            continue
        status = str(c.problem.status)
        if status in _CERTIFIED:
            break  # a certificate, not a numerical failure: the backup would only agree
        if status in _OK and c.x.value is not None:
            x = np.asarray(c.x.value, dtype=float)
            if c.kappa is not None:
                if c.kappa.value is None or c.kappa.value <= 1e-12:
                    status = "degenerate (kappa = 0)"
                    continue
                x = x / float(c.kappa.value)
            return x, status, solver
    return None, status, solver


def _solve_compiled(
    c: _Compiled,
    scaled_cov: np.ndarray,
    objective: str,
    risk_aversion: float,
    groups: tuple[np.ndarray, np.ndarray] | None,
    **values: np.ndarray | float,
) -> tuple[np.ndarray | None, str, str]:
    """Load the (already rescaled, PSD) data into the cached problem's Parameters and
    solve."""
    p = c.params
    if objective == "target_volatility":
        p["L"].value = covariance_factor(scaled_cov)
    else:
        p["S"].save_value(scaled_cov * (risk_aversion if objective == "mean_variance" else 1.0))
    for name, value in values.items():
        p[name].value = value
    if groups is not None:
        p["G"].value, p["caps"].value = groups
    return _solve(c)


def _bound_vector(bound: Bound, assets: list[str], name: str) -> np.ndarray:
    if isinstance(bound, pd.Series):
        missing = [a for a in assets if a not in bound.index]
        if missing:
            raise ValueError(f"{name} bound missing for {missing}")
        return bound.reindex(assets).to_numpy(float)
    return np.full(len(assets), float(bound))


def _group_matrix(
    assets: list[str], groups, caps: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Rows of 0/1 membership per capped group; ``groups`` is asset->group or group->assets."""
    if isinstance(groups, pd.Series):
        # One pass over the labels (a comparison per group cost ~0.1 ms each in pandas).
        members: dict = {}
        for asset, label in groups.items():
            members.setdefault(label, []).append(asset)
    else:
        members = {g: list(a) for g, a in groups.items()}
    names = [g for g in caps if g in members]
    unknown = sorted(set(caps) - set(members))
    if unknown:
        raise ValueError(f"group caps for unknown groups {unknown}")
    g = np.zeros((len(names), len(assets)))
    pos = {a: i for i, a in enumerate(assets)}
    for row, name in enumerate(names):
        for asset in members[name]:
            if asset in pos:
                g[row, pos[asset]] = 1.0
    return g, np.array([float(caps[n]) for n in names]), names


def optimize(
    covariance: pd.DataFrame,
    objective: str = "min_variance",
    expected_returns: pd.Series | None = None,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    max_turnover: float | None = None,
    bounds: tuple[Bound, Bound] = (0.0, 1.0),
    transaction_cost: float = 0.0,
    risk_aversion: float = 1.0,
    groups: pd.Series | Mapping[str, Sequence[str]] | None = None,
    group_caps: Mapping[str, float] | None = None,
    risk_budgets: pd.Series | None = None,
    method: str = "auto",
) -> OptimizationResult:
    """Solve for target weights; see :func:`optimize_weights` for the parameters."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {METHODS}")
    assets = list(covariance.columns)
    n = len(assets)
    cov = covariance.to_numpy(dtype=float)
    if cov.shape != (n, n) or not np.all(np.isfinite(cov)):
        raise ValueError("covariance must be a finite square frame with matching labels")
    if list(covariance.index) != assets:
        raise ValueError(
            "covariance rows and columns carry different labels: "
            f"{list(covariance.index)[:5]}... vs {assets[:5]}..."
        )
    variances = np.diag(cov)
    degenerate = [a for a, v in zip(assets, variances, strict=True) if not v > 0]
    if degenerate:
        raise ValueError(
            f"zero or negative variance for {degenerate}: a riskless-looking asset (e.g. a "
            "frozen price) would take the whole budget; repair the inputs or drop the asset"
        )
    lb, ub = _bound_vector(bounds[0], assets, "lower"), _bound_vector(bounds[1], assets, "upper")
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        raise ValueError(f"bounds must be finite (wide ones such as (-10, 10) work); got {bounds}")
    if lb.sum() > 1 + 1e-12 or ub.sum() < 1 - 1e-12 or np.any(lb > ub):
        raise ValueError(f"bounds {bounds} cannot hold a fully invested portfolio of {n} assets")
    if expected_returns is not None and set(expected_returns.index) != set(assets):
        missing = sorted(set(assets) - set(expected_returns.index), key=str)
        extra = sorted(set(expected_returns.index) - set(assets), key=str)
        raise ValueError(
            f"expected_returns labels differ from the covariance's: missing {missing}, "
            f"unknown {extra}"
        )
    mu = (
        np.zeros(n)
        if expected_returns is None
        else expected_returns.reindex(assets).to_numpy(float)
    )
    if objective == "mean_variance" and not float(risk_aversion) >= 0:
        raise ValueError(f"risk_aversion must be >= 0, got {risk_aversion}")
    if np.any(~np.isfinite(mu)):
        raise ValueError("expected_returns must cover every asset with finite values")
    if (
        objective in ("mean_variance", "target_volatility", "max_sharpe")
        and expected_returns is None
    ):
        raise ValueError(f"{objective} needs expected_returns (see portfolio.expected_returns)")
    w0 = (
        np.zeros(n)
        if current_weights is None
        else current_weights.reindex(assets).fillna(0.0).to_numpy(float)
    )
    n_groups = 0
    if group_caps:
        if groups is None:
            raise ValueError("group_caps need groups (asset -> group)")
        gmat, caps, _ = _group_matrix(assets, groups, group_caps)
        n_groups = len(caps)

    def rescue(why: str) -> OptimizationResult:
        """The named rescue for an objective with no solution: minimum variance under the
        same constraints; ``why`` may cite the rescue's volatility as ``{vol}``."""
        fb = optimize(
            covariance,
            "min_variance",
            current_weights=current_weights,
            max_turnover=max_turnover,
            bounds=bounds,
            transaction_cost=transaction_cost,
            groups=groups,
            group_caps=group_caps,
            method=method,
        )
        vol = fb.ex_ante_volatility
        reason = why.format(vol=vol)
        return OptimizationResult(
            fb.weights, fb.status, fb.solver, objective, "min_variance", reason, vol
        )

    if objective == "risk_parity" and (max_turnover is not None or group_caps):
        raise ValueError(
            "risk_parity cannot honour a turnover limit or sector caps (its budgets fix the "
            "weights); drop them or choose another objective"
        )
    if not transaction_cost >= 0:
        raise ValueError(f"transaction_cost must be >= 0, got {transaction_cost}")
    if objective == "risk_parity" and transaction_cost > 0:
        raise ValueError(
            "risk_parity has no cost term (its risk budgets fix the weights): pass "
            "transaction_cost=0 and charge costs outside the optimiser"
        )
    costs = transaction_cost > 0
    if objective == "max_sharpe" and np.max(mu) <= 0:
        return rescue(
            "no asset has a positive expected excess return; the tangency portfolio does not exist"
        )

    scale2 = float(np.mean(np.diag(cov))) or 1.0
    # psd_covariance guarantees what Parameter(PSD=True) would re-check with an O(N^3)
    # eigen-decomposition on every assignment (save_value skips that second check).
    repaired = psd_covariance(cov)
    scaled_cov = repaired / scale2
    repair_note = ""
    if repaired is not cov and not np.array_equal(repaired, (cov + cov.T) / 2):
        lowest = float(np.linalg.eigvalsh((cov + cov.T) / 2)[0])
        if lowest < -NOT_PSD_BEYOND_ROUNDING * scale2:
            repair_note = (
                f"covariance not PSD (minimum eigenvalue {lowest:.3g}): negative eigenvalues "
                "clipped to zero before optimising"
            )
    walked = None
    # The line takes a budget, bounds and disjoint sector caps; a turnover limit or costs
    # need the cvxpy programs.
    if method == "auto" and max_turnover is None and objective in _ON_THE_LINE and not costs:
        walked = _walk_the_line(
            objective,
            scaled_cov,
            mu / scale2,
            (lb, ub),
            (gmat, caps) if n_groups else None,
            risk_aversion=float(risk_aversion),
            variance=float(target_volatility) ** 2 / (TRADING_DAYS * scale2),
        )
    if walked is not None and walked.weights is not None:
        res = _critical_line_result(walked, assets, cov, objective, target_volatility)
        res.reason = "; ".join(r for r in (res.reason, repair_note) if r)
        return res

    budgets = (
        np.full(n, 1.0 / n)
        if risk_budgets is None
        else risk_budgets.reindex(assets).to_numpy(float)
    )
    budgets = budgets / budgets.sum()
    newton = None
    if objective == "risk_parity" and method == "auto":
        newton = risk_budget_weights(scaled_cov, budgets)
    if newton is not None and newton.weights is not None:
        x, status, solver = newton.weights, "optimal", NEWTON
    else:
        x, status, solver = _solve_compiled(
            compiled_problem(n, objective, max_turnover is not None, n_groups, costs),
            scaled_cov,
            objective,
            risk_aversion=float(risk_aversion),
            mu=mu / scale2,
            w0=w0,
            lb=lb,
            ub=ub,
            tc=float(transaction_cost) / scale2,
            target_vol=float(target_volatility) / np.sqrt(TRADING_DAYS * scale2),
            max_turnover=float(max_turnover) if max_turnover is not None else 0.0,
            budgets=budgets,
            groups=(gmat, caps) if n_groups else None,
        )

    fallback, reason = None, repair_note
    if x is None and objective == "target_volatility":
        return rescue(
            f"target volatility {target_volatility:.2%} is not reachable ({status}); closest "
            "feasible portfolio is the minimum-variance one ({vol:.2%})",
        )
    if x is None:
        reason = f"{objective} failed: {solver} reports {status}"
        x, fallback = _feasible_fallback(
            w0 if current_weights is not None else None,
            (lb, ub),
            (gmat, caps) if n_groups else None,
            max_turnover,
            reason,
        )
    if objective == "risk_parity":
        x = x / x.sum()
    else:
        x = np.clip(x, lb, ub)
        x = x / x.sum()
    vol = float(np.sqrt(max(x @ cov @ x, 0.0) * TRADING_DAYS))
    info = {} if walked is None else {"critical_line": walked.status}
    if newton is not None:
        info["newton"] = f"{newton.status} ({newton.iterations} steps)"
    if objective == "risk_parity" and fallback is None:
        contrib = x * (cov @ x)
        info["risk_contributions"] = contrib / contrib.sum()
        if np.any(x < lb - 1e-9) or np.any(x > ub + 1e-9):
            reason = "; ".join(
                r
                for r in (
                    reason,
                    "risk parity ignores bounds; the equal-risk portfolio breaks them",
                )
                if r
            )
    weights = pd.Series(x, index=assets, name="weight")
    return OptimizationResult(weights, status, solver, objective, fallback, reason, vol, info)


_ON_THE_LINE = ("min_variance", "mean_variance", "target_volatility", "max_sharpe")


class InfeasiblePortfolioError(ValueError):
    """No portfolio meets the constraints: the optimiser failed and no fallback fits."""


def _feasible_fallback(
    current: np.ndarray | None,
    bounds: tuple[np.ndarray, np.ndarray],
    sectors: tuple[np.ndarray, np.ndarray] | None,
    max_turnover: float | None,
    reason: str,
) -> tuple[np.ndarray, str]:
    """The first named fallback that meets every constraint: hold the current book, else
    equal weight; none fits -> :class:`InfeasiblePortfolioError` (never silent garbage)."""
    lb, ub = bounds
    n = len(lb)
    candidates = []
    if current is not None:
        candidates.append(("hold_current_weights", current.copy()))
    candidates.append(("equal_weight", np.full(n, 1.0 / n)))
    refused = []
    for name, w in candidates:
        problems = []
        if abs(w.sum() - 1.0) > FEASIBILITY_TOL:
            problems.append(f"sums to {w.sum():.6f}")
        if np.any(w < lb - FEASIBILITY_TOL) or np.any(w > ub + FEASIBILITY_TOL):
            problems.append("breaks the bounds")
        if sectors is not None and np.any(sectors[0] @ w > sectors[1] + FEASIBILITY_TOL):
            problems.append("breaks a sector cap")
        if (
            max_turnover is not None
            and current is not None
            and np.abs(w - current).sum() > max_turnover + FEASIBILITY_TOL
        ):
            problems.append("breaks the turnover limit")
        if not problems:
            return w, name
        refused.append(f"{name} {' and '.join(problems)}")
    raise InfeasiblePortfolioError(
        f"{reason}; no fallback meets the constraints ({'; '.join(refused)})"
    )


def _walk_the_line(
    objective: str,
    scaled_cov: np.ndarray,
    scaled_mu: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    sectors: tuple[np.ndarray, np.ndarray] | None,
    risk_aversion: float,
    variance: float,
) -> CriticalLineSolution:
    lb, ub = bounds
    if objective == "min_variance":
        return min_variance_weights(scaled_cov, lb, ub, sectors)
    if objective == "mean_variance":
        t = 1.0 / (2.0 * risk_aversion) if risk_aversion > 0 else np.inf
        return mean_variance_weights(scaled_cov, scaled_mu, lb, ub, t, sectors)
    if objective == "target_volatility":
        return target_volatility_weights(scaled_cov, scaled_mu, lb, ub, variance, sectors)
    return max_sharpe_weights(scaled_cov, scaled_mu, lb, ub, sectors)


def _critical_line_result(
    walked: CriticalLineSolution,
    assets: list[str],
    cov: np.ndarray,
    objective: str,
    target_volatility: float,
) -> OptimizationResult:
    x = walked.weights
    vol = float(np.sqrt(max(x @ cov @ x, 0.0) * TRADING_DAYS))
    info = {"turning_points": walked.turning_points}
    if objective == "target_volatility":
        info["risk_constraint"] = walked.status
    fallback, reason = None, ""
    if walked.status == "unreachable":
        fallback = "min_variance"
        reason = (
            f"target volatility {target_volatility:.2%} is not reachable (below the "
            "minimum-variance volatility); closest feasible portfolio is the "
            f"minimum-variance one ({vol:.2%})"
        )
    weights = pd.Series(x, index=assets, name="weight")
    return OptimizationResult(
        weights, "optimal", CRITICAL_LINE, objective, fallback, reason, vol, info
    )


def optimize_weights(
    covariance: pd.DataFrame,
    objective: str = "min_variance",
    expected_returns: pd.Series | None = None,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    max_turnover: float | None = None,
    bounds: tuple[Bound, Bound] = (0.0, 1.0),
    transaction_cost: float = 0.0,
    risk_aversion: float = 1.0,
    groups: pd.Series | Mapping[str, Sequence[str]] | None = None,
    group_caps: Mapping[str, float] | None = None,
    risk_budgets: pd.Series | None = None,
    method: str = "auto",
) -> pd.Series:
    """Fully invested target weights (sum to 1) for ``objective`` (one of ``OBJECTIVES``).

    ``covariance`` and ``expected_returns`` are daily; ``target_volatility`` is annualised.
    ``bounds`` are scalars or per-asset Series; ``groups`` (asset -> group, or group ->
    assets) with ``group_caps`` (group -> max weight) caps sectors; ``max_turnover`` bounds
    sum |w - current|; ``transaction_cost`` is a linear penalty per unit of turnover (same
    units as daily returns). ``risk_parity`` takes ``risk_budgets`` (default equal) and is
    long-only with no other constraint. ``method="auto"`` uses the exact special-purpose
    solvers where they apply (the critical line for min variance, mean variance, target
    volatility and max Sharpe under budget, bounds and sector caps; Newton for risk
    parity) and the Clarabel programs otherwise; ``"cvxpy"`` always uses the Clarabel
    programs. The result's ``attrs["optimization"]`` records status, solver, any fallback
    and its reason.
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
        groups,
        group_caps,
        risk_budgets,
        method,
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
