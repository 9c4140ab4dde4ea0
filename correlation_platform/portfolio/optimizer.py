"""Target weights from a covariance forecast: a short dispatcher over the objectives.

:func:`optimize` validates the request (:func:`.problem.portfolio_problem`), hands it to
the objective's solver (:mod:`.objectives`: an exact method where one applies, else the
Clarabel program with SCS as backup) and, if that finds nothing, walks the ``fallback``
chain (:mod:`.fallback`): minimum variance under the same constraints, holding the
current book, equal weight; each rescue is kept only if it meets every constraint. The
result's ``attempts`` records every step tried and why each failed; ``solver``,
``fallback`` and ``reason`` summarise it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlation_platform.portfolio.fallback import (
    CANDIDATES,
    FALLBACKS,
    MIN_VARIANCE_RESCUE,
    InfeasiblePortfolioError,
    constraint_breaches,
)
from correlation_platform.portfolio.objective import OBJECTIVES, Objective
from correlation_platform.portfolio.objectives import (
    CRITICAL_LINE,
    METHODS,
    NEWTON,
    SOLVERS,
    Failure,
    Solved,
)
from correlation_platform.portfolio.problem import (
    NOT_PSD_BEYOND_ROUNDING,
    Bound,
    PortfolioProblem,
    portfolio_problem,
)
from correlation_platform.portfolio.programs import (
    _CACHE,
    BACKUP_SOLVER,
    FAER_FROM,
    SOLVER,
    Attempt,
    compiled_problem,
    covariance_factor,
    psd_covariance,
)

__all__ = [
    "BACKUP_SOLVER",
    "CRITICAL_LINE",
    "FAER_FROM",
    "METHODS",
    "NEWTON",
    "NOT_PSD_BEYOND_ROUNDING",
    "OBJECTIVES",
    "SOLVER",
    "_CACHE",
    "Attempt",
    "InfeasiblePortfolioError",
    "Objective",
    "OptimizationResult",
    "compiled_problem",
    "covariance_factor",
    "optimize",
    "optimize_weights",
    "psd_covariance",
]


@dataclass
class OptimizationResult:
    """Weights plus how they were obtained.

    Attributes
    ----------
    weights : pandas.Series
        Fully invested target weights.
    status : str
        The status of the step that produced them.
    solver : str
        That step's solver or method (``"critical_line"``, ``"newton"``, ``"CLARABEL"``,
        ``"SCS"``, or a rescue's).
    objective : str
        The objective asked for.
    fallback : str or None
        The rescue that produced the weights, None when the objective's own methods did.
    reason : str
        Why a rescue was needed, plus any note (a repaired covariance, risk parity's
        bounds); empty when there is nothing to say.
    ex_ante_volatility : float
        Annualised predicted volatility of the weights.
    info : dict
        Method diagnostics (``turning_points``, ``risk_constraint``,
        ``risk_contributions``, why an exact method declined).
    attempts : list of Attempt
        Every step tried, in order, with its outcome: the whole fallback chain walked.
    """

    weights: pd.Series
    status: str
    solver: str
    objective: str
    fallback: str | None = None
    reason: str = ""
    ex_ante_volatility: float = float("nan")
    info: dict = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _own_result(problem: PortfolioProblem, solved: Solved, attempts: list) -> OptimizationResult:
    """The result when the objective's own methods found the weights."""
    spec = SOLVERS[problem.objective]
    x = solved.x if solved.exact else spec.finish(problem, solved.x)
    info = dict(solved.info)
    reason = _joined(solved.reason, problem.repair_note)
    if problem.objective == Objective.RISK_PARITY:
        contrib = x * (problem.covariance @ x)
        info["risk_contributions"] = contrib / contrib.sum()
        if np.any(x < problem.lower - 1e-9) or np.any(x > problem.upper + 1e-9):
            reason = _joined(
                reason, "risk parity ignores bounds; the equal-risk portfolio breaks them"
            )
    return OptimizationResult(
        weights=pd.Series(x, index=problem.assets, name="weight"),
        status=solved.status,
        solver=solved.solver,
        objective=str(problem.objective),
        fallback=solved.fallback,
        reason=reason,
        ex_ante_volatility=problem.annual_volatility(x),
        info=info,
        attempts=attempts,
    )


def _rescued(
    problem: PortfolioProblem,
    failure: Failure,
    chain: Sequence[str],
    *,
    method: str,
    attempts: list[Attempt],
) -> OptimizationResult:
    """Walk the fallback chain after the objective's own methods failed."""
    spec = SOLVERS[problem.objective]
    refused = []
    for step in chain:
        if step == MIN_VARIANCE_RESCUE:
            if problem.objective == Objective.MIN_VARIANCE:
                attempts.append(Attempt(step, "skipped: the objective itself"))
                continue
            rescue = problem.as_objective(Objective.MIN_VARIANCE)
            tried: list[Attempt] = []
            found = SOLVERS[Objective.MIN_VARIANCE].solve(rescue, method=method, attempts=tried)
            attempts.extend(Attempt(f"{step}/{a.step}", a.outcome) for a in tried)
            if isinstance(found, Failure):
                attempts.append(Attempt(step, found.reason))
                continue
            res = _own_result(rescue, found, attempts)
            attempts.append(Attempt(step, "optimal"))
            vol = res.ex_ante_volatility
            res.objective = str(problem.objective)
            res.fallback = MIN_VARIANCE_RESCUE
            res.reason = _joined(spec.rescue_reason(problem, failure, vol), problem.repair_note)
            res.info = {**failure.info, **res.info}
            return res
        candidate = CANDIDATES[step](problem)
        if candidate is None:
            attempts.append(Attempt(step, "skipped: no current weights"))
            continue
        breaches = constraint_breaches(problem, candidate)
        if breaches:
            refused.append(f"{step} {' and '.join(breaches)}")
            attempts.append(Attempt(step, " and ".join(breaches)))
            continue
        attempts.append(Attempt(step, "feasible"))
        x = spec.finish(problem, candidate)
        return OptimizationResult(
            weights=pd.Series(x, index=problem.assets, name="weight"),
            status=failure.status,
            solver=failure.solver,
            objective=str(problem.objective),
            fallback=step,
            reason=_joined(failure.reason, problem.repair_note),
            ex_ante_volatility=problem.annual_volatility(x),
            info=dict(failure.info),
            attempts=attempts,
        )
    raise InfeasiblePortfolioError(
        f"{failure.reason}; no fallback meets the constraints ({'; '.join(refused)})"
    )


def optimize(
    covariance: pd.DataFrame,
    *,
    objective: str = Objective.MIN_VARIANCE,
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
    fallback: Sequence[str] | None = None,
) -> OptimizationResult:
    """Fully invested target weights for ``objective``, and how they were found.

    Parameters
    ----------
    covariance : pandas.DataFrame
        Daily covariance (same labels on rows and columns); repaired if not PSD.
    objective : str, default "min_variance"
        One of :class:`Objective` (``OBJECTIVES``).
    expected_returns : pandas.Series, optional
        Daily expected returns (mean variance, target volatility, max Sharpe).
    target_volatility : float, default 0.10
        Annualised target of ``target_volatility``.
    current_weights : pandas.Series, optional
        The book before the trade; turnover and costs are measured from it.
    max_turnover : float, optional
        Limit on sum |w - current|.
    bounds : tuple, default (0.0, 1.0)
        (lower, upper) per asset: scalars or per-asset Series.
    transaction_cost : float, default 0.0
        Linear penalty per unit of turnover (same units as daily returns).
    risk_aversion : float, default 1.0
        Mean variance's lambda in mu'w - lambda w'Sw.
    groups : pandas.Series or mapping, optional
        Asset -> group, or group -> assets.
    group_caps : mapping, optional
        Group -> maximum weight.
    risk_budgets : pandas.Series, optional
        Risk parity's budgets (default equal); risk parity is long-only with no other
        constraint.
    method : {"auto", "cvxpy"}, default "auto"
        ``"auto"`` uses the exact special-purpose methods where they apply (the critical
        line for the four mean-variance objectives under budget, bounds and sector caps;
        Newton for risk parity) and the Clarabel programs otherwise; ``"cvxpy"`` always
        the Clarabel programs.
    fallback : sequence of str, optional
        Rescues tried in order when the objective's own methods find nothing, from
        ``("min_variance", "hold_current_weights", "equal_weight")``; ``()`` raises
        instead. Default: the objective's ``default_fallback`` (minimum variance first for
        target volatility and max Sharpe, which may have no solution; holding the book,
        then equal weight, for all).

    Returns
    -------
    OptimizationResult
        Weights, status, solver, any rescue with its reason, and every attempt.

    Raises
    ------
    InfeasiblePortfolioError
        When nothing found meets the constraints.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {METHODS}")
    problem = portfolio_problem(
        covariance,
        objective=objective,
        expected_returns=expected_returns,
        target_volatility=target_volatility,
        current_weights=current_weights,
        max_turnover=max_turnover,
        bounds=bounds,
        transaction_cost=transaction_cost,
        risk_aversion=risk_aversion,
        groups=groups,
        group_caps=group_caps,
        risk_budgets=risk_budgets,
    )
    spec = SOLVERS[problem.objective]
    chain = spec.default_fallback if fallback is None else tuple(fallback)
    unknown = [step for step in chain if step not in FALLBACKS]
    if unknown:
        raise ValueError(f"unknown fallback steps {unknown}; available: {FALLBACKS}")
    attempts: list[Attempt] = []
    found = spec.solve(problem, method=method, attempts=attempts)
    if isinstance(found, Solved):
        return _own_result(problem, found, attempts)
    return _rescued(problem, found, chain, method=method, attempts=attempts)


def optimize_weights(covariance: pd.DataFrame, **kwargs) -> pd.Series:
    """The weights of :func:`optimize`, with its summary in ``attrs["optimization"]``.

    Parameters
    ----------
    covariance : pandas.DataFrame
        Daily covariance.
    **kwargs
        Keyword arguments of :func:`optimize`.

    Returns
    -------
    pandas.Series
        Weights; ``attrs["optimization"]`` records status, solver, objective, any
        fallback and its reason, and the ex-ante volatility.
    """
    res = optimize(covariance, **kwargs)
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
