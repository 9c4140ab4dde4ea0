"""Time to build the feature panel: bundled data and a synthetic 500-asset, 2,500-day market.

Peer: the same average-correlation feature computed the usual pandas way,
``returns.rolling(w).corr()`` then averaging each date's off-diagonal block.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, machine

from correlation_platform.data import load_market_data
from correlation_platform.features import build_feature_panel, simple_returns
from correlation_platform.features.panel import average_trailing_correlation


def pandas_average_correlation(returns: pd.DataFrame, window: int) -> pd.Series:
    n = returns.shape[1]
    stacked = returns.rolling(window).corr()
    sums = stacked.groupby(level=0).sum().sum(axis=1)
    return (sums - n) / (n * (n - 1))


def main() -> None:
    print(f"machine: {machine()}")
    rows = []
    bundled = load_market_data("bundled")
    r = simple_returns(bundled.prices)
    t = best_of(lambda: build_feature_panel(r, bundled.indicators))
    rows.append(("bundled 20 x 5,011", "feature_panel", t))
    ours = best_of(lambda: average_trailing_correlation(r, window=63))
    peer = best_of(lambda: pandas_average_correlation(r, 63), repeat=1)
    rows.append(
        ("bundled 20 x 5,011", "avg corr 63d: ours / pandas rolling().corr()", (ours, peer))
    )
    np.testing.assert_allclose(
        average_trailing_correlation(r, window=63)["avg_corr_63"].iloc[100:],
        pandas_average_correlation(r, 63).iloc[100:],
        atol=1e-9,
    )

    big = load_market_data("synthetic", kind="macro", n_assets=500, n_days=2500, seed=1)
    rb = simple_returns(big.prices)
    t = best_of(lambda: build_feature_panel(rb, big.indicators), repeat=1)
    rows.append(("synthetic 500 x 2,499", "feature_panel", t))
    sub = rb.iloc[:400]
    ours = best_of(lambda: average_trailing_correlation(sub, window=63), repeat=1)
    peer = best_of(lambda: pandas_average_correlation(sub, 63), repeat=1)
    rows.append(
        ("synthetic 500 x 400", "avg corr 63d: ours / pandas rolling().corr()", (ours, peer))
    )

    print("| data | what | seconds | peer seconds | peer / ours |")
    print("|---|---|---|---|---|")
    for data, what, t in rows:
        if isinstance(t, tuple):
            print(f"| {data} | {what} | {t[0]:.2f} | {t[1]:.2f} | {t[1] / t[0]:.1f}x |")
        else:
            print(f"| {data} | {what} | {t:.2f} | | |")


if __name__ == "__main__":
    main()
