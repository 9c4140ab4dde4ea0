"""Score forecasters against the ground truth of a synthetic market."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlation_platform.data import MarketData
from correlation_platform.features import build_feature_panel, simple_returns
from correlation_platform.forecasters import get_forecaster


def truth_losses(
    market: MarketData,
    names: tuple[str, ...],
    split: int,
    *,
    horizon: int = 21,
    step: int = 5,
    params: dict[str, dict] | None = None,
) -> pd.Series:
    """Mean Frobenius distance of each family's forecasts to the true correlation.

    Each forecast made after ``split`` is compared with the true correlation averaged over
    its horizon; models are fitted on rows before ``split`` only.

    Parameters
    ----------
    market : MarketData
        A synthetic market (with ``true_correlation``).
    names : tuple of str
        Families.
    split : int
        First forecast row; fits see rows before it.
    horizon : int, default 21
        Days averaged over.
    step : int, default 5
        Rows between forecasts.
    params : dict, optional
        Family -> hyper-parameters.

    Returns
    -------
    pandas.Series
        Mean distance per family.
    """
    if market.true_correlation is None:
        raise ValueError("truth scoring needs a synthetic market (true_correlation)")
    r = simple_returns(market.prices)
    truth = market.true_correlation[1:]  # row t of returns is driven by truth[t]
    panel = build_feature_panel(r, market.indicators)
    dates = r.index[split : len(r) - horizon : step]
    pos = r.index.get_indexer(dates)
    target = np.stack([truth[p + 1 : p + 1 + horizon].astype(float).mean(axis=0) for p in pos])
    out = {}
    for name in names:
        kw = dict((params or {}).get(name, {}))
        f = get_forecaster(name, **kw).fit(r.iloc[:split], panel.iloc[:split], tree=market.sectors)
        path = f.predict_path(r, panel, dates=dates, horizon=horizon)
        out[name] = float(
            np.mean([np.linalg.norm(a - b) for a, b in zip(path, target, strict=True)])
        )
    return pd.Series(out, name="frobenius_vs_truth")
