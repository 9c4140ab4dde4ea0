"""Synthetic markets whose true correlation is known, so forecasters can be scored on truth.

Shocks z_t ~ N(0, R_t); returns r_t = sigma_t * z_t + drift. ``true_correlation[t]`` is
R_t, the conditional correlation of day t's shocks given everything known at t-1: the
target a perfect forecaster would hit. Deterministic for a given seed, any number of assets
(above 50 million matrix entries the truth is stored as float32 to bound memory).

Kinds:
- ``constant``: one block (sector) correlation matrix throughout.
- ``regime``: Markov switching between a calm and a stress block matrix.
- ``dcc``: DCC(1,1) correlation (a=0.04, b=0.94) around the calm matrix, GARCH(1,1) vols.
- ``macro``: correlation level = tanh of a linear index of three observable indicators
  (a VIX-like, a credit-spread-like and a monthly inflation-like series, each stamped on its
  release day); the index uses only values published by the previous close.
- ``macro_null``: the same indicators, but correlation ignores them (constant).
- ``break``: the calm block matrix until ``break_day``, then the stress matrix (and twice
  the volatility) for good: a correlation regime break at a known date (the replay's
  default scenario).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.data.market_data import MarketData
from correlation_platform.units import TRADING_DAYS

KINDS = ("constant", "regime", "dcc", "macro", "macro_null", "break")
N_BLOCKS = 4
DCC_A, DCC_B = 0.04, 0.94
GARCH_OMEGA, GARCH_ALPHA, GARCH_BETA = 0.05, 0.08, 0.90  # daily variance in (% return)^2
MACRO_COEFS = {"intercept": -0.2, "vix_like": 0.45, "credit_like": 0.35, "inflation_like": 0.15}
INFLATION_LAG_DAYS = 15
FLOAT32_ABOVE = 50_000_000


def block_correlation(n_assets: int, within: float, between: float) -> np.ndarray:
    """Sector blocks: ``within`` inside a block, ``between`` across.

    Positive definite if 1 > within >= between >= 0.

    Parameters
    ----------
    n_assets : int
        Assets, split into ``N_BLOCKS`` blocks.
    within, between : float
        Correlations inside and across blocks.

    Returns
    -------
    numpy.ndarray
        The N x N matrix.
    """
    blocks = np.arange(n_assets) % N_BLOCKS
    r = np.where(blocks[:, None] == blocks[None, :], within, between)
    np.fill_diagonal(r, 1.0)
    return r


def _markov_states(n_days: int, stay: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    states = np.zeros(n_days, dtype=int)
    u = rng.random(n_days)
    for t in range(1, n_days):
        prev = states[t - 1]
        states[t] = prev if u[t] < stay[prev] else 1 - prev
    return states


def _ar1(n: int, phi: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n)
    eps = rng.normal(0.0, sigma, n)
    x[0] = eps[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + eps[t]
    return x


def _truth_array(n_days: int, n_assets: int) -> np.ndarray:
    dtype = np.float32 if n_days * n_assets * n_assets > FLOAT32_ABOVE else np.float64
    return np.empty((n_days, n_assets, n_assets), dtype=dtype)


def _block_market(within: np.ndarray, between: np.ndarray, n_assets: int, rng) -> tuple:
    """Shocks with block correlation via its exact factor form, O(N) per day.

    z_i = sqrt(b) g + sqrt(w - b) f_block(i) + sqrt(1 - w) e_i has corr(z_i, z_j) = w inside
    a block and b across, matching :func:`block_correlation`.
    """
    n_days = len(within)
    blocks = np.arange(n_assets) % N_BLOCKS
    g = rng.standard_normal((n_days, 1))
    f = rng.standard_normal((n_days, N_BLOCKS))[:, blocks]
    e = rng.standard_normal((n_days, n_assets))
    z = (
        np.sqrt(between)[:, None] * g
        + np.sqrt(within - between)[:, None] * f
        + np.sqrt(1.0 - within)[:, None] * e
    )
    truth = _truth_array(n_days, n_assets)
    last = None
    for t in range(n_days):
        key = (within[t], between[t])
        if key != last:
            mat = block_correlation(n_assets, *key)
            last = key
        truth[t] = mat
    return z, truth


def _macro_indicators(dates: pd.DatetimeIndex, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(indicators stamped on release days, standardised values known at each close)."""
    n = len(dates)
    vix = 20.0 * np.exp(_ar1(n, 0.985, 0.06, rng))
    credit = 1.0 + 0.25 * _ar1(n, 0.995, 0.08, rng)
    month_ends = pd.DatetimeIndex(sorted(set(dates + pd.offsets.MonthEnd(0))))
    infl_values = 2.0 + _ar1(len(month_ends), 0.9, 0.3, rng)
    released = month_ends + pd.Timedelta(days=INFLATION_LAG_DAYS)
    released = pd.DatetimeIndex(released + pd.offsets.BDay(0))
    inflation = pd.Series(infl_values, index=released, name="inflation_like")
    stamped = pd.concat(
        [
            pd.Series(vix, dates, name="vix_like"),
            pd.Series(credit, dates, name="credit_like"),
            inflation.loc[: dates[-1]],
        ],
        axis=1,
        sort=True,
    )
    stamped.index.name = "date"
    known = stamped.ffill().reindex(stamped.index.union(dates)).ffill().reindex(dates)
    standard = (known - known.mean()) / known.std()
    standard["vix_like"] = (np.log(known["vix_like"]) - np.log(20.0)) / 0.35
    standard["credit_like"] = (known["credit_like"] - 1.0) / 0.35
    standard["inflation_like"] = ((known["inflation_like"] - 2.0) / 0.7).fillna(0.0)
    return stamped, standard


def macro_correlation_level(standardised: pd.DataFrame) -> np.ndarray:
    """Cross-block correlation implied by the indicators known at each close.

    Parameters
    ----------
    standardised : pandas.DataFrame
        Standardised indicator values known at each close.

    Returns
    -------
    numpy.ndarray
        The level per day.
    """
    index = MACRO_COEFS["intercept"] + sum(
        MACRO_COEFS[k] * standardised[k].to_numpy()
        for k in ("vix_like", "credit_like", "inflation_like")
    )
    return np.clip(0.45 + 0.45 * np.tanh(index), 0.02, 0.88)


def simulate_market(
    # Positional as in the design contract: simulate_market(n_assets, n_days, kind, seed).
    n_assets: int = 10,
    n_days: int = 1500,
    kind: str = "regime",
    seed: int = 0,
    *,
    start: str = "2000-01-03",
    break_day: int | None = None,
) -> MarketData:
    """Simulate a market of ``kind`` (see ``KINDS``) with its ground-truth correlation.

    Parameters
    ----------
    n_assets : int, default 10
        Assets.
    n_days : int, default 1500
        Trading days.
    kind : str, default "regime"
        ``constant``, ``regime``, ``dcc``, ``macro``, ``macro_null`` or ``break``.
    seed : int, default 0
        Random seed.
    start : str, default "2000-01-03"
        First date.
    break_day : int, optional
        ``break`` only: the first row of the stress regime (default two thirds of the way).

    Returns
    -------
    MarketData
        Prices, indicators, sectors and ``true_correlation``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; choose one of {KINDS}")
    if n_assets < 2 or n_days < 2:
        raise ValueError("need at least 2 assets and 2 days")
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days, name="date")
    assets = [f"A{k:03d}" for k in range(n_assets)]
    calm = block_correlation(n_assets, 0.35, 0.10)
    base_vol = rng.uniform(0.15, 0.35, n_assets) / np.sqrt(TRADING_DAYS)
    indicators = pd.DataFrame(index=dates)
    lags: dict[str, str] = {}
    vol_mult = np.ones((n_days, 1))

    if kind in ("constant", "macro_null"):
        shocks, truth = _block_market(np.full(n_days, 0.35), np.full(n_days, 0.10), n_assets, rng)
    elif kind == "regime":
        states = _markov_states(n_days, stay=(0.992, 0.975), rng=rng)
        within, between = np.where(states == 1, 0.85, 0.35), np.where(states == 1, 0.65, 0.10)
        shocks, truth = _block_market(within, between, n_assets, rng)
        vol_mult = np.where(states == 1, 2.0, 1.0)[:, None]
        indicators = pd.DataFrame(
            {"stress_index": 15.0 + 20.0 * states + rng.normal(0, 3, n_days)}, index=dates
        )
        lags = {"stress_index": "same day (close)"}
    elif kind == "break":
        at = n_days * 2 // 3 if break_day is None else int(break_day)
        if not 0 < at < n_days:
            raise ValueError(f"break_day must be within 1..{n_days - 1}, got {break_day}")
        stress = np.arange(n_days) >= at
        within, between = np.where(stress, 0.85, 0.35), np.where(stress, 0.65, 0.10)
        shocks, truth = _block_market(within, between, n_assets, rng)
        vol_mult = np.where(stress, 2.0, 1.0)[:, None]
        indicators = pd.DataFrame(
            {"stress_index": 15.0 + 20.0 * stress + rng.normal(0, 3, n_days)}, index=dates
        )
        lags = {"stress_index": "same day (close)"}
    elif kind == "dcc":
        shocks, truth, vol = _simulate_dcc(calm, n_days, rng)
        base_vol = np.full(n_assets, 1.0)
        vol_mult = vol / 100.0
    if kind in ("macro", "macro_null"):
        indicators, standard = _macro_indicators(dates, rng)
        lags = {
            "vix_like": "same day (close)",
            "credit_like": "same day (close)",
            "inflation_like": f"{INFLATION_LAG_DAYS} days after month end, next business day",
        }
        if kind == "macro":
            level = macro_correlation_level(standard)
            # Day t's correlation depends on what was known at the close of t-1.
            level = np.concatenate([[level[0]], level[:-1]])
            shocks, truth = _block_market(level + (1 - level) * 0.3, level, n_assets, rng)
        vix_known = indicators["vix_like"].reindex(dates).ffill().to_numpy()
        vol_mult = np.sqrt(vix_known / 20.0)[:, None]

    returns = 0.0002 + shocks * base_vol[None, :] * vol_mult
    prices = 100.0 * np.cumprod(1.0 + returns, axis=0)
    sectors = pd.DataFrame(
        {
            "asset": assets,
            "sector": [f"block{k % N_BLOCKS}" for k in range(n_assets)],
            "market": "all",
        },
        index=pd.Index(assets, name="asset"),
    )
    return MarketData(
        prices=pd.DataFrame(prices, index=dates, columns=assets),
        volumes=None,
        indicators=indicators,
        sectors=sectors,
        true_correlation=truth,
        source=f"synthetic:{kind}",
        notes=(
            f"synthetic {kind} market, {n_assets} assets, {n_days} days, seed {seed}"
            + (f", break at {dates[at].date()}" if kind == "break" else ""),
        ),
        release_lags=lags,
    )


def _simulate_dcc(qbar: np.ndarray, n_days: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DCC(1,1) with GARCH(1,1) marginals: (standardised shocks, R_t, daily vol in %)."""
    n = len(qbar)
    truth = _truth_array(n_days, n)
    z = np.empty((n_days, n))
    vol = np.empty((n_days, n))
    q = qbar.copy()
    h = np.full(n, GARCH_OMEGA / (1 - GARCH_ALPHA - GARCH_BETA))
    eps_prev = np.zeros(n)
    z_prev = np.zeros(n)
    for t in range(n_days):
        if t > 0:
            q = (1 - DCC_A - DCC_B) * qbar + DCC_A * np.outer(z_prev, z_prev) + DCC_B * q
            h = GARCH_OMEGA + GARCH_ALPHA * eps_prev**2 + GARCH_BETA * h
        d = np.sqrt(np.diag(q))
        r = q / np.outer(d, d)
        truth[t] = r
        z[t] = np.linalg.cholesky(r) @ rng.standard_normal(n)
        vol[t] = np.sqrt(h)
        eps_prev = vol[t] * z[t]
        z_prev = z[t]
    return z, truth, vol
