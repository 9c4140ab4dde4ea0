"""Turn a move from current to target weights into orders an execution system can take."""

from __future__ import annotations

import numpy as np
import pandas as pd

ORDER_COLUMNS = [
    "asset",
    "side",
    "quantity",
    "price",
    "notional",
    "weight_change",
    "estimated_cost",
]


def rebalance_orders(
    current_weights: pd.Series | None,
    target_weights: pd.Series,
    *,
    nav: float = 1e6,
    prices: pd.Series | None = None,
    min_trade_notional: float = 0.0,
    cost_bps: float = 0.0,
) -> pd.DataFrame:
    """One row per asset to trade: side, whole-share quantity, notional and estimated cost.

    Trades smaller than ``min_trade_notional`` are dropped; quantities are rounded to whole
    shares towards zero so an order never overshoots its target.

    Parameters
    ----------
    current_weights : pandas.Series or None
        Weights held (None: from cash).
    target_weights : pandas.Series
        Weights wanted.
    nav : float, default 1e6
        Portfolio value the weights apply to.
    prices : pandas.Series, optional
        Last prices (default 1, i.e. quantities in currency).
    min_trade_notional : float, default 0.0
        Smallest trade kept.
    cost_bps : float, default 0.0
        Estimated cost per unit traded, in basis points.

    Returns
    -------
    pandas.DataFrame
        The orders.
    """
    if nav <= 0:
        raise ValueError(f"nav must be positive, got {nav}")
    assets = list(target_weights.index)
    cur = (
        pd.Series(0.0, index=assets)
        if current_weights is None
        else current_weights.reindex(assets).fillna(0.0)
    )
    extra = set(current_weights.index) - set(assets) if current_weights is not None else set()
    if extra:
        raise ValueError(
            f"current weights hold assets outside the target universe: {sorted(extra)}"
        )
    if prices is None:
        raise ValueError("prices are needed to size orders in shares")
    px = prices.reindex(assets)
    invalid = ~np.isfinite(px.to_numpy(dtype=float)) | (px.to_numpy(dtype=float) <= 0)
    if invalid.any():  # an inf price would size a zero order: the trade silently vanishes
        bad = px.index[invalid][0]
        raise ValueError(f"no valid price for {bad!r}: {px[bad]}")
    dw = target_weights - cur
    notional_target = dw * nav
    # Round away float noise (0.6 - 0.7 = -0.0999...) before truncating to whole shares.
    qty = np.trunc(np.round(notional_target / px, 9))
    notional = qty * px
    frame = pd.DataFrame(
        {
            "asset": assets,
            "side": np.where(qty > 0, "BUY", "SELL"),
            "quantity": np.abs(qty).astype(int),
            "price": px.to_numpy(),
            "notional": np.abs(notional).to_numpy(),
            "weight_change": dw.to_numpy(),
            "estimated_cost": np.abs(notional).to_numpy() * cost_bps / 1e4,
        }
    )
    keep = (frame["quantity"] > 0) & (frame["notional"] >= min_trade_notional)
    return (
        frame.loc[keep, ORDER_COLUMNS]
        .sort_values("notional", ascending=False)
        .reset_index(drop=True)
    )
