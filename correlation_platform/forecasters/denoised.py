"""Marcenko-Pastur denoising of the trailing correlation (constant residual eigenvalue)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.optimize import minimize

from correlation_platform.forecasters._window import to_correlation, trailing_window
from correlation_platform.forecasters.base import ArrayForecaster
from correlation_platform.params import Interval


def marcenko_pastur_variance(
    eigenvalues: np.ndarray, q: float, *, bandwidth: float = 0.01
) -> float:
    """Noise variance whose Marcenko-Pastur density best fits the eigenvalues' KDE.

    Least squares on 1,000 points of the MP support (Lopez de Prado 2020, ch. 2).

    Parameters
    ----------
    eigenvalues : numpy.ndarray
        Eigenvalues of a correlation matrix.
    q : float
        T / N of the sample.
    bandwidth : float, default 0.01
        Gaussian KDE bandwidth.

    Returns
    -------
    float
        sigma^2 in (0, 1).
    """

    def loss(v: np.ndarray) -> float:
        var = float(v[0])
        lo, hi = var * (1 - (1 / q) ** 0.5) ** 2, var * (1 + (1 / q) ** 0.5) ** 2
        grid = np.linspace(lo, hi, 1000)
        mp = q / (2 * np.pi * var * grid) * np.sqrt(np.clip((hi - grid) * (grid - lo), 0, None))
        z = (grid[:, None] - eigenvalues[None, :]) / bandwidth
        kde = np.exp(-0.5 * z**2).sum(axis=1) / (len(eigenvalues) * bandwidth * np.sqrt(2 * np.pi))
        return float(np.sum((kde - mp) ** 2))

    return float(minimize(loss, x0=[0.5], bounds=((1e-5, 1 - 1e-5),)).x[0])


def denoise_correlation(corr: np.ndarray, q: float) -> tuple[np.ndarray, int]:
    """Replace the eigenvalues below the Marcenko-Pastur edge by their average.

    Parameters
    ----------
    corr : numpy.ndarray
        N x N sample correlation.
    q : float
        T / N of the sample.

    Returns
    -------
    tuple
        The denoised correlation and the number of signal factors.
    """
    lam, vec = np.linalg.eigh(corr)
    lam, vec = lam[::-1], vec[:, ::-1]
    var = marcenko_pastur_variance(lam, q)
    edge = var * (1 + (1 / q) ** 0.5) ** 2
    n_facts = int(np.sum(lam > edge))
    lam = lam.copy()
    if n_facts < len(lam):
        lam[n_facts:] = lam[n_facts:].mean()
    return to_correlation((vec * lam) @ vec.T), n_facts


class DenoisedForecaster(ArrayForecaster):
    """Trailing sample correlation with its noise eigenvalues flattened (Marcenko-Pastur).

    Parameters
    ----------
    window : int, default 252
        Trailing returns per forecast (at least 2; q = window / N sets the noise edge).

    Attributes
    ----------
    n_factors_ : numpy.ndarray
        Eigenvalues above the Marcenko-Pastur edge, per forecast of the last path.

    References
    ----------
    M. Lopez de Prado (2020), Machine Learning for Asset Managers, ch. 2.
    """

    name: ClassVar[str] = "denoised"
    refit_changes_path: ClassVar[bool] = False
    PARAMETERS: ClassVar = {"window": Interval(int, 2, None)}

    def __init__(self, window: int = 252):
        self.window = window

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        self.n_factors_ = np.zeros(len(positions), dtype=int)
        for k, p in enumerate(positions):
            self._need_history(p, self.window, f"denoised(window={self.window})")
            win = trailing_window(x, p, self.window)
            corr = to_correlation(win.T @ win)
            out[k], self.n_factors_[k] = denoise_correlation(corr, self.window / n)
        return out
