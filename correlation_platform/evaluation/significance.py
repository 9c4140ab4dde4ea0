"""Is a Sharpe ratio, or a difference of two, real? Tests on portfolio return series.

Every test takes plain return series (per period, e.g. daily; no risk-free rate, so pass
excess returns if one matters) and returns a frozen dataclass with at least the estimate,
``statistic`` and ``pvalue``. Sharpe ratios are **per period** (mean / standard deviation
of the series as given); multiply by sqrt(252) to annualise daily ones.

- :func:`sharpe_difference_test`: Ledoit and Wolf (2008), robust to heavy tails, serial
  correlation and volatility clustering; ``method="hac"`` (delta method with a Newey-West
  long-run covariance) or ``"bootstrap"`` (studentised circular block bootstrap).
- :func:`jobson_korkie_memmel`: Jobson and Korkie (1981) with Memmel's (2003) correction;
  valid **only for iid normal returns** (it says so in its result).
- :func:`probabilistic_sharpe_ratio` and :func:`deflated_sharpe_ratio`: Bailey and Lopez
  de Prado (2012, 2014), with skewness and kurtosis; the deflated ratio corrects for the
  number of configurations tried.
- :func:`holm_adjust`: Holm's (1979) step-down adjustment across several families.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Euler-Mascheroni constant of the expected maximum of K Gaussian Sharpe ratios (DSR).
EULER_GAMMA = 0.5772156649015329
#: Bootstrap replications: the p-value's Monte Carlo error is about 0.007 at p = 0.05.
BOOTSTRAP_REPS = 999
#: Fewer paired returns than this make every test here meaningless.
MIN_OBSERVATIONS = 10
#: Bootstrap resamples held in memory at once (128 x T x 4 floats: 18 MB at T = 4,500).
BOOTSTRAP_CHUNK = 128
SHARPE_METHODS = ("hac", "bootstrap")


@dataclass(frozen=True)
class SharpeDifferenceTest:
    """Result of a test of equal Sharpe ratios (a minus b, per period).

    Attributes
    ----------
    sharpe_a, sharpe_b : float
        Per-period Sharpe ratios of the two series.
    difference : float
        ``sharpe_a - sharpe_b``.
    statistic : float
        Studentised difference (difference / standard error).
    pvalue : float
        Two-sided p-value of equal Sharpe ratios.
    standard_error : float
        Standard error of the difference.
    method : str
        ``"hac"``, ``"bootstrap"`` or ``"jobson_korkie_memmel"``.
    assumption : str
        What the test assumes about the returns.
    details : str
        Kernel, lag and block-size choices actually used.
    """

    sharpe_a: float
    sharpe_b: float
    difference: float
    statistic: float
    pvalue: float
    standard_error: float
    method: str
    assumption: str
    details: str = ""


@dataclass(frozen=True)
class SharpeRatioTest:
    """Probabilistic (or deflated) Sharpe ratio of one series.

    Attributes
    ----------
    sharpe : float
        Per-period Sharpe ratio.
    benchmark_sharpe : float
        The per-period Sharpe ratio it is compared with (for the deflated ratio, the
        expected maximum of ``n_trials`` unskilled trials).
    probability : float
        P(true Sharpe > benchmark_sharpe), in [0, 1].
    statistic : float
        The z-score behind ``probability``.
    pvalue : float
        ``1 - probability`` (one-sided test of skill).
    n_trials : int
        Configurations tried (1 for the probabilistic Sharpe ratio).
    """

    sharpe: float
    benchmark_sharpe: float
    probability: float
    statistic: float
    pvalue: float
    n_trials: int = 1


def _paired(returns_a, returns_b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(returns_a, pd.Series) and isinstance(returns_b, pd.Series):
        joined = pd.concat([returns_a, returns_b], axis=1, join="inner").dropna()
        a, b = joined.iloc[:, 0].to_numpy(float), joined.iloc[:, 1].to_numpy(float)
    else:
        a, b = np.asarray(returns_a, dtype=float), np.asarray(returns_b, dtype=float)
        if a.shape != b.shape or a.ndim != 1:
            raise ValueError(
                f"paired return series must be 1-D of equal length: {a.shape}, {b.shape}"
            )
        keep = np.isfinite(a) & np.isfinite(b)
        a, b = a[keep], b[keep]
    if len(a) < MIN_OBSERVATIONS:
        raise ValueError(f"need at least {MIN_OBSERVATIONS} paired returns, got {len(a)}")
    return a, b


def newey_west_lags(n_obs: int) -> int:
    """Newey and West's (1994) plug-in lag rule for the Bartlett kernel: floor(4 (T/100)^(2/9)).

    Parameters
    ----------
    n_obs : int
        Sample size T.

    Returns
    -------
    int
        The lag order.
    """
    return int(np.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0)))


def block_size_rule(n_obs: int) -> int:
    """Circular block length for the bootstrap: round(T^(1/3)), at least 2.

    The rate that minimises the bootstrap variance estimator's error for smooth functions
    of means.

    Parameters
    ----------
    n_obs : int
        Sample size T.

    Returns
    -------
    int
        The block length.
    """
    return max(2, round(n_obs ** (1.0 / 3.0)))


def _moments(y: np.ndarray) -> np.ndarray:
    """Means of (r_a, r_b, r_a^2, r_b^2): the four moments the Sharpe ratios are built of."""
    return y.mean(axis=0)


def _gradient(v: np.ndarray) -> np.ndarray:
    """Gradient of SR_a - SR_b = mu_a / sqrt(g_a - mu_a^2) - mu_b / sqrt(g_b - mu_b^2)."""
    mu_a, mu_b, g_a, g_b = v
    va, vb = g_a - mu_a**2, g_b - mu_b**2
    return np.array([g_a / va**1.5, -g_b / vb**1.5, -0.5 * mu_a / va**1.5, 0.5 * mu_b / vb**1.5])


def _sharpe_pair(v: np.ndarray) -> tuple[float, float]:
    mu_a, mu_b, g_a, g_b = v
    with np.errstate(invalid="ignore", divide="ignore"):  # zero variance: NaN, refused later
        return mu_a / np.sqrt(g_a - mu_a**2), mu_b / np.sqrt(g_b - mu_b**2)


def _hac_covariance(y: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett kernel) long-run covariance of the rows of ``y``."""
    t = len(y)
    dev = y - y.mean(axis=0)
    psi = dev.T @ dev / t
    for k in range(1, lags + 1):
        gamma = dev[k:].T @ dev[:-k] / t
        psi += (1.0 - k / (lags + 1.0)) * (gamma + gamma.T)
    return psi


def sharpe_difference_test(
    returns_a,
    returns_b,
    *,
    method: str = "hac",
    lags: int | None = None,
    block_size: int | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> SharpeDifferenceTest:
    """Ledoit-Wolf (2008) test of equal Sharpe ratios of two paired return series.

    Parameters
    ----------
    returns_a, returns_b : pd.Series or array-like
        Paired per-period returns (Series are aligned on their index; NaN rows dropped).
    method : {"hac", "bootstrap"}
        ``"hac"``: the delta method on the four moments (means and uncentred second
        moments) with a Newey-West (Bartlett kernel) long-run covariance, ``lags`` by the
        Newey-West (1994) rule floor(4 (T/100)^(2/9)); normal p-value.
        ``"bootstrap"``: studentised circular block bootstrap (Ledoit-Wolf 2008, section
        3.2): ``reps`` resamples with blocks of ``block_size`` (default round(T^(1/3))),
        each studentised by the block-based standard error; p-value
        (1 + #{|d* - d| / se* >= |d| / se}) / (reps + 1).
    lags : int, optional
        Newey-West lags (``"hac"``, and the original standard error of ``"bootstrap"``).
    block_size : int, optional
        Bootstrap block length.
    reps : int
        Bootstrap replications.
    seed : int
        Seed of the bootstrap's generator (deterministic results).

    Returns
    -------
    SharpeDifferenceTest

    References
    ----------
    Ledoit, O. and Wolf, M. (2008). Robust performance hypothesis testing with the Sharpe
    ratio. Journal of Empirical Finance 15(5), 850-859.
    """
    if method not in SHARPE_METHODS:
        raise ValueError(f"unknown method {method!r}; available: {SHARPE_METHODS}")
    a, b = _paired(returns_a, returns_b)
    y = np.column_stack([a, b, a**2, b**2])
    t = len(y)
    v = _moments(y)
    sr_a, sr_b = _sharpe_pair(v)
    if not (np.isfinite(sr_a) and np.isfinite(sr_b)):
        raise ValueError("a return series has zero variance: its Sharpe ratio is undefined")
    diff = float(sr_a - sr_b)
    lags = newey_west_lags(t) if lags is None else int(lags)
    grad = _gradient(v)
    se = float(np.sqrt(max(grad @ _hac_covariance(y, lags) @ grad, 0.0) / t))
    stat = diff / se if se > 0 else (0.0 if diff == 0 else np.sign(diff) * np.inf)
    if method == "hac":
        pvalue = float(2.0 * stats.norm.sf(abs(stat)))
        details = f"Bartlett kernel, {lags} lags (Newey-West 1994 rule)"
        return SharpeDifferenceTest(
            sharpe_a=float(sr_a),
            sharpe_b=float(sr_b),
            difference=diff,
            statistic=float(stat),
            pvalue=pvalue,
            standard_error=se,
            method="hac",
            assumption="stationary returns; heavy tails and serial dependence allowed",
            details=details,
        )
    block = block_size_rule(t) if block_size is None else int(block_size)
    if block < 1 or block > t:
        raise ValueError(f"block_size must be in [1, {t}], got {block}")
    n_blocks = int(np.ceil(t / block))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, t, size=(reps, n_blocks))
    offsets = np.arange(block)
    exceed = usable = 0
    for chunk in np.array_split(starts, max(1, reps // BOOTSTRAP_CHUNK)):
        idx = (chunk[:, :, None] + offsets).reshape(len(chunk), -1)[:, :t] % t  # circular
        boot = y[idx]  # chunk x T x 4
        v_star = boot.mean(axis=1)
        mu_a, mu_b, g_a, g_b = v_star.T
        with np.errstate(invalid="ignore", divide="ignore"):
            va, vb = g_a - mu_a**2, g_b - mu_b**2
            d_star = mu_a / np.sqrt(va) - mu_b / np.sqrt(vb)
            grads = np.column_stack(
                [g_a / va**1.5, -g_b / vb**1.5, -0.5 * mu_a / va**1.5, 0.5 * mu_b / vb**1.5]
            )
            # The "natural" block standard error of each resample (its blocks are iid).
            whole = (t // block) * block
            dev = boot[:, :whole] - v_star[:, None, :]
            zeta = dev.reshape(len(chunk), -1, block, 4).sum(axis=2) / np.sqrt(block)
            psi = np.einsum("rki,rkj->rij", zeta, zeta) / zeta.shape[1]
            se_star = np.sqrt(np.einsum("ri,rij,rj->r", grads, psi, grads) / t)
            ok = np.isfinite(d_star) & np.isfinite(se_star) & (se_star > 0)
            usable += int(ok.sum())
            exceed += int(np.sum(np.abs(d_star[ok] - diff) / se_star[ok] >= abs(stat)))
    pvalue = (exceed + 1) / (usable + 1)
    details = (
        f"circular blocks of {block} days (rule round(T^(1/3))), {usable} resamples, "
        f"original s.e. Bartlett {lags} lags"
    )
    return SharpeDifferenceTest(
        sharpe_a=float(sr_a),
        sharpe_b=float(sr_b),
        difference=diff,
        statistic=float(stat),
        pvalue=float(pvalue),
        standard_error=se,
        method="bootstrap",
        assumption="stationary, weakly dependent returns; heavy tails allowed",
        details=details,
    )


def jobson_korkie_memmel(returns_a, returns_b) -> SharpeDifferenceTest:
    """Jobson-Korkie (1981) test of equal Sharpe ratios with Memmel's (2003) correction.

    Tests sigma_b mu_a - sigma_a mu_b = 0 with the asymptotic variance
    theta = (2 s_a^2 s_b^2 - 2 s_a s_b s_ab + mu_a^2 s_b^2 / 2 + mu_b^2 s_a^2 / 2
    - mu_a mu_b (s_ab^2 + s_a^2 s_b^2) / (2 s_a s_b)) / T (moments with divisor T).
    **Assumes iid normal returns**: under heavy tails or volatility clustering its size
    is wrong; prefer :func:`sharpe_difference_test`.

    Parameters
    ----------
    returns_a, returns_b : pd.Series or array-like
        Paired per-period returns.

    Returns
    -------
    SharpeDifferenceTest

    References
    ----------
    Jobson, J. D. and Korkie, B. M. (1981). Performance hypothesis testing with the Sharpe
    and Treynor measures. Journal of Finance 36(4), 889-908.
    Memmel, C. (2003). Performance hypothesis testing with the Sharpe ratio. Finance
    Letters 1, 21-23.
    """
    a, b = _paired(returns_a, returns_b)
    t = len(a)
    mu_a, mu_b = a.mean(), b.mean()
    s_a, s_b = a.std(), b.std()
    s_ab = float(np.mean((a - mu_a) * (b - mu_b)))
    if s_a <= 0 or s_b <= 0:
        raise ValueError("a return series has zero variance: its Sharpe ratio is undefined")
    theta = (
        2 * s_a**2 * s_b**2
        - 2 * s_a * s_b * s_ab
        + 0.5 * mu_a**2 * s_b**2
        + 0.5 * mu_b**2 * s_a**2
        - mu_a * mu_b / (2 * s_a * s_b) * (s_ab**2 + s_a**2 * s_b**2)
    ) / t
    num = s_b * mu_a - s_a * mu_b
    stat = num / np.sqrt(theta) if theta > 0 else (0.0 if num == 0 else np.sign(num) * np.inf)
    sr_a, sr_b = mu_a / s_a, mu_b / s_b
    se = float(np.sqrt(theta) / (s_a * s_b)) if theta > 0 else 0.0
    return SharpeDifferenceTest(
        sharpe_a=float(sr_a),
        sharpe_b=float(sr_b),
        difference=float(sr_a - sr_b),
        statistic=float(stat),
        pvalue=float(2.0 * stats.norm.sf(abs(stat))),
        standard_error=se,
        method="jobson_korkie_memmel",
        assumption="iid normal returns (not robust to heavy tails or volatility clustering)",
    )


def _psr(r: np.ndarray, benchmark_sharpe: float) -> tuple[float, float, float]:
    t = len(r)
    if t < MIN_OBSERVATIONS:
        raise ValueError(f"need at least {MIN_OBSERVATIONS} returns, got {t}")
    sd = r.std(ddof=1)
    if not sd > 0:
        raise ValueError("the return series has zero variance: its Sharpe ratio is undefined")
    sr = r.mean() / sd
    skew = float(stats.skew(r))
    kurt = float(stats.kurtosis(r, fisher=False))
    denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    z = (sr - benchmark_sharpe) * np.sqrt(t - 1.0) / np.sqrt(max(denom, 1e-12))
    return float(sr), float(z), float(stats.norm.cdf(z))


def probabilistic_sharpe_ratio(returns, *, benchmark_sharpe: float = 0.0) -> SharpeRatioTest:
    """Probability that the true per-period Sharpe ratio exceeds ``benchmark_sharpe``.

    PSR = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)), with the
    sample skewness g3 and (non-excess) kurtosis g4 of the returns.

    Parameters
    ----------
    returns : pd.Series or array-like
        Per-period returns (NaN dropped).
    benchmark_sharpe : float
        Per-period Sharpe ratio to beat (0: any skill at all).

    Returns
    -------
    SharpeRatioTest

    References
    ----------
    Bailey, D. H. and Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier.
    Journal of Risk 15(2), 3-44.
    """
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    sr, z, p = _psr(r, float(benchmark_sharpe))
    return SharpeRatioTest(
        sharpe=sr,
        benchmark_sharpe=float(benchmark_sharpe),
        probability=p,
        statistic=z,
        pvalue=1.0 - p,
        n_trials=1,
    )


def expected_maximum_sharpe(n_trials: int, trials_sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials.

    sqrt(V) ((1 - g) Phi^-1(1 - 1/K) + g Phi^-1(1 - 1/(K e))), g the Euler-Mascheroni
    constant.

    Parameters
    ----------
    n_trials : int
        K, the configurations tried.
    trials_sharpe_variance : float
        V, the variance of the trials' Sharpe ratios.

    Returns
    -------
    float
        The expected maximum.

    References
    ----------
    D. Bailey and M. Lopez de Prado (2014), "The deflated Sharpe ratio", Journal of
    Portfolio Management 40(5).
    """
    if int(n_trials) < 2:
        raise ValueError(f"n_trials must be >= 2 (configurations tried), got {n_trials}")
    if not trials_sharpe_variance >= 0:
        raise ValueError(f"trials_sharpe_variance must be >= 0, got {trials_sharpe_variance}")
    k = float(n_trials)
    return float(
        np.sqrt(trials_sharpe_variance)
        * (
            (1.0 - EULER_GAMMA) * stats.norm.ppf(1.0 - 1.0 / k)
            + EULER_GAMMA * stats.norm.ppf(1.0 - 1.0 / (k * np.e))
        )
    )


def deflated_sharpe_ratio(returns, n_trials: int, trials_sharpe_variance: float) -> SharpeRatioTest:
    """Probabilistic Sharpe ratio against the best Sharpe ratio luck alone would give.

    Parameters
    ----------
    returns : pd.Series or array-like
        Per-period returns of the selected configuration.
    n_trials : int
        K, the number of configurations actually tried (families x tuning grid points),
        at least 2.
    trials_sharpe_variance : float
        Variance of the per-period Sharpe ratios across the trials.

    Returns
    -------
    SharpeRatioTest
        ``benchmark_sharpe`` is the expected maximum Sharpe ratio of ``n_trials``
        unskilled trials; ``probability`` is the DSR.

    References
    ----------
    Bailey, D. H. and Lopez de Prado, M. (2014). The deflated Sharpe ratio: correcting for
    selection bias, backtest overfitting and non-normality. Journal of Portfolio
    Management 40(5), 94-107.
    """
    sr0 = expected_maximum_sharpe(n_trials, trials_sharpe_variance)
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    sr, z, p = _psr(r, sr0)
    return SharpeRatioTest(
        sharpe=sr,
        benchmark_sharpe=sr0,
        probability=p,
        statistic=z,
        pvalue=1.0 - p,
        n_trials=int(n_trials),
    )


def holm_adjust(pvalues) -> np.ndarray | pd.Series:
    """Holm's (1979) step-down adjusted p-values (family-wise error control).

    Parameters
    ----------
    pvalues : array-like or pd.Series
        Raw p-values (NaN kept as NaN and not counted).

    Returns
    -------
    ndarray or pd.Series
        Adjusted p-values, same shape (and index) as the input.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6(2), 65-70.
    """
    raw = np.asarray(pvalues, dtype=float)
    out = np.full(raw.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(raw))
    m = len(ok)
    if m:
        order = ok[np.argsort(raw[ok], kind="stable")]
        stepped = raw[order] * (m - np.arange(m))
        out[order] = np.minimum(np.maximum.accumulate(stepped), 1.0)
    if isinstance(pvalues, pd.Series):
        return pd.Series(out, index=pvalues.index, name=pvalues.name)
    return out
