"""Optimiser inputs besides correlation: volatility forecasts, expected returns, D R D."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlation_platform.linalg import corr_to_cov

log = logging.getLogger(__name__)
VOLATILITY_MODELS = ("garch", "ewma")
EXPECTED_RETURNS = ("zero", "historical", "james_stein")


#: Consecutive exactly-zero returns from which a price counts as frozen (a halted or stale
#: feed, not a calm market): from the FROZEN_RUN-th zero on, days are left out of the
#: volatility estimate, so a stale price cannot make an asset look riskless.
FROZEN_RUN = 5


def frozen_days(returns: pd.DataFrame, run: int = FROZEN_RUN) -> pd.DataFrame:
    """True where a return is the ``run``-th or later of consecutive exact zeros.

    Causal: whether day t is frozen depends on days up to t only.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    run : int, default FROZEN_RUN
        Consecutive zeros that make a price frozen.

    Returns
    -------
    pandas.DataFrame
        Boolean, same shape as ``returns``.
    """
    zero = returns.to_numpy(dtype=float) == 0.0
    count = np.cumsum(zero, axis=0)
    # Length of the run of zeros ending at each row: zeros so far minus those before the
    # last non-zero day.
    at_reset = np.maximum.accumulate(np.where(zero, 0, count), axis=0)
    return pd.DataFrame(count - at_reset >= run, index=returns.index, columns=returns.columns)


def _volatility_returns(returns: pd.DataFrame) -> pd.DataFrame:
    return returns.mask(frozen_days(returns))


def masked_ewma_volatility(returns: pd.DataFrame, *, halflife: float = 21.0) -> pd.DataFrame:
    """Daily EWMA volatility (zero mean, causal) that holds its level through frozen days.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    halflife : float, default 21.0
        EWMA half-life in days.

    Returns
    -------
    pandas.DataFrame
        Daily volatility per asset and date.
    """
    squared = _volatility_returns(returns) ** 2
    return np.sqrt(squared.ewm(halflife=halflife, adjust=True, ignore_na=True).mean())


def ewma_volatility_forecast(returns: pd.DataFrame, *, halflife: float = 21.0) -> pd.Series:
    """Daily volatility forecast per asset.

    EWMA of squared returns up to the last row (frozen-price days left out, see
    :data:`FROZEN_RUN`).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    halflife : float, default 21.0
        EWMA half-life in days.

    Returns
    -------
    pandas.Series
        Daily volatility per asset at the last row.
    """
    vol = masked_ewma_volatility(returns, halflife=halflife).iloc[-1].rename("daily_volatility")
    frozen = frozen_days(returns).iloc[-1]
    if frozen.any():
        log.warning(
            "frozen prices (%d+ unchanged closes) for %s: volatility held at its level before",
            FROZEN_RUN,
            list(frozen.index[frozen]),
        )
    return vol


def _fit_garch(series):
    """The constant-mean GARCH(1,1) fit of percent returns, by arch.

    RuntimeError when it did not converge or is non-stationary (alpha + beta >= 1).
    Shared by the daily forecast and the backtest's path, so both accept and refuse the
    same fits.
    """
    from arch import arch_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = arch_model(
            series, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=False
        ).fit(disp="off", show_warning=False)
    if res.convergence_flag != 0:
        raise RuntimeError(f"optimizer flag {res.convergence_flag}")
    persistence = float(res.params.iloc[2] + res.params.iloc[3])
    if persistence >= 1.0:
        raise RuntimeError(f"alpha + beta = {persistence:.3f} >= 1")
    return res


@dataclass(frozen=True)
class VolatilityForecast:
    """A volatility forecast per asset and the model that made each.

    Attributes
    ----------
    daily_volatility : pandas.Series
        Daily volatility per asset.
    model : pandas.Series
        ``"garch"`` or ``"ewma"`` (the fallback) per asset.
    """

    daily_volatility: pd.Series
    model: pd.Series  # per asset: "garch" or "ewma (reason)"


def garch_volatility_forecast(
    returns: pd.DataFrame, *, horizon: int = 21, window: int = 1500
) -> VolatilityForecast:
    """Per-asset GARCH(1,1) volatility over the next ``horizon`` days, EWMA as fallback.

    The square root of the average GARCH variance; EWMA where GARCH fails to converge or
    is non-stationary (alpha + beta >= 1). Fitted on the last ``window`` returns, in
    percent (arch's preferred scale).

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily returns.
    horizon : int, default 21
        Days the variance is averaged over.
    window : int, default 1500
        Trailing returns per fit.

    Returns
    -------
    VolatilityForecast
        Daily volatility per asset and the model used for each.

    References
    ----------
    T. Bollerslev (1986), "Generalized autoregressive conditional heteroskedasticity",
    Journal of Econometrics 31(3).
    """
    ewma = ewma_volatility_forecast(returns)
    vols, models = {}, {}
    for asset in returns.columns:
        series = _volatility_returns(returns[[asset]])[asset].iloc[-window:].dropna() * 100.0
        try:
            res = _fit_garch(series)
            path = res.forecast(horizon=horizon, reindex=False).variance.iloc[-1].to_numpy()
            vols[asset] = float(np.sqrt(path.mean())) / 100.0
            models[asset] = "garch"
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            vols[asset] = float(ewma[asset])
            models[asset] = f"ewma ({exc})"
            log.warning("GARCH failed for %s, EWMA used instead: %s", asset, exc)
    return VolatilityForecast(
        pd.Series(vols, name="daily_volatility"), pd.Series(models, name="model")
    )


#: Trailing rows the expected-return estimators see (five years of daily data).
EXPECTED_RETURNS_WINDOW = 1260


def expected_return_vector(x: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    """Daily expected returns of a trailing window and the James-Stein intensity.

    ``historical`` is the sample mean; ``james_stein`` shrinks it towards the
    cross-sectional grand mean with intensity min(1, (N - 3) s^2 / (T ||mu - g||^2)), s^2
    the average sample variance; ``zero`` is zero.

    Parameters
    ----------
    x : numpy.ndarray
        The trailing window of returns, T x N.
    method : {"historical", "james_stein", "zero"}
        The estimator.

    Returns
    -------
    tuple of (numpy.ndarray, float)
        Expected returns and the shrinkage intensity (NaN for the other methods).

    References
    ----------
    W. James and C. Stein (1961), "Estimation with quadratic loss"; P. Jorion (1986),
    "Bayes-Stein estimation for portfolio analysis", JFQA 21(3).
    """
    if method not in EXPECTED_RETURNS:
        raise ValueError(
            f"unknown expected-return method {method!r}; available: {EXPECTED_RETURNS}"
        )
    if method == "zero":
        return np.zeros(x.shape[1]), float("nan")
    mu = x.mean(axis=0)
    if method == "historical":
        return mu, float("nan")
    n, t = x.shape[1], len(x)
    grand = mu.mean()
    spread = float(((mu - grand) ** 2).sum())
    noise = float(x.var(axis=0, ddof=1).mean()) / t
    intensity = min(1.0, max(0.0, (n - 3) * noise / spread)) if spread > 0 else 1.0
    return (1 - intensity) * mu + intensity * grand, intensity


def expected_returns(
    returns: pd.DataFrame,
    *,
    method: str = "james_stein",
    views: pd.Series | None = None,
    window: int = EXPECTED_RETURNS_WINDOW,
) -> pd.Series:
    """Daily expected returns per asset from the last ``window`` rows.

    Parameters
    ----------
    returns : pd.DataFrame
        Daily returns, one column per asset.
    method : {"zero", "historical", "james_stein"}
        See :func:`expected_return_vector`.
    views : pd.Series, optional
        Asset -> daily return, overriding the estimate where given.
    window : int
        Trailing rows used.

    Returns
    -------
    pd.Series
        Named ``expected_return``; ``attrs["shrinkage"]`` holds the James-Stein intensity.
    """
    vector, intensity = expected_return_vector(returns.iloc[-window:].to_numpy(float), method)
    mu = pd.Series(vector, index=returns.columns)
    if method == "james_stein":
        mu.attrs["shrinkage"] = intensity
    if views is not None:
        unknown = sorted(set(views.index) - set(returns.columns))
        if unknown:
            raise ValueError(f"views for unknown assets {unknown}")
        mu = mu.copy()
        mu.loc[views.index] = views.to_numpy(float)
    return mu.rename("expected_return")


def covariance_from(correlation: pd.DataFrame, volatility: pd.Series) -> pd.DataFrame:
    """Covariance D R D from a correlation matrix and volatilities.

    Parameters
    ----------
    correlation : pandas.DataFrame
        N x N correlation.
    volatility : pandas.Series
        Volatility per asset (any horizon; the covariance has its units squared).

    Returns
    -------
    pandas.DataFrame
        The covariance, labelled like ``correlation``.
    """
    vol = volatility.reindex(correlation.columns).to_numpy(float)
    return corr_to_cov(correlation, vol)


#: Returns (rows) the GARCH fit of a path sees at most, as in the daily chain.
GARCH_WINDOW = 1500
#: Fewer rows than this make a GARCH(1,1) fit meaningless: EWMA is used instead.
GARCH_MIN_ROWS = 250
#: arch's backcast: exponentially weighted first 75 squared residuals, weights 0.94^k.
BACKCAST_ROWS, BACKCAST_DECAY = 75, 0.94
#: GARCH works in percent returns (arch's advice for well-scaled optimisation).
PERCENT = 100.0

Estimator = str | Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class InputPath:
    """Point-in-time optimiser inputs at each rebalance row of a walk-forward run.

    Attributes
    ----------
    positions : ndarray
        Row positions of the rebalances in the returns frame.
    daily_volatility : ndarray
        len(positions) x N daily volatility forecasts, each from rows up to that position.
    expected_returns : ndarray
        len(positions) x N daily expected returns, each from rows up to that position.
    volatility_model : str
        Name of the volatility estimator (or the callable's name).
    expected_returns_model : str
        Name of the expected-return estimator (or the callable's name).
    fallbacks : list of str
        Per asset and refit, where GARCH failed and EWMA was used (with the reason).
    """

    positions: np.ndarray
    daily_volatility: np.ndarray
    expected_returns: np.ndarray
    volatility_model: str
    expected_returns_model: str
    fallbacks: list[str] = field(default_factory=list)


def check_estimator(value: Estimator, accepted: tuple[str, ...], parameter: str) -> None:
    """Refuse an estimator that is neither an accepted name nor a callable (before any work).

    Parameters
    ----------
    value : str or callable
        The estimator given.
    accepted : tuple of str
        The accepted names.
    parameter : str
        The parameter's name, for the message.
    """
    if callable(value) or value in accepted:
        return
    raise ValueError(f"{parameter}={value!r} is not accepted: use one of {accepted} or a callable")


def _garch_params(series: np.ndarray) -> np.ndarray:
    """(mu, omega, alpha, beta) of a constant-mean GARCH(1,1) fitted by arch (percent units)."""
    return _fit_garch(series).params.to_numpy(dtype=float)


def garch_horizon_variance(
    eps: np.ndarray, params: np.ndarray, rows: np.ndarray, horizon: int
) -> np.ndarray:
    """Average GARCH(1,1) variance over the ``horizon`` days after each row in ``rows``.

    The conditional variance is filtered with fixed ``params`` (arch's backcast start), so
    the forecast at a row uses residuals up to that row only. Equals arch's
    ``forecast(horizon).variance.mean()`` at the last row of the fit window.

    Parameters
    ----------
    eps : numpy.ndarray
        Residuals (percent) from the first row of the fit window on.
    params : numpy.ndarray
        (omega, alpha, beta).
    rows : numpy.ndarray
        Positions in ``eps`` to forecast from.
    horizon : int
        Days averaged over.

    Returns
    -------
    numpy.ndarray
        Average variance (percent squared) per row of ``rows``.
    """
    from scipy.signal import lfilter

    _, omega, alpha, beta = params
    tau = min(BACKCAST_ROWS, len(eps))
    w = BACKCAST_DECAY ** np.arange(tau)
    back = float(w @ eps[:tau] ** 2 / w.sum())
    drive = omega + alpha * np.concatenate([[back], eps[:-1] ** 2])
    sigma2 = lfilter([1.0], [1.0, -beta], drive, zi=[beta * back])[0]
    nxt = omega + alpha * eps[rows] ** 2 + beta * sigma2[rows]  # sigma^2 at row + 1
    phi = alpha + beta
    unconditional = omega / (1.0 - phi)
    decay = np.mean(phi ** np.arange(horizon))  # average of phi^(k-1), k = 1..h
    return unconditional + decay * (nxt - unconditional)


def _garch_path(
    x: np.ndarray, positions: np.ndarray, ewma: np.ndarray, horizon: int, refit_every: int,
    assets: list[str], dates: pd.DatetimeIndex,
) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """GARCH volatility at each position.

    Refit every ``refit_every`` rows on the last ``GARCH_WINDOW`` rows, filter forward
    with fixed parameters in between.
    """
    out = np.empty((len(positions), x.shape[1]))
    fallbacks = []
    start = 0
    while start < len(positions):
        fit_pos = int(positions[start])
        stop = start
        while stop < len(positions) and positions[stop] - fit_pos < refit_every:
            stop += 1
        block = positions[start:stop]
        first = max(0, fit_pos + 1 - GARCH_WINDOW)
        for j in range(x.shape[1]):
            series = x[first : fit_pos + 1, j] * PERCENT
            try:
                if len(series) < GARCH_MIN_ROWS:
                    raise RuntimeError(f"{len(series)} rows < {GARCH_MIN_ROWS}")
                params = _garch_params(series)
                eps = x[first : int(block[-1]) + 1, j] * PERCENT - params[0]
                var = garch_horizon_variance(eps, params, block - first, horizon)
                out[start:stop, j] = np.sqrt(var) / PERCENT
            except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
                out[start:stop, j] = ewma[start:stop, j]
                fallbacks.append(f"{dates[fit_pos].date()} {assets[j]}: ewma ({exc})")
        start = stop
    return out, fallbacks


def _name(estimator: Estimator) -> str:
    return estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "callable")


def input_path(
    returns: pd.DataFrame,
    positions: np.ndarray,
    *,
    volatility: Estimator = "ewma",
    expected_returns_method: Estimator = "james_stein",
    horizon: int = 21,
    refit_every: int = 252,
    halflife: float = 21.0,
) -> InputPath:
    """Volatility and expected-return forecasts as of each rebalance row, point in time.

    Each row's inputs come from rows up to that position only (the EWMA and GARCH filters
    are causal; GARCH is refitted every ``refit_every`` rows on the trailing
    ``GARCH_WINDOW`` rows and filtered forward in between; expected returns and callables
    see ``returns.iloc[: position + 1]``), so the path is what the daily chain would have
    computed on each of those days.

    Parameters
    ----------
    returns : pd.DataFrame
        Daily returns, one column per asset.
    positions : ndarray
        Increasing row positions of the rebalances.
    volatility : {"ewma", "garch"} or callable
        A name from ``VOLATILITY_MODELS`` or ``f(known_returns) -> daily vol Series``.
    expected_returns_method : {"zero", "historical", "james_stein"} or callable
        A name from ``EXPECTED_RETURNS`` or ``f(known_returns) -> daily mean Series``.
    horizon : int
        Days the GARCH variance is averaged over.
    refit_every : int
        Rows between GARCH refits.
    halflife : float
        EWMA half-life (days).

    Returns
    -------
    InputPath
    """
    check_estimator(volatility, VOLATILITY_MODELS, "volatility")
    check_estimator(expected_returns_method, EXPECTED_RETURNS, "expected_returns")
    positions = np.asarray(positions, dtype=int)
    assets = list(returns.columns)
    ewma = masked_ewma_volatility(returns, halflife=halflife).to_numpy()[positions]
    fallbacks: list[str] = []
    if callable(volatility):
        vol = np.vstack(
            [volatility(returns.iloc[: p + 1]).reindex(assets).to_numpy(float) for p in positions]
        )
    elif volatility == "garch":
        vol, fallbacks = _garch_path(
            returns.to_numpy(dtype=float), positions, ewma, horizon, refit_every, assets,
            pd.DatetimeIndex(returns.index),
        )  # fmt: skip
    else:
        vol = ewma
    if callable(expected_returns_method):
        mu = [expected_returns_method(returns.iloc[: p + 1]) for p in positions]
        mu_arr = np.vstack([m.reindex(assets).to_numpy(float) for m in mu])
    else:  # the daily chain's estimator on each trailing window, without pandas per date
        x = returns.to_numpy(dtype=float)
        mu_arr = np.vstack(
            [
                expected_return_vector(
                    x[max(0, p + 1 - EXPECTED_RETURNS_WINDOW) : p + 1], expected_returns_method
                )[0]
                for p in positions
            ]
        )
    for name, arr in (("volatility", vol), ("expected_returns", mu_arr)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"the {name} estimator returned NaN or inf for some asset")
    return InputPath(
        positions=positions,
        daily_volatility=vol,
        expected_returns=mu_arr,
        volatility_model=_name(volatility),
        expected_returns_model=_name(expected_returns_method),
        fallbacks=fallbacks,
    )
