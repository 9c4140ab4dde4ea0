"""Correlation-matrix algebra shared by every layer (L0: imports nothing of ours)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ArrayLike = np.ndarray | pd.DataFrame


def _values(m: ArrayLike) -> np.ndarray:
    return np.asarray(m.values if isinstance(m, pd.DataFrame) else m, dtype=float)


def _like(template: ArrayLike, values: np.ndarray) -> ArrayLike:
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame(values, index=template.index, columns=template.columns)
    return values


def cov_to_corr(cov: ArrayLike) -> tuple[ArrayLike, np.ndarray]:
    """Split a covariance matrix into (correlation, standard deviations).

    Parameters
    ----------
    cov : array_like
        N x N covariance (a DataFrame keeps its labels).

    Returns
    -------
    tuple
        The correlation and the standard deviations.
    """
    c = _values(cov)
    vol = np.sqrt(np.clip(np.diag(c), 0.0, None))
    if np.any(vol == 0):
        raise ValueError("covariance has a zero variance on the diagonal; correlation undefined")
    corr = c / np.outer(vol, vol)
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    return _like(cov, np.clip(corr, -1.0, 1.0)), vol


def corr_to_cov(corr: ArrayLike, vol: np.ndarray | pd.Series) -> ArrayLike:
    """Covariance D R D from a correlation matrix and a vector of standard deviations.

    Parameters
    ----------
    corr : array_like
        N x N correlation (a DataFrame keeps its labels).
    vol : numpy.ndarray or pandas.Series
        Standard deviations.

    Returns
    -------
    array_like
        The covariance, same type as ``corr``.
    """
    v = np.asarray(vol, dtype=float)
    return _like(corr, _values(corr) * np.outer(v, v))


def min_eigenvalue(m: ArrayLike) -> float:
    """Smallest eigenvalue of the symmetrised matrix.

    Parameters
    ----------
    m : array_like
        A square matrix.

    Returns
    -------
    float
        The minimum eigenvalue.
    """
    v = _values(m)
    return float(np.linalg.eigvalsh((v + v.T) / 2)[0])


def correlation_violations(m: ArrayLike, *, tol: float = 1e-8) -> list[str]:
    """Every rule a correlation matrix breaks, in words (empty when it is valid).

    Parameters
    ----------
    m : array_like
        The candidate matrix.
    tol : float, default 1e-8
        Tolerance of each rule (symmetry, unit diagonal, range, PSD).

    Returns
    -------
    list of str
        One sentence per broken rule.
    """
    v = _values(m)
    problems: list[str] = []
    if v.ndim != 2 or v.shape[0] != v.shape[1]:
        return [f"not square: shape {v.shape}"]
    if not np.all(np.isfinite(v)):
        return ["contains NaN or infinite entries"]
    if np.max(np.abs(v - v.T)) > tol:
        problems.append(f"not symmetric (max |R - R'| = {np.max(np.abs(v - v.T)):.3g})")
    if np.max(np.abs(np.diag(v) - 1.0)) > tol:
        problems.append("diagonal is not 1")
    if np.max(np.abs(v)) > 1.0 + tol:
        problems.append(f"entries outside [-1, 1] (max |r| = {np.max(np.abs(v)):.6g})")
    lam = min_eigenvalue(v)
    if lam < -tol * max(1.0, v.shape[0]):
        problems.append(f"not positive semi-definite (min eigenvalue {lam:.3g})")
    return problems


def is_correlation_matrix(m: ArrayLike, *, tol: float = 1e-8) -> bool:
    """Whether a matrix is a valid correlation matrix.

    Parameters
    ----------
    m : array_like
        The candidate.
    tol : float, default 1e-8
        Tolerance of each rule (see :func:`correlation_violations`).

    Returns
    -------
    bool
        True when no rule is broken.
    """
    return not correlation_violations(m, tol=tol)


def nearest_correlation(
    a: ArrayLike, *, tol: float = 1e-10, max_iter: int = 500, min_eigenvalue: float = 0.0
) -> ArrayLike:
    """Nearest correlation matrix in Frobenius norm (alternating projections).

    Dykstra-corrected projections onto the PSD cone and the unit-diagonal set. A small
    ``min_eigenvalue`` floor keeps the result strictly positive definite when a Cholesky
    factor is needed downstream.

    Parameters
    ----------
    a : array_like
        A symmetric matrix.
    tol : float, default 1e-10
        Convergence tolerance on successive iterates.
    max_iter : int, default 500
        Iterations allowed.
    min_eigenvalue : float, default 0.0
        Floor of the eigenvalues of the result.

    Returns
    -------
    array_like
        The nearest correlation matrix, same type as ``a``.

    References
    ----------
    N. Higham (2002), "Computing the nearest correlation matrix: a problem from finance",
    IMA Journal of Numerical Analysis 22(3).
    """
    x = _values(a)
    x = (x + x.T) / 2
    y = x.copy()
    ds = np.zeros_like(x)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh(r)
        x_new = (v * np.maximum(w, min_eigenvalue)) @ v.T
        x_new = (x_new + x_new.T) / 2
        ds = x_new - r
        y_new = x_new.copy()
        np.fill_diagonal(y_new, 1.0)
        change = np.linalg.norm(y_new - y, "fro") / max(np.linalg.norm(y_new, "fro"), 1e-300)
        y = y_new
        if change < tol:
            break
    # The last projection sets the unit diagonal; one eigenvalue clip plus rescale removes
    # the tiny negative eigenvalues that remain at the convergence tolerance.
    w, v = np.linalg.eigh(y)
    if w[0] < min_eigenvalue:
        y = (v * np.maximum(w, min_eigenvalue)) @ v.T
        d = np.sqrt(np.diag(y))
        y = y / np.outer(d, d)
    y = np.clip((y + y.T) / 2, -1.0, 1.0)
    np.fill_diagonal(y, 1.0)
    return _like(a, y)


@dataclass(frozen=True)
class Repair:
    """A repaired correlation matrix and what the repair had to fix.

    Attributes
    ----------
    matrix : numpy.ndarray
        The valid correlation matrix.
    min_eigenvalue_before : float
        Minimum eigenvalue of the symmetrised input.
    repaired : bool
        Whether a projection was needed.
    """

    matrix: np.ndarray
    min_eigenvalue_before: float
    repaired: bool


def repair_correlation(m: ArrayLike, *, tol: float = 1e-10) -> Repair:
    """Symmetrise, unit-diagonalise and, only if needed, project to the nearest correlation.

    Parameters
    ----------
    m : array_like
        A raw forecast.
    tol : float, default 1e-10
        Eigenvalues down to -tol are accepted without a projection.

    Returns
    -------
    Repair
        The valid matrix and what was fixed.
    """
    v = _values(m)
    v = (v + v.T) / 2
    d = np.sqrt(np.clip(np.diag(v), 1e-300, None))
    v = v / np.outer(d, d)
    np.fill_diagonal(v, 1.0)
    lam = min_eigenvalue(v)
    if lam >= -tol and np.max(np.abs(v)) <= 1.0:
        return Repair(matrix=np.clip(v, -1.0, 1.0), min_eigenvalue_before=lam, repaired=False)
    return Repair(
        matrix=np.asarray(nearest_correlation(v)), min_eigenvalue_before=lam, repaired=True
    )


def correlation_matrix_distance(r1: ArrayLike, r2: ArrayLike) -> float:
    """Herdin-Bonek distance 1 - tr(R1 R2) / (||R1||_F ||R2||_F), in [0, 1].

    Parameters
    ----------
    r1, r2 : array_like
        N x N correlation matrices.

    Returns
    -------
    float
        0 for proportional matrices, 1 for orthogonal ones.

    References
    ----------
    M. Herdin and E. Bonek (2005), "A MIMO correlation matrix based metric for
    characterizing non-stationarity".
    """
    a, b = _values(r1), _values(r2)
    return float(1.0 - np.trace(a @ b) / (np.linalg.norm(a, "fro") * np.linalg.norm(b, "fro")))


def frobenius_distance(r1: ArrayLike, r2: ArrayLike) -> float:
    """Frobenius norm of the difference of two matrices.

    Parameters
    ----------
    r1, r2 : array_like
        Same-shape matrices.

    Returns
    -------
    float
        ||r1 - r2||_F.
    """
    return float(np.linalg.norm(_values(r1) - _values(r2), "fro"))


def fisher_z(r: np.ndarray, clip: float = 0.999999) -> np.ndarray:
    """Fisher's z = arctanh(r), with r clipped to [-clip, clip] first.

    Parameters
    ----------
    r : numpy.ndarray
        Correlations.
    clip : float, default 0.999999
        Largest |r| used (z is infinite at 1).

    Returns
    -------
    numpy.ndarray
        z, same shape.
    """
    return np.arctanh(np.clip(r, -clip, clip))


def inverse_fisher_z(z: np.ndarray) -> np.ndarray:
    """Correlation r = tanh(z) from Fisher's z.

    Parameters
    ----------
    z : numpy.ndarray
        Fisher z values.

    Returns
    -------
    numpy.ndarray
        Correlations in (-1, 1).
    """
    return np.tanh(z)


def upper_pairs(columns: list[str] | pd.Index) -> list[tuple[str, str]]:
    """Asset pairs (i < j) in the order of ``np.triu_indices(n, 1)``.

    Parameters
    ----------
    columns : list of str or pandas.Index
        Asset names.

    Returns
    -------
    list of tuple
        The pairs.
    """
    cols = list(columns)
    i, j = np.triu_indices(len(cols), 1)
    return [(cols[a], cols[b]) for a, b in zip(i, j, strict=True)]


def matrices_to_pairs(
    matrices: np.ndarray, dates: pd.Index, columns: list[str] | pd.Index
) -> pd.DataFrame:
    """Stack T x N x N correlation matrices into a T x N(N-1)/2 frame (Parquet friendly).

    Parameters
    ----------
    matrices : numpy.ndarray
        T x N x N matrices.
    dates : pandas.Index
        The T row labels.
    columns : list of str or pandas.Index
        The N asset names.

    Returns
    -------
    pandas.DataFrame
        One column per pair ``a|b`` (i < j).
    """
    n = len(columns)
    i, j = np.triu_indices(n, 1)
    names = [f"{a}|{b}" for a, b in upper_pairs(columns)]
    return pd.DataFrame(np.asarray(matrices)[:, i, j], index=dates, columns=names)


def pairs_to_matrices(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Inverse of :func:`matrices_to_pairs`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One column per pair ``a|b``.

    Returns
    -------
    tuple
        The T x N x N array and the asset names.
    """
    pairs = [c.split("|") for c in frame.columns]
    assets: list[str] = []
    for a, b in pairs:
        for x in (a, b):
            if x not in assets:
                assets.append(x)
    n = len(assets)
    pos = {a: k for k, a in enumerate(assets)}
    out = np.repeat(np.eye(n)[None, :, :], len(frame), axis=0)
    vals = frame.to_numpy(dtype=float)
    for col, (a, b) in enumerate(pairs):
        out[:, pos[a], pos[b]] = vals[:, col]
        out[:, pos[b], pos[a]] = vals[:, col]
    return out, assets
