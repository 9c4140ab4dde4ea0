"""Ledoit-Wolf shrinkage of the trailing covariance, returned as a correlation forecast."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from correlation_platform.forecasters._window import to_correlation, trailing_window
from correlation_platform.forecasters.base import ArrayForecaster
from correlation_platform.params import Interval, Options

TARGETS = ("identity", "constant_correlation")
METHODS = ("linear", "nonlinear")


def ledoit_wolf_identity(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004) shrinkage towards mu I.

    Parameters
    ----------
    x : numpy.ndarray
        Demeaned returns, T x N.

    Returns
    -------
    tuple
        The shrunk covariance and the intensity (equal to scikit-learn's ``LedoitWolf``).
    """
    t, n = x.shape
    s = x.T @ x / t
    mu = np.trace(s) / n
    delta2 = np.sum((s - mu * np.eye(n)) ** 2) / n
    x2 = x**2
    beta2 = (np.sum(x2.T @ x2) / t - np.sum(s**2)) / (n * t)
    shrink = 0.0 if delta2 == 0 else min(beta2, delta2) / delta2
    return shrink * mu * np.eye(n) + (1 - shrink) * s, float(shrink)


def ledoit_wolf_constant_correlation(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004, "Honey, I shrunk") towards the constant-correlation matrix.

    Parameters
    ----------
    x : numpy.ndarray
        Demeaned returns, T x N.

    Returns
    -------
    tuple
        The shrunk covariance and the intensity.
    """
    t, n = x.shape
    s = x.T @ x / t
    sd = np.sqrt(np.diag(s))
    corr = s / np.outer(sd, sd)
    rbar = (corr.sum() - n) / (n * (n - 1))
    target = rbar * np.outer(sd, sd)
    np.fill_diagonal(target, np.diag(s))
    x2 = x**2
    pi_mat = x2.T @ x2 / t - s**2
    pi_hat = pi_mat.sum()
    theta = (x**3).T @ x / t - np.diag(s)[
        :, None
    ] * s  # theta[i, j] = E[(x_i^2 - s_ii)(x_i x_j - s_ij)]
    ratio = np.outer(1 / sd, sd)  # sqrt(s_jj / s_ii)
    rho_off = rbar / 2 * (ratio * theta + ratio.T * theta.T)
    rho_hat = np.trace(pi_mat) + (rho_off.sum() - np.trace(rho_off))
    gamma = np.sum((target - s) ** 2)
    kappa = (pi_hat - rho_hat) / gamma if gamma > 0 else 0.0
    shrink = float(max(0.0, min(1.0, kappa / t)))
    return shrink * target + (1 - shrink) * s, shrink


def analytical_nonlinear_shrinkage(x: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf (2020) analytical nonlinear shrinkage of the covariance.

    Parameters
    ----------
    x : numpy.ndarray
        Demeaned returns, T x N.

    Returns
    -------
    numpy.ndarray
        The shrunk N x N covariance.
    """
    t, n = x.shape
    s = x.T @ x / t
    lam, u = np.linalg.eigh(s)
    lam = np.clip(lam[max(0, n - t) :], 1e-300, None)
    u = u[:, max(0, n - t) :]
    m = len(lam)
    h = t ** (-1 / 3)
    hh = h * lam[None, :]  # bandwidth per eigenvalue (columns)
    xx = (lam[:, None] - lam[None, :]) / hh
    f_tilde = 3 / 4 / np.sqrt(5) * np.mean(np.maximum(1 - xx**2 / 5, 0) / hh, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        hf = (-3 / 10 / np.pi) * xx + (3 / 4 / np.sqrt(5) / np.pi) * (1 - xx**2 / 5) * np.log(
            np.abs((np.sqrt(5) - xx) / (np.sqrt(5) + xx))
        )
    edge = np.isclose(np.abs(xx), np.sqrt(5))
    hf[edge] = (-3 / 10 / np.pi) * xx[edge]
    hf_tilde = np.mean(hf / hh, axis=1)
    c = n / t
    if n <= t:
        d = lam / ((np.pi * c * lam * f_tilde) ** 2 + (1 - c - np.pi * c * lam * hf_tilde) ** 2)
    else:
        hf0 = (
            (1 / np.pi)
            * (
                3 / 10 / h**2
                + 3
                / 4
                / np.sqrt(5)
                / h
                * (1 - 1 / 5 / h**2)
                * np.log((1 + np.sqrt(5) * h) / (1 - np.sqrt(5) * h))
            )
            * np.mean(1 / lam)
        )
        d0 = 1 / (np.pi * (n - t) / t * hf0)
        d1 = lam / (np.pi**2 * lam**2 * (f_tilde**2 + hf_tilde**2))
        _, u_full = np.linalg.eigh(s)
        return (u_full * np.concatenate([np.full(n - m, d0), d1])) @ u_full.T
    return (u * d) @ u.T


class LedoitWolfForecaster(ArrayForecaster):
    """Shrunk trailing covariance (``window`` days) turned into a correlation matrix.

    ``method="linear"`` shrinks towards ``target`` (identity: matches scikit-learn's
    ``LedoitWolf``; constant_correlation: Ledoit-Wolf 2004); ``method="nonlinear"`` is the
    analytical nonlinear shrinkage of Ledoit-Wolf (2020) (``target`` unused).

    Parameters
    ----------
    window : int, default 252
        Trailing returns per forecast (at least 2).
    target : {"constant_correlation", "identity"}, default "constant_correlation"
        Linear shrinkage target.
    method : {"linear", "nonlinear"}, default "linear"
        Linear shrinkage towards ``target`` or analytical nonlinear shrinkage.

    Attributes
    ----------
    shrinkage_ : numpy.ndarray
        Linear shrinkage intensity per forecast of the last path (NaN for nonlinear).

    References
    ----------
    O. Ledoit and M. Wolf (2004), "Honey, I shrunk the sample covariance matrix", Journal
    of Portfolio Management 30(4). O. Ledoit and M. Wolf (2020), "Analytical nonlinear
    shrinkage of large-dimensional covariance matrices", Annals of Statistics 48(5).
    """

    name: ClassVar[str] = "ledoit_wolf"
    refit_changes_path: ClassVar[bool] = False
    PARAMETERS: ClassVar = {
        "window": Interval(int, 2, None),
        "target": Options(TARGETS),
        "method": Options(METHODS),
    }

    def __init__(
        self, window: int = 252, target: str = "constant_correlation", method: str = "linear"
    ):
        self.window = window
        self.target = target
        self.method = method

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        self.shrinkage_ = np.full(len(positions), np.nan)
        for k, p in enumerate(positions):
            self._need_history(p, self.window, f"ledoit_wolf(window={self.window})")
            win = trailing_window(x, p, self.window)
            if self.method == "nonlinear":
                cov = analytical_nonlinear_shrinkage(win)
            elif self.target == "identity":
                cov, self.shrinkage_[k] = ledoit_wolf_identity(win)
            else:
                cov, self.shrinkage_[k] = ledoit_wolf_constant_correlation(win)
            out[k] = to_correlation(cov)
        return out
