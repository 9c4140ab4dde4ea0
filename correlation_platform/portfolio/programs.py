"""The cvxpy programs behind the optimiser, built once per shape and re-solved.

Each (size, objective, constraint set) compiles to one DPP-compliant problem whose data
(the covariance, expected returns, current weights, bounds, caps, targets) are cvxpy
Parameters; later calls only update values and re-solve, skipping canonicalisation
(``enforce_dpp=True`` makes a recompilation an error, never a silent slowdown).
Clarabel solves; SCS is its backup; every attempt is recorded.

Quadratic objectives take the covariance itself as a PSD Parameter in ``quad_form``
(DPP for solvers with quadratic objectives since cvxpy 1.8), so Clarabel's KKT system
holds one N x N block. The factor form ``sum_squares(L'w)`` it replaces adds N auxiliary
variables and a dense N x N constraint block, which made every interior-point iteration
two to three times dearer at 500 assets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from correlation_platform.portfolio.objective import Objective

SOLVER = cp.CLARABEL
BACKUP_SOLVER = cp.SCS
#: Solvers tried in turn on a program; a certificate from the first ends the list.
SOLVERS = (SOLVER, BACKUP_SOLVER)
_OK = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE}
#: Clarabel proved these; only errors and inaccurate or limit statuses go to the backup.
_CERTIFIED = {cp.INFEASIBLE, cp.UNBOUNDED}
#: From this many assets Clarabel factorises its KKT system with faer's supernodal LDL,
#: about 3.5x faster than the default QDLDL on the dense N x N covariance block.
FAER_FROM = 200
#: A homogenised program (max Sharpe) whose scale kappa is below this found no portfolio.
KAPPA_DEGENERATE = 1e-12
#: Relative diagonal jitter of the Cholesky test in :func:`psd_covariance`: below the
#: rounding of any covariance estimate, above the round-off of the factorisation.
CHOLESKY_JITTER = 1e-12


@dataclass
class Compiled:
    """One cached cvxpy problem.

    Attributes
    ----------
    problem : cvxpy.Problem
        The DPP problem.
    x : cvxpy.Variable
        The weights, or their scaled version (max Sharpe, risk parity).
    params : dict of str to cvxpy.Parameter
        The data slots.
    kappa : cvxpy.Variable or None
        The homogenisation scale of max Sharpe.
    """

    problem: cp.Problem
    x: cp.Variable
    params: dict[str, cp.Parameter]
    kappa: cp.Variable | None = None


@dataclass(frozen=True)
class Attempt:
    """One step of the optimiser's chain: a solver, a method or a rescue, and its outcome.

    Attributes
    ----------
    step : str
        ``"critical_line"``, ``"newton"``, ``"CLARABEL"``, ``"SCS"``, a rescue
        (``"min_variance"``, ``"hold_current_weights"``, ``"equal_weight"``, a rescue's
        own solvers as ``"min_variance/CLARABEL"``), or the objective itself when it has no
        solution before any solver runs.
    outcome : str
        ``"optimal"`` for the step that produced the weights, else why it failed.
    """

    step: str
    outcome: str


@dataclass(frozen=True)
class ProgramSolution:
    """What the programs' solvers found.

    Attributes
    ----------
    x : numpy.ndarray or None
        The (scaled-problem) weights, None if every solver failed.
    status : str
        The last solver's status.
    solver : str
        The last solver tried.
    attempts : tuple of Attempt
        Every solver tried, in order.
    """

    x: np.ndarray | None
    status: str
    solver: str
    attempts: tuple[Attempt, ...]


_CACHE: dict[tuple, Compiled] = {}


def psd_covariance(cov: np.ndarray) -> np.ndarray:
    """Symmetric PSD version of a covariance.

    Parameters
    ----------
    cov : numpy.ndarray
        N x N, nearly symmetric.

    Returns
    -------
    numpy.ndarray
        The symmetrised matrix itself when a Cholesky (with a ``CHOLESKY_JITTER``
        relative jitter) succeeds, else its eigenvalues clipped at zero.
    """
    c = (cov + cov.T) / 2
    if _cholesky(c) is not None:
        return c
    root = _eigen_root(c)
    return root @ root.T


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """A square root L with L L' = cov.

    Parameters
    ----------
    cov : numpy.ndarray
        N x N covariance.

    Returns
    -------
    numpy.ndarray
        The Cholesky factor when positive definite, else the eigen square root (valid for
        singular PSD matrices; negative eigenvalues are clipped).
    """
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
    return np.eye(len(c)) * (CHOLESKY_JITTER * max(float(np.mean(np.diag(c))), 1e-300))


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


def _risk_parity(p: dict) -> Compiled:
    # Spinu (2013): min 0.5 y'Sy - b'log y, y > 0; w = y / sum(y) has risk budgets b.
    # No pos=True: log's domain keeps y > 0, and the extra cone costs ~25% more iterations.
    y = cp.Variable(p["mu"].shape[0], name="y")
    objective = 0.5 * cp.quad_form(y, p["S"]) - p["budgets"] @ cp.log(y)
    return Compiled(problem=cp.Problem(cp.Minimize(objective)), x=y, params=p)


def _max_sharpe(p: dict, turnover: bool, costs: bool, n_groups: int) -> Compiled:
    # Cornuejols-Tutuncu: y = kappa w, min y'Sy s.t. mu'y = 1, sum y = kappa.
    n = p["mu"].shape[0]
    y, kappa = cp.Variable(n, name="y"), cp.Variable(name="kappa", nonneg=True)
    if costs:
        # The Sharpe ratio net of costs, (mu'w - c |w - w0|) / sqrt(w'Sw): homogeneous
        # in (y, kappa), and ">= 1" is tight at the optimum (scaling y down helps).
        trade = cp.Variable(n, name="trade")
        budget = [trade == y - p["w0"] * kappa, p["mu"] @ y - p["tc"] * cp.norm1(trade) >= 1]
    else:
        budget = [p["mu"] @ y == 1]
    cons = [*budget, cp.sum(y) == kappa, y >= p["lb"] * kappa, y <= p["ub"] * kappa]
    if turnover:
        cons.append(cp.norm1(y - p["w0"] * kappa) <= p["max_turnover"] * kappa)
    if n_groups:
        cons.append(p["G"] @ y <= p["caps"] * kappa)
    return Compiled(
        problem=cp.Problem(cp.Minimize(cp.quad_form(y, p["S"])), cons), x=y, params=p, kappa=kappa
    )


def _on_weights(
    p: dict, objective: Objective, turnover: bool, costs: bool, n_groups: int
) -> Compiled:
    """Budget, bounds, optional trade variable (turnover, costs) and sector caps on w."""
    w = cp.Variable(p["mu"].shape[0], name="w")
    cons = [cp.sum(w) == 1, w >= p["lb"], w <= p["ub"]]
    trade_cost = 0.0
    if turnover or costs:
        trade = cp.Variable(w.shape[0], name="trade")
        cons.append(trade == w - p["w0"])
        if costs:
            trade_cost = p["tc"] * cp.norm1(trade)
        if turnover:
            cons.append(cp.norm1(trade) <= p["max_turnover"])
    if n_groups:
        cons.append(p["G"] @ w <= p["caps"])
    if objective == Objective.MIN_VARIANCE:
        obj = cp.Minimize(cp.quad_form(w, p["S"]) + trade_cost)
    elif objective == Objective.MEAN_VARIANCE:
        # S carries the risk aversion (a parameter times quad_form(w, S) would not be DPP).
        obj = cp.Maximize(p["mu"] @ w - cp.quad_form(w, p["S"]) - trade_cost)
    else:  # target volatility: risk as a second-order cone on a factor
        cons.append(cp.norm(p["L"].T @ w, 2) <= p["target_vol"])
        obj = cp.Maximize(p["mu"] @ w - trade_cost)
    return Compiled(problem=cp.Problem(obj, cons), x=w, params=p)


_BUILDERS: dict[Objective, Callable[..., Compiled]] = {
    Objective.RISK_PARITY: lambda p, turnover, costs, n_groups: _risk_parity(p),
    Objective.MAX_SHARPE: _max_sharpe,
}


def compiled_problem(
    n: int,
    objective: str,
    *,
    turnover: bool = False,
    n_groups: int = 0,
    costs: bool = False,
) -> Compiled:
    """The cached problem for this shape and constraint set.

    Built once; its solves use ``enforce_dpp=True``, so a non-DPP formulation fails loudly
    instead of recompiling.

    Parameters
    ----------
    n : int
        Number of assets.
    objective : str
        One of :class:`Objective`.
    turnover : bool, default False
        Whether the turnover limit constraint is present.
    n_groups : int, default 0
        Number of capped sectors.
    costs : bool, default False
        Whether the linear transaction-cost term is present.

    Returns
    -------
    Compiled
        The cached problem.
    """
    objective = Objective.parse(objective)
    key = (n, objective.value, turnover, n_groups, costs)
    if key not in _CACHE:
        build = _BUILDERS.get(objective)
        p = _params(n, n_groups)
        if build is None:
            _CACHE[key] = _on_weights(p, objective, turnover, costs, n_groups)
        else:
            _CACHE[key] = build(p, turnover, costs, n_groups)
    return _CACHE[key]


def _solver_options(solver: str, n: int) -> dict:
    if solver == SOLVER and n >= FAER_FROM:
        return {"direct_solve_method": "faer"}
    return {}


def solve(c: Compiled) -> ProgramSolution:
    """Solve a loaded problem with Clarabel, then SCS unless Clarabel gave a certificate.

    Parameters
    ----------
    c : Compiled
        A problem whose Parameters hold the data.

    Returns
    -------
    ProgramSolution
        The weights (divided by kappa for max Sharpe) or None, and every attempt.
    """
    status, solver = "not solved", SOLVER
    n = c.x.shape[0]
    attempts = []
    for solver in SOLVERS:
        try:
            c.problem.solve(
                solver=solver, warm_start=False, enforce_dpp=True, **_solver_options(solver, n)
            )
        except cp.error.SolverError as exc:
            status = f"solver error: {exc}"
            attempts.append(Attempt(solver, status))
            continue
        status = str(c.problem.status)
        if status in _CERTIFIED:
            attempts.append(Attempt(solver, status))
            break  # a certificate, not a numerical failure: the backup would only agree
        if status in _OK and c.x.value is not None:
            x = np.asarray(c.x.value, dtype=float)
            if c.kappa is not None:
                if c.kappa.value is None or c.kappa.value <= KAPPA_DEGENERATE:
                    status = "degenerate (kappa = 0)"
                    attempts.append(Attempt(solver, status))
                    continue
                x = x / float(c.kappa.value)
            attempts.append(Attempt(solver, status))
            return ProgramSolution(x=x, status=status, solver=solver, attempts=tuple(attempts))
        attempts.append(Attempt(solver, status))
    return ProgramSolution(x=None, status=status, solver=solver, attempts=tuple(attempts))
