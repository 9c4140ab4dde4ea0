"""DCC-GARCH(1,1) fit + forecast path: ours vs pymgarch (validated against rmgarch), same data.

Sizes from issue 4: 20 assets x 5,000 days (full likelihood) and 100 assets x 2,500 days
(composite likelihood over contiguous pairs, both libraries). Wall time covers stage 1
(arch GARCH per asset, identical in both), stage 2 and the path of conditional correlations.
The peer runs in a child process with a time cap (``--peer-timeout``, seconds); a capped
run is reported as "> cap".
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.features import simple_returns
from correlation_platform.forecasters import get_forecaster

SIZES = ((20, 5000), (100, 2500))


def _returns(n: int, t: int):
    return simple_returns(simulate_market(n_assets=n, n_days=t + 1, kind="dcc", seed=1).prices)


def _peer(n: int, t: int, method: str, out: mp.Queue) -> None:
    from pymgarch import DCC

    r = _returns(n, t)
    start = time.perf_counter()
    ref = DCC().fit(r * 100, compute_se=False, method=method)
    _ = ref.conditional_correlations
    out.put(
        (time.perf_counter() - start, ref.params["alpha"], ref.params["beta"], ref.loglikelihood)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-timeout", type=float, default=1800.0)
    parser.add_argument("--sizes", default="all", choices=["all", "small", "large"])
    args = parser.parse_args()
    sizes = {"all": SIZES, "small": SIZES[:1], "large": SIZES[1:]}[args.sizes]
    print(f"machine: {machine()}")
    print(
        "| assets x days | method | ours s | pymgarch s | pymgarch / ours | ours a, b | pymgarch a, b "
        "| ours loglik | pymgarch loglik |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n, t in sizes:
        r = _returns(n, t)
        method = "full" if n <= 30 else "composite"
        start = time.perf_counter()
        ours = get_forecaster("dcc").fit(r)
        ours.predict_path(r, dates=r.index[252:])
        t_ours = time.perf_counter() - start
        queue: mp.Queue = mp.Queue()
        proc = mp.Process(target=_peer, args=(n, t, method, queue))
        proc.start()
        proc.join(args.peer_timeout)
        if proc.is_alive():
            proc.terminate()
            peer = f"> {args.peer_timeout:.0f} | > {args.peer_timeout / t_ours:.0f}x | n/a | n/a"
        else:
            t_ref, a, b, ll = queue.get()
            peer = f"{t_ref:.1f} | {t_ref / t_ours:.1f}x | {a:.4f}, {b:.4f} | {ll:.2f}"
        cols = peer.split(" | ")
        print(
            f"| {n} x {t} | {method} | {t_ours:.1f} | {cols[0]} | {cols[1]} | {ours.a_:.4f}, {ours.b_:.4f} | "
            f"{cols[2]} | {ours.loglik_:.2f} | {cols[3]} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
