"""The rescue steps of the optimiser's fallback chain, and the refusal when none fits.

After an objective's own solvers fail, :func:`.optimize` walks its ``fallback`` chain:
``"min_variance"`` (minimum variance under the same constraints), then the candidates
here, each kept only if it meets every constraint: ``"hold_current_weights"`` (no
trade) and ``"equal_weight"``. None fits: :class:`InfeasiblePortfolioError`, never a
portfolio that breaks a constraint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from correlation_platform.portfolio.problem import PortfolioProblem

MIN_VARIANCE_RESCUE = "min_variance"
HOLD = "hold_current_weights"
EQUAL_WEIGHT = "equal_weight"
#: The steps a fallback chain may name.
FALLBACKS = (MIN_VARIANCE_RESCUE, HOLD, EQUAL_WEIGHT)
#: A fallback weight vector may miss a constraint by this much (solver-level rounding).
FEASIBILITY_TOL = 1e-6


class InfeasiblePortfolioError(ValueError):
    """No portfolio meets the constraints: the optimiser failed and no fallback fits."""


def _hold(problem: PortfolioProblem) -> np.ndarray | None:
    return None if problem.current is None else problem.current.copy()


def _equal(problem: PortfolioProblem) -> np.ndarray:
    n = len(problem.assets)
    return np.full(n, 1.0 / n)


#: Candidate weights of each fixed rescue (None: not available, e.g. no current book).
CANDIDATES: dict[str, Callable[[PortfolioProblem], np.ndarray | None]] = {
    HOLD: _hold,
    EQUAL_WEIGHT: _equal,
}


def constraint_breaches(problem: PortfolioProblem, w: np.ndarray) -> list[str]:
    """Which constraints ``w`` breaks beyond ``FEASIBILITY_TOL``.

    Parameters
    ----------
    problem : PortfolioProblem
        The constraints.
    w : numpy.ndarray
        Candidate weights.

    Returns
    -------
    list of str
        One phrase per broken constraint; empty when ``w`` is feasible.
    """
    problems = []
    if abs(w.sum() - 1.0) > FEASIBILITY_TOL:
        problems.append(f"sums to {w.sum():.6f}")
    if np.any(w < problem.lower - FEASIBILITY_TOL) or np.any(w > problem.upper + FEASIBILITY_TOL):
        problems.append("breaks the bounds")
    sectors = problem.sectors
    if sectors is not None and np.any(sectors[0] @ w > sectors[1] + FEASIBILITY_TOL):
        problems.append("breaks a sector cap")
    if (
        problem.max_turnover is not None
        and problem.current is not None
        and np.abs(w - problem.current).sum() > problem.max_turnover + FEASIBILITY_TOL
    ):
        problems.append("breaks the turnover limit")
    return problems
