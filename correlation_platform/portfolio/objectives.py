"""One class per objective: its exact method, its cvxpy program, its rescue sentence.

Every objective solves a :class:`~.problem.PortfolioProblem` the same way
(:meth:`ObjectiveSolver.solve`): a reason it has no solution at all (checked before any
solver), then its exact special-purpose method where one applies and ``method="auto"``
(for minimum and mean variance the primal-dual active set of :mod:`.active_set`, which
takes costs, a turnover limit and any sector caps, then the critical line; the critical
line for target volatility and maximum Sharpe under a budget, bounds and disjoint sector
caps; Spinu's Newton method for risk parity), then the Clarabel program with SCS as
backup. Each try is recorded as an :class:`~.programs.Attempt`.

The exact methods are several times faster than Clarabel at 500 assets
(bench/README.md); they decline (a cycle of active sets, ties, overlapping sectors on the
line, a singular covariance) with a reason, kept in ``info`` and in the attempts. Target
volatility and maximum Sharpe with a turnover limit or costs use the programs.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from typing_extensions import override

from correlation_platform.portfolio.active_set import (
    quadratic_weights,
    tangency_weights,
    target_variance_weights,
)
from correlation_platform.portfolio.critical_line import (
    CriticalLineSolution,
    max_sharpe_weights,
    mean_variance_weights,
    min_variance_weights,
    target_volatility_weights,
)
from correlation_platform.portfolio.fallback import EQUAL_WEIGHT, HOLD, MIN_VARIANCE_RESCUE
from correlation_platform.portfolio.objective import Objective
from correlation_platform.portfolio.problem import PortfolioProblem
from correlation_platform.portfolio.programs import (
    Attempt,
    Compiled,
    compiled_problem,
    covariance_factor,
    solve,
)
from correlation_platform.portfolio.risk_parity import risk_budget_weights
from correlation_platform.units import TRADING_DAYS

#: "auto": exact special-purpose methods where they apply; "cvxpy": always the programs.
METHODS = ("auto", "cvxpy")
#: Solver name reported for weights found by walking the critical line.
CRITICAL_LINE = "critical_line"
#: Solver name reported for weights found by the primal-dual active set (costs, turnover).
ACTIVE_SET = "active_set"
#: Solver name reported for risk-parity weights found by Spinu's Newton method.
NEWTON = "newton"
#: Status reported for weights from an exact method.
OPTIMAL = "optimal"


@dataclass
class Solved:
    """Weights an objective's own methods found.

    Attributes
    ----------
    x : numpy.ndarray
        The weights (before the final clip to the bounds for program solutions).
    status : str
        The solver's status.
    solver : str
        The solver or method that found them.
    exact : bool
        From an exact method (the weights are used as they are).
    fallback : str or None
        Set when the method itself answered with a rescue (target volatility below the
        minimum-variance volatility, found on the line).
    reason : str
        Why, when ``fallback`` is set.
    info : dict
        Method diagnostics (turning points, binding risk constraint, ...).
    """

    x: np.ndarray
    status: str
    solver: str
    exact: bool = False
    fallback: str | None = None
    reason: str = ""
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """Why an objective's own methods found no weights.

    Attributes
    ----------
    reason : str
        One sentence.
    status : str
        The last solver's status (or the objective's own finding).
    solver : str
        The last solver tried (or the objective's name).
    info : dict
        Diagnostics of the methods tried (e.g. why the critical line declined).
    """

    reason: str
    status: str
    solver: str
    info: dict = field(default_factory=dict)


class ObjectiveSolver(abc.ABC):
    """How one objective is solved; subclasses declare the objective and its methods.

    Attributes
    ----------
    objective : Objective
        The objective solved.
    default_fallback : tuple of str
        The rescue chain used when :func:`.optimize` gets ``fallback=None``.
    """

    objective: ClassVar[Objective]
    default_fallback: ClassVar[tuple[str, ...]] = (HOLD, EQUAL_WEIGHT)

    def solve(
        self, problem: PortfolioProblem, *, method: str, attempts: list[Attempt]
    ) -> Solved | Failure:
        """Try the objective's methods in turn, recording each in ``attempts``.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        method : {"auto", "cvxpy"}
            Whether the exact method may be used.
        attempts : list of Attempt
            Appended to, one entry per method or solver tried.

        Returns
        -------
        Solved or Failure
            The weights, or why there are none.
        """
        impossible = self.no_solution(problem)
        if impossible:
            attempts.append(Attempt(str(self.objective), impossible))
            return Failure(reason=impossible, status="no solution", solver=str(self.objective))
        info: dict = {}
        if method == "auto":
            exact = self.exact(problem, info)
            if exact is not None:
                attempts.extend(Attempt(k, v) for k, v in info.items() if k in EXACT_STEPS)
                attempts.append(Attempt(exact.solver, exact.status))
                return exact
            attempts.extend(Attempt(k, v) for k, v in info.items() if k in EXACT_STEPS)
        c = compiled_problem(
            len(problem.assets),
            self.objective,
            turnover=problem.max_turnover is not None,
            n_groups=0 if problem.sectors is None else len(problem.sectors[1]),
            costs=problem.costs,
        )
        self.load(problem, c)
        found = solve(c)
        attempts.extend(found.attempts)
        if found.x is None:
            reason = f"{self.objective} failed: {found.solver} reports {found.status}"
            return Failure(reason=reason, status=found.status, solver=found.solver, info=info)
        return Solved(x=found.x, status=found.status, solver=found.solver, info=info)

    def no_solution(self, problem: PortfolioProblem) -> str:
        """Why the objective has no solution whatever the solver ("" if it may have one).

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.

        Returns
        -------
        str
            A sentence, or empty.
        """
        return ""

    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        """The exact special-purpose method, if one applies and succeeds.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        info : dict
            Receives why the method declined (e.g. ``info["critical_line"]``).

        Returns
        -------
        Solved or None
            The weights, or None to go on to the programs.
        """
        return None

    def load(self, problem: PortfolioProblem, c: Compiled) -> None:
        """Write the (rescaled) data into the program's Parameters.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        c : Compiled
            The cached program of this objective and constraint set.
        """
        p = c.params
        p["S"].save_value(problem.scaled_covariance)
        self._load_common(problem, p)

    @staticmethod
    def _load_common(problem: PortfolioProblem, p: dict) -> None:
        scale2 = problem.scale2
        p["mu"].value = problem.scaled_mu
        p["w0"].value = problem.w0
        p["lb"].value = problem.lower
        p["ub"].value = problem.upper
        p["tc"].value = problem.transaction_cost / scale2
        p["target_vol"].value = problem.target_volatility / np.sqrt(TRADING_DAYS * scale2)
        p["max_turnover"].value = problem.max_turnover if problem.max_turnover is not None else 0.0
        p["budgets"].value = problem.budgets
        if problem.sectors is not None:
            p["G"].value, p["caps"].value = problem.sectors

    def finish(self, problem: PortfolioProblem, x: np.ndarray) -> np.ndarray:
        """Final weights from a program's solution: clipped to the bounds, summing to one.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        x : numpy.ndarray
            The solver's weights.

        Returns
        -------
        numpy.ndarray
            Weights within solver rounding of the constraints.
        """
        x = np.clip(x, problem.lower, problem.upper)
        return x / x.sum()

    def rescue_reason(self, problem: PortfolioProblem, failure: Failure, volatility: float) -> str:
        """The sentence reported when minimum variance stands in for this objective.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        failure : Failure
            Why this objective found nothing.
        volatility : float
            The rescue's annualised volatility.

        Returns
        -------
        str
            One sentence.
        """
        return f"{failure.reason}; minimum variance instead ({volatility:.2%})"


def _on_the_line(problem: PortfolioProblem) -> bool:
    """The line takes a budget, bounds and disjoint sector caps.

    A turnover limit or costs need the programs.
    """
    return problem.max_turnover is None and not problem.costs


class _LineObjective(ObjectiveSolver):
    """An objective with an exact critical-line method."""

    @override
    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        if not _on_the_line(problem):
            return None
        walked = self.walk(problem)
        if walked.weights is None:
            info[CRITICAL_LINE] = walked.status
            return None
        return self.from_line(problem, walked)

    @abc.abstractmethod
    def walk(self, problem: PortfolioProblem) -> CriticalLineSolution:
        """Walk the critical line for this objective.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request (its rescaled data is used).

        Returns
        -------
        CriticalLineSolution
            The weights or why the walk declined.
        """

    def from_line(self, problem: PortfolioProblem, walked: CriticalLineSolution) -> Solved:
        """The solution the walk found.

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.
        walked : CriticalLineSolution
            A successful walk.

        Returns
        -------
        Solved
            Exact weights with the number of turning points in ``info``.
        """
        return Solved(
            x=walked.weights, status=OPTIMAL, solver=CRITICAL_LINE, exact=True,
            info={"turning_points": walked.turning_points},
        )  # fmt: skip


def _active_set_answer(found, info: dict, **extra) -> Solved | None:
    """The active set's weights as a Solved, or None with its reason left in ``info``."""
    if found.weights is None:
        info[ACTIVE_SET] = found.status
        return None
    return Solved(
        x=found.weights, status=OPTIMAL, solver=ACTIVE_SET, exact=True,
        info={**extra, "active_set_solves": found.iterations},
    )  # fmt: skip


class _QuadraticObjective(_LineObjective):
    """A quadratic objective: the active set first (any constraints), then the line."""

    @override
    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        q, m = self.quadratic(problem)
        found = quadratic_weights(
            q,
            m,
            problem.lower,
            problem.upper,
            current=problem.w0,
            cost=problem.transaction_cost / problem.scale2,
            max_turnover=problem.max_turnover,
            sectors=problem.sectors,
        )
        return _active_set_answer(found, info) or super().exact(problem, info)

    @abc.abstractmethod
    def quadratic(self, problem: PortfolioProblem) -> tuple[np.ndarray, np.ndarray]:
        """The objective as ``0.5 w'Qw - m'w`` on the rescaled problem (before costs).

        Parameters
        ----------
        problem : PortfolioProblem
            The validated request.

        Returns
        -------
        tuple of numpy.ndarray
            (Q, m).
        """


class MinVariance(_QuadraticObjective):
    """Minimum variance: min w'Sw (+ costs) under the constraints."""

    objective = Objective.MIN_VARIANCE

    @override
    def quadratic(self, problem: PortfolioProblem) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * problem.scaled_covariance, np.zeros(len(problem.assets))

    @override
    def walk(self, problem: PortfolioProblem) -> CriticalLineSolution:
        return min_variance_weights(
            problem.scaled_covariance, problem.lower, problem.upper, sectors=problem.sectors
        )


class MeanVariance(_QuadraticObjective):
    """Mean variance: max mu'w - lambda w'Sw (- costs)."""

    objective = Objective.MEAN_VARIANCE

    @override
    def quadratic(self, problem: PortfolioProblem) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * problem.risk_aversion * problem.scaled_covariance, problem.scaled_mu

    @override
    def walk(self, problem: PortfolioProblem) -> CriticalLineSolution:
        aversion = problem.risk_aversion
        t = 1.0 / (2.0 * aversion) if aversion > 0 else np.inf
        return mean_variance_weights(
            problem.scaled_covariance,
            problem.scaled_mu,
            problem.lower,
            problem.upper,
            t,
            sectors=problem.sectors,
        )

    @override
    def load(self, problem: PortfolioProblem, c: Compiled) -> None:
        # S carries the risk aversion (a parameter times quad_form(w, S) would not be DPP).
        c.params["S"].save_value(problem.scaled_covariance * problem.risk_aversion)
        self._load_common(problem, c.params)


class TargetVolatility(_LineObjective):
    """Maximum expected return at a target volatility (the risk constraint may not bind)."""

    objective = Objective.TARGET_VOLATILITY
    default_fallback = (MIN_VARIANCE_RESCUE, HOLD, EQUAL_WEIGHT)

    @override
    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        if problem.costs and problem.max_turnover is None:
            variance = problem.target_volatility**2 / (TRADING_DAYS * problem.scale2)
            found = target_variance_weights(
                2.0 * problem.scaled_covariance,
                problem.scaled_mu,
                problem.lower,
                problem.upper,
                variance,
                current=problem.w0,
                cost=problem.transaction_cost / problem.scale2,
                sectors=problem.sectors,
            )
            answer = _active_set_answer(found, info, risk_constraint=found.status)
            if answer is not None:
                return answer
        return super().exact(problem, info)

    @override
    def walk(self, problem: PortfolioProblem) -> CriticalLineSolution:
        variance = problem.target_volatility**2 / (TRADING_DAYS * problem.scale2)
        return target_volatility_weights(
            problem.scaled_covariance,
            problem.scaled_mu,
            problem.lower,
            problem.upper,
            variance,
            sectors=problem.sectors,
        )

    @override
    def from_line(self, problem: PortfolioProblem, walked: CriticalLineSolution) -> Solved:
        solved = super().from_line(problem, walked)
        solved.info["risk_constraint"] = walked.status
        if walked.status == "unreachable":
            vol = problem.annual_volatility(walked.weights)
            solved.fallback = MIN_VARIANCE_RESCUE
            solved.reason = (
                f"target volatility {problem.target_volatility:.2%} is not reachable (below "
                "the minimum-variance volatility); closest feasible portfolio is the "
                f"minimum-variance one ({vol:.2%})"
            )
        return solved

    @override
    def load(self, problem: PortfolioProblem, c: Compiled) -> None:
        # Risk is a second-order cone on a factor (Cholesky, eigen square root if singular).
        c.params["L"].value = covariance_factor(problem.scaled_covariance)
        self._load_common(problem, c.params)

    @override
    def rescue_reason(self, problem: PortfolioProblem, failure: Failure, volatility: float) -> str:
        return (
            f"target volatility {problem.target_volatility:.2%} is not reachable "
            f"({failure.status}); closest feasible portfolio is the minimum-variance one "
            f"({volatility:.2%})"
        )


#: Why the tangency portfolio does not exist when no expected return is positive.
NO_TANGENCY = (
    "no asset has a positive expected excess return; the tangency portfolio does not exist"
)


class MaxSharpe(_LineObjective):
    """Maximum Sharpe ratio (the tangency portfolio), net of costs when they are given."""

    objective = Objective.MAX_SHARPE
    default_fallback = (MIN_VARIANCE_RESCUE, HOLD, EQUAL_WEIGHT)

    @override
    def no_solution(self, problem: PortfolioProblem) -> str:
        return NO_TANGENCY if np.max(problem.mu) <= 0 else ""

    @override
    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        if _on_the_line(problem) and not np.any(problem.lower):
            found = tangency_weights(
                2.0 * problem.scaled_covariance,
                problem.scaled_mu,
                problem.upper,
                sectors=problem.sectors,
            )
            answer = _active_set_answer(found, info)
            if answer is not None:
                return answer
        return super().exact(problem, info)

    @override
    def walk(self, problem: PortfolioProblem) -> CriticalLineSolution:
        return max_sharpe_weights(
            problem.scaled_covariance,
            problem.scaled_mu,
            problem.lower,
            problem.upper,
            sectors=problem.sectors,
        )

    @override
    def rescue_reason(self, problem: PortfolioProblem, failure: Failure, volatility: float) -> str:
        if failure.reason == NO_TANGENCY:
            return NO_TANGENCY
        return super().rescue_reason(problem, failure, volatility)


class RiskParity(ObjectiveSolver):
    """Equal (or budgeted) risk contributions; long-only, no other constraint.

    References
    ----------
    F. Spinu (2013), "An algorithm for computing risk parity weights", SSRN 2297383.
    """

    objective = Objective.RISK_PARITY

    @override
    def exact(self, problem: PortfolioProblem, info: dict) -> Solved | None:
        newton = risk_budget_weights(problem.scaled_covariance, problem.budgets)
        info[NEWTON] = f"{newton.status} ({newton.iterations} steps)"
        if newton.weights is None:
            return None
        return Solved(x=newton.weights, status=OPTIMAL, solver=NEWTON, info=dict(info))

    @override
    def finish(self, problem: PortfolioProblem, x: np.ndarray) -> np.ndarray:
        return x / x.sum()  # the budgets fix the weights: bounds are reported, not imposed


#: Steps of ``info`` that are exact methods (recorded as attempts when they decline).
EXACT_STEPS = (ACTIVE_SET, CRITICAL_LINE, NEWTON)

#: The solver of each objective.
SOLVERS: dict[Objective, ObjectiveSolver] = {
    s.objective: s
    for s in (MinVariance(), MeanVariance(), TargetVolatility(), MaxSharpe(), RiskParity())
}
