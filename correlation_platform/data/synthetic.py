"""Synthetic markets whose true correlation is known, so forecasters can be scored on truth.

Shocks z_t ~ N(0, R_t); returns r_t = sigma_t * z_t + drift. ``true_correlation[t]`` is
R_t, the conditional correlation of the shocks on day t. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.data.market_data import MarketData

KINDS = ("constant", "regime")
N_BLOCKS = 4


def block_correlation(n_assets: int, within: float, between: float) -> np.ndarray:
    """Sector-block correlation: ``within`` inside a block, ``between`` across (PD if within>=between>=0)."""
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


def simulate_market(
    n_assets: int = 10,
    n_days: int = 1500,
    kind: str = "regime",
    seed: int = 0,
    start: str = "2000-01-03",
) -> MarketData:
    """Simulate a market of ``kind`` (see ``KINDS``) with its ground-truth correlation."""
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; choose one of {KINDS}")
    if n_assets < 2 or n_days < 2:
        raise ValueError("need at least 2 assets and 2 days")
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days, name="date")
    assets = [f"A{k:03d}" for k in range(n_assets)]
    calm = block_correlation(n_assets, 0.35, 0.10)
    stress = block_correlation(n_assets, 0.85, 0.65)
    if kind == "constant":
        states = np.zeros(n_days, dtype=int)
    else:
        states = _markov_states(n_days, stay=(0.992, 0.975), rng=rng)
    chol = [np.linalg.cholesky(calm), np.linalg.cholesky(stress)]
    z = rng.standard_normal((n_days, n_assets))
    shocks = np.empty_like(z)
    for s in (0, 1):
        mask = states == s
        shocks[mask] = z[mask] @ chol[s].T
    base_vol = rng.uniform(0.15, 0.35, n_assets) / np.sqrt(252)
    vol_mult = np.where(states == 1, 2.0, 1.0)[:, None]
    returns = 0.0002 + shocks * base_vol[None, :] * vol_mult
    prices = 100.0 * np.cumprod(1.0 + returns, axis=0)
    truth = np.stack([calm, stress])[states]
    stress_index = 15.0 + 20.0 * states + rng.normal(0.0, 3.0, n_days)
    indicators = pd.DataFrame({"stress_index": stress_index}, index=dates)
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
        notes=(f"synthetic {kind} market, seed {seed}",),
        release_lags={"stress_index": "same day (close)"},
    )
