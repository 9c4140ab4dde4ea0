"""Risk-budgeting weights by Spinu's damped Newton method.

Spinu (2013), "An algorithm for computing risk parity weights": the minimiser y of the
strictly convex ``f(y) = 0.5 y'Sy - b' log y`` (y > 0) has risk contributions
``y_i (Sy)_i = b_i``, so ``w = y / sum(y)`` has risk budgets ``b``. ``f / min(b)`` is
self-concordant, so Newton steps damped by ``1 / (1 + lambda)`` (lambda its Newton
decrement) stay inside y > 0 and converge quadratically once lambda < 1/4: a few dozen
Cholesky factorisations of ``S + diag(b / y^2)``, which is positive definite even when
``S`` is singular. At 500 assets that is several times faster than an interior-point
method on the same problem with 500 exponential cones (bench/optimizer.py), and exact to
rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve


@dataclass
class NewtonSolution:
    """What Spinu's Newton method found.

    Attributes
    ----------
    weights : numpy.ndarray or None
        Weights summing to 1 (None when ``status`` starts with ``failed``).
    status : str
        ``converged`` or ``failed: <why>``.
    iterations : int
        Newton steps taken.
    """

    weights: np.ndarray | None
    status: str
    iterations: int


def risk_budget_weights(
    cov: np.ndarray, budgets: np.ndarray, *, tol: float = 1e-14, max_iter: int = 60
) -> NewtonSolution:
    """Long-only weights whose shares of portfolio variance equal ``budgets``.

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance, positive definite.
    budgets : numpy.ndarray
        Risk budgets, > 0, summing to 1.
    tol : float, default 1e-14
        Convergence threshold on the squared Newton decrement.
    max_iter : int, default 60
        Newton steps allowed.

    Returns
    -------
    NewtonSolution
        The weights or why the method declined.

    References
    ----------
    F. Spinu (2013), "An algorithm for computing risk parity weights", SSRN 2297383.
    """
    if np.any(budgets <= 0) or not np.all(np.isfinite(cov)):
        return NewtonSolution(
            weights=None, status="failed: budgets must be positive, cov finite", iterations=0
        )
    y = 1.0 / np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    y /= np.sqrt(y @ cov @ y)  # the best scale along this ray: f(c y) is minimal at c = 1
    for iteration in range(1, max_iter + 1):
        grad = cov @ y - budgets / y
        hessian = cov + np.diag(budgets / y**2)
        try:
            step = cho_solve(cho_factor(hessian, check_finite=False), grad, check_finite=False)
        except LinAlgError:
            return NewtonSolution(
                weights=None,
                status="failed: Newton system not positive definite",
                iterations=iteration,
            )
        squared = max(float(grad @ step), 0.0)
        # The decrement of f / min(b), which is self-concordant (each b_i / min(b) >= 1).
        decrement = float(np.sqrt(squared / budgets.min()))
        y = y - step / (1.0 + decrement) if decrement > 0.25 else y - step
        if not np.all(y > 0):  # excluded by self-concordance; kept as a guard on rounding
            return NewtonSolution(
                weights=None, status="failed: a Newton step left y > 0", iterations=iteration
            )
        if squared < tol:
            return NewtonSolution(weights=y / y.sum(), status="converged", iterations=iteration)
    return NewtonSolution(
        weights=None,
        status=f"failed: no convergence in {max_iter} Newton steps",
        iterations=max_iter,
    )
