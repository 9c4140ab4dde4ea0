"""DCC-GARCH(1,1): GARCH(1,1) marginals from ``arch``, then Engle's (2002) DCC by two-step QML.

Stage 1 fits a constant-mean GARCH(1,1) per asset (returns in percent, arch's advice).
Stage 2 maximises the correlation part of the Gaussian likelihood over (a, b), a, b >= 0,
a + b < 1, with correlation targeting (Qbar = sample second moment of the standardised
residuals). Above ``composite_above`` assets it maximises the composite likelihood over
contiguous pairs (Pakel, Shephard, Sheppard and Engle 2021), which is O(N) per step.

In the likelihood the Q recursion is a first-order linear filter, so it runs in C
(``scipy.signal.lfilter``) over the stacked outer products instead of a Python loop over
days. The forecast path instead steps Q in place (one BLAS rank-one update a day), so it
streams with memory of one N x N matrix rather than T of them.

The horizon forecast is the normalised sum of the k-step forecasts
E[Q_{t+k}] = Qbar + (a + b)^(k-1) (Q_{t+1} - Qbar), k = 1..h (Engle-Sheppard), not R_{t+1}.
``variant="cdcc"`` uses Aielli's (2013) corrected recursion on diag(Q)^(1/2) z.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.signal import lfilter

from correlation_platform.forecasters._window import rank_one_update
from correlation_platform.forecasters.base import RecursiveForecaster
from correlation_platform.params import Interval, Options

VARIANTS = ("dcc", "cdcc")
SCALE = 100.0  # returns in percent for the GARCH stage
#: arch's backcast: exponentially weighted first 75 squared residuals.
BACKCAST_TAU = 75
#: Above this many assets the full likelihood is not evaluated for reporting (O(T N^3)).
FULL_LOGLIK_UP_TO = 200
#: Largest a + b the estimator accepts: Q must stay mean-reverting (a + b < 1), and the
#: margin keeps the horizon forecast's weight sum (a + b)^k away from a random walk.
MAX_PERSISTENCE = 0.9998
#: SLSQP's line search may step slightly past the constraint, where the likelihood is
#: still defined; only a clear breach (past this) gets the penalty value.
PENALISED_FROM = MAX_PERSISTENCE + 1e-4
#: Objective value outside the parameter space (a < 0, b < 0, a + b too large).
OUTSIDE_LIKELIHOOD = 1e12
#: Bounds on the news parameter a (strictly positive keeps Q's update informative).
MIN_NEWS, MAX_NEWS = 1e-8, 0.5
#: Starting points (a, b): typical daily estimates first; the others only on failure.
STARTS = ((0.02, 0.95), (0.05, 0.90), (0.01, 0.98))


#: Smallest eigenvalue of the standardised residuals' correlation the likelihood accepts:
#: below it two assets are (near) copies and every R_t is singular.
COLLINEAR_BELOW = 1e-8


def _refuse_collinear(qbar: np.ndarray, assets: list[str]) -> None:
    """A clear refusal instead of a Cholesky failure deep in the likelihood."""
    d = np.sqrt(np.diag(qbar))
    corr = qbar / np.outer(d, d)
    lowest = float(np.linalg.eigvalsh(corr)[0])
    if lowest < COLLINEAR_BELOW:
        off = np.abs(corr - np.eye(len(corr)))
        i, j = np.unravel_index(np.argmax(off), off.shape)
        raise ValueError(
            f"dcc: standardised residuals are collinear (minimum eigenvalue {lowest:.2g}); "
            f"assets {assets[i]!r} and {assets[j]!r} move together with correlation "
            f"{corr[i, j]:.6f}: drop one of them"
        )


def _backcast(eps: np.ndarray) -> np.ndarray:
    """The GARCH backcast of arch: weights 0.94^k on the first 75 squared residuals, per column."""
    tau = min(BACKCAST_TAU, len(eps))
    w = 0.94 ** np.arange(tau)
    w = w / w.sum()
    return w @ eps[:tau] ** 2


def garch_filter(x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Standardised residuals of returns ``x`` under fixed GARCH(1,1) parameters.

    Parameters
    ----------
    x : numpy.ndarray
        Returns, T x N, decimal.
    params : numpy.ndarray
        (mu, omega, alpha, beta) per asset, in percent units.

    Returns
    -------
    numpy.ndarray
        Residuals over conditional volatility, T x N.
    """
    eps = x * SCALE - params[:, 0]
    z = np.empty_like(eps)
    back = _backcast(eps)
    for i in range(eps.shape[1]):
        _, omega, alpha, beta = params[i]
        drive = omega + alpha * np.concatenate([[back[i]], eps[:-1, i] ** 2])
        sigma2 = lfilter([1.0], [1.0, -beta], drive, zi=[beta * back[i]])[0]
        z[:, i] = eps[:, i] / np.sqrt(sigma2)
    return z


def _q_path(z: np.ndarray, a: float, b: float, qbar: np.ndarray, cdcc: bool) -> np.ndarray:
    """Q_t for t = 0..T (T+1 matrices; Q_0 = Qbar, Q_{t+1} uses z_t), flattened N^2."""
    t, n = z.shape
    if cdcc:
        return _q_path_cdcc(z, a, b, qbar)
    outer = (z[:, :, None] * z[:, None, :]).reshape(t, n * n)
    drive = (1 - a - b) * qbar.reshape(1, -1) + a * outer
    q1 = lfilter([1.0], [1.0, -b], drive, axis=0, zi=b * qbar.reshape(1, -1))[0]
    return np.concatenate([qbar.reshape(1, -1), q1])


def _q_path_cdcc(z: np.ndarray, a: float, b: float, s: np.ndarray) -> np.ndarray:
    t, n = z.shape
    out = np.empty((t + 1, n, n))
    out[0] = s
    for k, q in enumerate(_q_steps(z, a, b, s, cdcc=True)):
        out[k + 1] = q
    return out.reshape(t + 1, n * n)


def _q_steps(
    z: np.ndarray, a: float, b: float, qbar: np.ndarray, cdcc: bool
) -> Iterator[np.ndarray]:
    """Q_{t+1} after each row t of ``z``, in one matrix updated in place (copy to keep).

    Q_{t+1} = (1 - a - b) Qbar + a e e' + b Q_t, e = z_t (DCC) or diag(Q_t)^(1/2) z_t
    (cDCC).
    """
    drift = (1 - a - b) * qbar
    q = np.array(qbar, dtype=float, order="F")
    for zt in z:
        shock = np.sqrt(np.diag(q)) * zt if cdcc else zt
        q *= b
        q += drift
        rank_one_update(q, a, shock)
        yield q


def correlation_loglik(
    z: np.ndarray, a: float, b: float, qbar: np.ndarray, *, cdcc: bool = False
) -> float:
    """Engle's correlation log-likelihood: -0.5 sum_t (log|R_t| + z'R^-1 z - z'z).

    Parameters
    ----------
    z : numpy.ndarray
        Standardised residuals, T x N.
    a, b : float
        DCC parameters.
    qbar : numpy.ndarray
        The correlation target.
    cdcc : bool, default False
        Aielli's corrected recursion.

    Returns
    -------
    float
        The log-likelihood.
    """
    t, n = z.shape
    q = _q_path(z, a, b, qbar, cdcc)[:-1].reshape(t, n, n)
    d = np.sqrt(np.einsum("tii->ti", q))
    r = q / (d[:, :, None] * d[:, None, :])
    chol = np.linalg.cholesky(r)
    logdet = 2 * np.log(np.einsum("tii->ti", chol)).sum(axis=1)
    sol = np.linalg.solve(chol, z[:, :, None])[:, :, 0]
    return float(-0.5 * np.sum(logdet + (sol**2).sum(axis=1) - (z**2).sum(axis=1)))


def composite_loglik(z: np.ndarray, a: float, b: float, qbar: np.ndarray) -> float:
    """Sum of bivariate DCC likelihoods over contiguous pairs (i, i+1).

    Parameters
    ----------
    z : numpy.ndarray
        Standardised residuals, T x N.
    a, b : float
        DCC parameters.
    qbar : numpy.ndarray
        The correlation target.

    Returns
    -------
    float
        The composite log-likelihood.

    References
    ----------
    C. Pakel, N. Shephard, K. Sheppard and R. Engle (2021), "Fitting vast dimensional
    time-varying covariance models", JBES 39(3).
    """
    zi, zj = z[:, :-1], z[:, 1:]
    idx = np.arange(z.shape[1] - 1)
    parts = []
    for u, v, qb in (
        (zi, zi, qbar[idx, idx]),
        (zj, zj, qbar[idx + 1, idx + 1]),
        (zi, zj, qbar[idx, idx + 1]),
    ):
        drive = (1 - a - b) * qb[None, :] + a * u * v
        q1 = lfilter([1.0], [1.0, -b], drive, axis=0, zi=b * qb[None, :])[0]
        parts.append(np.concatenate([qb[None, :], q1])[:-1])
    qii, qjj, qij = parts
    rho = np.clip(qij / np.sqrt(qii * qjj), -0.999999, 0.999999)
    one = 1 - rho**2
    ll = np.log(one) + (zi**2 + zj**2 - 2 * rho * zi * zj) / one - (zi**2 + zj**2)
    return float(-0.5 * ll.sum())


class DCCForecaster(RecursiveForecaster):
    """DCC(1,1) on GARCH(1,1) marginals; see the module docstring.

    :meth:`fit` runs the two stages of the two-step QML estimator in turn:
    :meth:`fit_marginals` (one GARCH(1,1) per asset, standardised residuals) and
    :meth:`fit_correlation` (correlation targeting, then (a, b) by maximum likelihood).

    Parameters
    ----------
    variant : {"dcc", "cdcc"}, default "dcc"
        Engle's recursion on z_t or Aielli's corrected one on diag(Q_t)^(1/2) z_t.
    composite_above : int, default 30
        Above this many assets (a, b) maximise the composite likelihood over contiguous
        pairs (O(N) per evaluation) instead of the full one (O(N^3)); at least 2.

    Attributes
    ----------
    garch_params_ : numpy.ndarray
        (mu, omega, alpha, beta) per asset, returns in percent.
    qbar_ : numpy.ndarray
        Second moment of the standardised residuals (the correlation target).
    a_, b_ : float
        The DCC news and persistence parameters.
    method_ : str
        ``"full"`` or ``"composite"`` likelihood.
    converged_ : bool
        Whether the optimiser reported convergence.
    garch_loglik_, correlation_loglik_, loglik_ : float
        Marginal, correlation (NaN when not evaluated) and total log-likelihoods.

    References
    ----------
    R. Engle (2002), "Dynamic conditional correlation", Journal of Business & Economic
    Statistics 20(3). G. Aielli (2013), "Dynamic conditional correlation: on properties and
    estimation", JBES 31(3). C. Pakel, N. Shephard, K. Sheppard and R. Engle (2021),
    "Fitting vast dimensional time-varying covariance models", JBES 39(3).
    """

    name: ClassVar[str] = "dcc"
    PARAMETERS: ClassVar = {
        "variant": Options(VARIANTS),
        "composite_above": Interval(int, 2, None),
    }

    def __init__(self, variant: str = "dcc", composite_above: int = 30):
        self.variant = variant
        self.composite_above = composite_above

    def fit(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        tree: pd.DataFrame | None = None,
    ) -> DCCForecaster:
        """Fit the GARCH marginals, then the correlation dynamics.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns (dates x assets), more rows than twice the assets.
        features, tree : optional
            Unused.

        Returns
        -------
        DCCForecaster
            ``self``, fitted.
        """
        super().fit(returns, features, tree=tree)
        if len(returns) <= 2 * returns.shape[1]:
            raise ValueError(
                f"dcc needs more than twice as many observations as assets to estimate Qbar "
                f"and the GARCH stage: {len(returns)} rows for {returns.shape[1]} assets"
            )
        z = self.fit_marginals(returns.to_numpy(dtype=float))
        self.fit_correlation(z)
        self.loglik_ = self.garch_loglik_ + self.correlation_loglik_
        return self

    def fit_marginals(self, x: np.ndarray) -> np.ndarray:
        """Stage 1: a constant-mean GARCH(1,1) per asset (``arch``, returns in percent).

        Parameters
        ----------
        x : numpy.ndarray
            Returns, T x N, decimal.

        Returns
        -------
        numpy.ndarray
            Standardised residuals, T x N; sets ``garch_params_`` and ``garch_loglik_``.
        """
        from arch import arch_model

        params, loglik = [], 0.0
        for i in range(x.shape[1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = arch_model(
                    x[:, i] * SCALE, mean="Constant", vol="GARCH", p=1, q=1, rescale=False
                ).fit(disp="off", show_warning=False)
            params.append(
                [
                    res.params["mu"],
                    res.params["omega"],
                    res.params["alpha[1]"],
                    res.params["beta[1]"],
                ]
            )
            loglik += float(res.loglikelihood)
        self.garch_params_ = np.array(params)
        self.garch_loglik_ = loglik
        return garch_filter(x, self.garch_params_)

    def fit_correlation(self, z: np.ndarray) -> DCCForecaster:
        """Stage 2: correlation targeting, then (a, b) by maximum likelihood.

        Parameters
        ----------
        z : numpy.ndarray
            Standardised residuals, T x N (from :meth:`fit_marginals`).

        Returns
        -------
        DCCForecaster
            ``self``; sets ``qbar_``, ``a_``, ``b_``, ``method_``, ``converged_`` and
            ``correlation_loglik_``.
        """
        self.qbar_ = z.T @ z / len(z)
        _refuse_collinear(self.qbar_, list(getattr(self, "assets_", range(z.shape[1]))))
        cdcc = self.variant == "cdcc"
        use_composite = z.shape[1] > self.composite_above
        self.method_ = "composite" if use_composite else "full"

        def objective(theta: np.ndarray) -> float:
            a, b = theta
            if a < 0 or b < 0 or a + b >= PENALISED_FROM:
                return OUTSIDE_LIKELIHOOD
            if use_composite:
                return -composite_loglik(z, a, b, self.qbar_)
            return -correlation_loglik(z, a, b, self.qbar_, cdcc=cdcc)

        best = None
        # One start near typical daily estimates; the others only if it fails to converge.
        for start in STARTS:
            res = minimize(
                objective,
                x0=np.array(start),
                method="SLSQP",
                bounds=((MIN_NEWS, MAX_NEWS), (0.0, MAX_PERSISTENCE)),
                constraints=[{"type": "ineq", "fun": lambda th: MAX_PERSISTENCE - th[0] - th[1]}],
            )
            if best is None or res.fun < best.fun:
                best = res
            if res.success:
                break
        self.a_, self.b_ = (float(v) for v in best.x)
        self.converged_ = bool(best.success)
        if not use_composite:
            self.correlation_loglik_ = float(-best.fun)
        elif z.shape[1] <= FULL_LOGLIK_UP_TO:  # report the full likelihood at the estimate
            self.correlation_loglik_ = correlation_loglik(
                z, self.a_, self.b_, self.qbar_, cdcc=cdcc
            )
        else:
            self.correlation_loglik_ = float("nan")
        return self

    def _stream(
        self, x: np.ndarray, positions: np.ndarray, horizon: int, slots: Iterable[np.ndarray]
    ) -> Iterator[np.ndarray]:
        if len(positions) == 0:
            return
        z = garch_filter(x[: int(positions[-1]) + 1], self.garch_params_)
        a, b, qbar = self.a_, self.b_, self.qbar_
        # sum_k E[Q_{t+k}] = h Qbar + weight (Q_{t+1} - Qbar), weight = sum_k (a+b)^(k-1).
        weight = float(np.sum((a + b) ** np.arange(horizon)))
        level = (horizon - weight) * qbar
        slots = iter(slots)
        k = 0
        for t, q in enumerate(_q_steps(z, a, b, qbar, self.variant == "cdcc")):
            while k < len(positions) and positions[k] == t:
                out = next(slots)
                np.multiply(q, weight, out=out)
                out += level
                yield out
                k += 1
