"""Forecast losses: statistical and economic.

Statistical: Frobenius, QLIKE, correlation-matrix distance. Economic: the realised
variance of the global minimum-variance portfolio built from the forecast.
"""

from __future__ import annotations

import numpy as np

from correlation_platform.linalg import correlation_matrix_distance, frobenius_distance
from correlation_platform.units import TRADING_DAYS

LOSSES = ("frobenius", "qlike", "cmd", "gmv_variance")


def frobenius_losses(predicted: np.ndarray, realized: np.ndarray) -> np.ndarray:
    """Frobenius distance of each forecast to its realised matrix.

    Parameters
    ----------
    predicted : numpy.ndarray
        T x N x N forecasts.
    realized : numpy.ndarray
        T x N x N realised correlations.

    Returns
    -------
    numpy.ndarray
        One loss per forecast.
    """
    return np.array([frobenius_distance(p, r) for p, r in zip(predicted, realized, strict=True)])


def cmd_losses(predicted: np.ndarray, realized: np.ndarray) -> np.ndarray:
    """Correlation matrix distance (Herdin-Bonek) of each forecast to its realised matrix.

    Parameters
    ----------
    predicted : numpy.ndarray
        T x N x N forecasts.
    realized : numpy.ndarray
        T x N x N realised correlations.

    Returns
    -------
    numpy.ndarray
        One loss per forecast.
    """
    return np.array(
        [correlation_matrix_distance(p, r) for p, r in zip(predicted, realized, strict=True)]
    )


def qlike_losses(
    predicted: np.ndarray, realized: np.ndarray, vols: np.ndarray | None = None
) -> np.ndarray:
    """QLIKE (Stein up to a constant): log|S_hat| + tr(S_hat^-1 S), S = D R D.

    Robust to the noise in the realised matrix (Patton 2011) and defined when it is
    singular.

    Parameters
    ----------
    predicted : numpy.ndarray
        T x N x N forecasts.
    realized : numpy.ndarray
        T x N x N realised correlations.
    vols : numpy.ndarray, optional
        T x N volatilities; with them both matrices are scaled to covariances.

    Returns
    -------
    numpy.ndarray
        One loss per forecast.

    References
    ----------
    A. Patton (2011), "Volatility forecast comparison using imperfect volatility proxies",
    Journal of Econometrics 160(1).
    """
    out = np.empty(len(predicted))
    for k, (p, r) in enumerate(zip(predicted, realized, strict=True)):
        if vols is not None:
            d = np.outer(vols[k], vols[k])
            p, r = p * d, r * d
        sign, logdet = np.linalg.slogdet(p)
        out[k] = logdet + np.trace(np.linalg.solve(p, r)) if sign > 0 else np.inf
    return out


def gmv_weights(corr: np.ndarray, vols: np.ndarray) -> np.ndarray:
    """Unconstrained global minimum-variance weights of D R D (closed form).

    Parameters
    ----------
    corr : numpy.ndarray
        N x N correlation.
    vols : numpy.ndarray
        Volatilities.

    Returns
    -------
    numpy.ndarray
        Weights summing to 1.
    """
    cov = corr * np.outer(vols, vols)
    ones = np.ones(len(vols))
    try:
        x = np.linalg.solve(cov, ones)
    except np.linalg.LinAlgError:
        # A forecast on the PSD boundary (a projected one) is singular: it believes in a
        # riskless portfolio, the solution of the bordered KKT system [S 1; 1' 0]. Its
        # realised variance is the loss that belief earns (skipping it would drop the
        # forecast from model selection without a word).
        n = len(vols)
        kkt = np.block([[cov, ones[:, None]], [ones[None, :], np.zeros((1, 1))]])
        x = np.linalg.lstsq(kkt, np.r_[np.zeros(n), 1.0], rcond=None)[0][:n]
    return x / x.sum()


def gmv_variance_losses(
    predicted: np.ndarray, vols: np.ndarray, future_returns: list[np.ndarray]
) -> np.ndarray:
    """Realised variance (annualised) of the GMV portfolio of each forecast over its horizon.

    Parameters
    ----------
    predicted : numpy.ndarray
        T x N x N correlation forecasts.
    vols : numpy.ndarray
        T x N daily volatilities known at each forecast.
    future_returns : list of numpy.ndarray
        The h x N returns of each forecast's holding period.

    Returns
    -------
    numpy.ndarray
        One realised variance per forecast.

    References
    ----------
    R. Engle and R. Colacito (2006), "Testing and valuing dynamic correlations for asset
    allocation", JBES 24(2).
    """
    out = np.empty(len(predicted))
    for k, (p, v, fut) in enumerate(zip(predicted, vols, future_returns, strict=True)):
        w = gmv_weights(p, v)
        out[k] = float(np.var(fut @ w, ddof=1) * TRADING_DAYS)
    return out
