"""predict_path for every family on the bundled data (seconds per 1,000 forecasts), training
times of the ML families, and EWMA/historical paths at 500 assets x 2,500 days.

Peer for the path speed: the textbook per-date loop, pandas ``rolling(252).corr()`` for
historical and ``ewm(alpha).cov()`` for EWMA, measured in the same run. Ours both ways:
streamed (``iter_path``, one matrix at a time) and as one array (``predict_path``).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from correlation_platform.data import load_market_data
from correlation_platform.features import build_feature_panel, simple_returns
from correlation_platform.forecasters import FORECASTERS, USES_FEATURES, get_forecaster

torch.set_num_threads(1)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    print(f"machine: {machine()}")
    data = load_market_data("bundled")
    r = simple_returns(data.prices)
    panel = build_feature_panel(r, data.indicators)
    dates = r.index[-1000:]
    print("\n| family | fit s | predict_path s for 1,000 dates | s per 1,000 forecasts |")
    print("|---|---|---|---|")
    for name in FORECASTERS:
        feats = panel if name in USES_FEATURES else None
        train_feats = None if feats is None else feats.iloc[:-1000]
        start = time.perf_counter()
        f = get_forecaster(name).fit(r.iloc[:-1000], train_feats, tree=data.sectors)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        f.predict_path(r, feats, dates=dates)
        path_s = time.perf_counter() - start
        print(f"| {name} | {fit_s:.2f} | {path_s:.2f} | {path_s:.2f} |", flush=True)

    big = simple_returns(
        load_market_data("synthetic", kind="constant", n_assets=500, n_days=2501, seed=1).prices
    )
    print(
        "\n| 500 assets x 2,500 days | API | wall s | user s | sys s | peak allocated MB "
        "| pandas peer s | peer / ours (wall) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    sub = big.iloc[:400]
    families = (
        ("historical", 251, lambda: sub.rolling(252).corr()),
        ("ewma", 62, lambda: sub.ewm(alpha=0.03).cov()),
    )
    peers = {}
    rows = []
    for api in ("iter_path", "predict_path"):
        for name, first, _ in families:
            f = get_forecaster(name).fit(big)
            dates = big.index[first:]

            def run(f=f, dates=dates, api=api):
                if api == "iter_path":
                    # A consumer that reads every forecast: its mean pairwise correlation.
                    return [fc.correlation.mean() for fc in f.iter_path(big, dates=dates)]
                return f.predict_path(big, dates=dates).mean(axis=(1, 2))

            before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            level = run()
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_SELF)
            assert len(level) == len(dates)
            tracemalloc.start()  # a second, untimed pass: peak memory numpy allocated
            run()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append((name, api, len(dates), wall, before, after, peak))
    for name, first, peer_fn in families:
        start = time.perf_counter()
        peer_fn()
        peers[name] = (time.perf_counter() - start) * (len(big) - first) / (400 - first)
    for name, api, n_dates, wall, before, after, peak in rows:
        peer = peers[name]
        print(
            f"| {name} ({n_dates} dates) | {api} | {wall:.1f} "
            f"| {after.ru_utime - before.ru_utime:.1f} | {after.ru_stime - before.ru_stime:.1f} "
            f"| {peak / 2**20:,.0f} | {peer:.0f} (extrapolated from 400 days) "
            f"| {peer / wall:.0f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
