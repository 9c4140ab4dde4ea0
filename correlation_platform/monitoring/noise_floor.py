"""The noise floor: how wrong a perfect correlation forecast looks against an h-day sample.

A forecast is scored against the sample correlation of the next ``horizon`` returns. Even
the true matrix misses that sample by sampling noise alone, and the miss grows with the
number of assets and shrinks with the horizon. Drift rules that ignore it alarm on noise
(short horizons, many assets) or sleep through real breaks (long horizons, few assets).
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np

LOSSES = ("cmd", "frobenius")
# Monte Carlo draws: the standard error of the CMD floor is 2-5% of its value (measured:
# the spread of per-draw losses / sqrt(400), N 5-100, h 21, correlation 0-0.8), well
# inside the drift rule's margin; 500 assets x h 21 costs about 3 s once per correlation.
N_DRAWS = 400
_CHUNK = 25  # draws per batched covariance, bounds memory at 25 x N x N floats
_RHO_DECIMALS = 2  # floors are cached per average correlation rounded to 0.01


def noise_floor(
    n_assets: int,
    horizon: int,
    average_correlation: float,
    *,
    loss: Literal["cmd", "frobenius"] = "cmd",
) -> float:
    """Expected loss of a perfect forecast scored against an h-day realised correlation.

    The true matrix R is equicorrelated at ``average_correlation``; the realised matrix is
    the sample correlation of ``horizon`` Gaussian returns drawn from R (one common factor,
    so a draw costs O(h N^2)). The expectation is a Monte Carlo mean over ``N_DRAWS``
    draws with a fixed seed (deterministic, cached per correlation rounded to 0.01). Fat
    tails and volatility clustering only add noise, so real data sit at or above it.

    Parameters
    ----------
    n_assets : int
        Number of assets N (at least 2).
    horizon : int
        Days in the realised window h (at least 3).
    average_correlation : float
        Average off-diagonal correlation, below 1 (values under 0 are taken as 0: an
        equicorrelation matrix below ``-1/(N-1)`` does not exist).
    loss : {"cmd", "frobenius"}
        Correlation-matrix distance (Herdin & Bonek) or Frobenius distance, as scored by
        :mod:`correlation_platform.evaluation.losses`.

    Returns
    -------
    float
        The expected loss of the true matrix against the h-day sample.

    References
    ----------
    Herdin, M. & Bonek, E. (2005). Correlation matrix distance, a meaningful measure for
    evaluation of non-stationary MIMO channels. IEEE VTC.
    Olkin, I. & Siotani, M. (1976). Asymptotic distribution of functions of a correlation
    matrix. Essays in Probability and Statistics, 235-251 (the large-h limit the tests
    compare against).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if int(n_assets) != n_assets or n_assets < 2:
        raise ValueError(f"n_assets must be an integer >= 2, got {n_assets}")
    if int(horizon) != horizon or horizon < 3:
        raise ValueError(f"horizon must be an integer >= 3, got {horizon}")
    if not np.isfinite(average_correlation) or average_correlation >= 1:
        raise ValueError(
            f"average_correlation must be finite and below 1, got {average_correlation}"
        )
    rho = round(max(float(average_correlation), 0.0), _RHO_DECIMALS)
    cmd, frobenius = _simulated_losses(int(n_assets), int(horizon), min(rho, 0.99))
    return cmd if loss == "cmd" else frobenius


@functools.lru_cache(maxsize=4096)
def _simulated_losses(n_assets: int, horizon: int, rho: float) -> tuple[float, float]:
    """Mean (CMD, Frobenius) of the true equicorrelation matrix vs ``N_DRAWS`` samples."""
    rng = np.random.default_rng([n_assets, horizon, round(rho * 100)])
    norm_true_sq = n_assets + n_assets * (n_assets - 1) * rho**2
    cmd, frob = [], []
    for start in range(0, N_DRAWS, _CHUNK):
        k = min(_CHUNK, N_DRAWS - start)
        common = rng.standard_normal((k, horizon, 1))
        own = rng.standard_normal((k, horizon, n_assets))
        x = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own
        x -= x.mean(axis=1, keepdims=True)
        x /= np.sqrt((x**2).sum(axis=1, keepdims=True))
        c = np.einsum("kti,ktj->kij", x, x)  # sample correlations
        total = c.sum(axis=(1, 2))
        trace_rc = (1.0 - rho) * n_assets + rho * total  # tr(R C) with tr(C) = N
        norm_c_sq = (c**2).sum(axis=(1, 2))
        cmd.append(1.0 - trace_rc / np.sqrt(norm_true_sq * norm_c_sq))
        frob.append(np.sqrt(np.maximum(norm_c_sq - 2.0 * trace_rc + norm_true_sq, 0.0)))
    return float(np.concatenate(cmd).mean()), float(np.concatenate(frob).mean())
