"""DCC-GARCH(1,1) fit + forecast path: ours vs pymgarch (validated against rmgarch), same data.

Sizes from issue 4: 20 assets x 5,000 days (full likelihood) and 100 assets x 2,500 days
(composite likelihood over contiguous pairs, both libraries). Wall time covers stage 1
(arch GARCH per asset, identical in both), stage 2 and the path of conditional correlations.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.features import simple_returns
from correlation_platform.forecasters import get_forecaster


def main() -> None:
    from pymgarch import DCC

    print(f"machine: {machine()}")
    print(
        "| assets x days | method | ours s | pymgarch s | pymgarch / ours | ours a, b | pymgarch a, b "
        "| ours loglik | pymgarch loglik |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n, t in ((20, 5000), (100, 2500)):
        r = simple_returns(simulate_market(n, t + 1, "dcc", seed=1).prices)
        method = "full" if n <= 30 else "composite"
        start = time.perf_counter()
        ours = get_forecaster("dcc").fit(r)
        ours.predict_path(r, dates=r.index[252:])
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        ref = DCC().fit(r * 100, compute_se=False, method=method)
        _ = ref.conditional_correlations
        t_ref = time.perf_counter() - start
        print(
            f"| {n} x {t} | {method} | {t_ours:.1f} | {t_ref:.1f} | {t_ref / t_ours:.1f}x | "
            f"{ours.a_:.4f}, {ours.b_:.4f} | {ref.params['alpha']:.4f}, {ref.params['beta']:.4f} | "
            f"{ours.loglik_:.2f} | {ref.loglikelihood:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
