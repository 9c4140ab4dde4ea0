"""Shared benchmark helpers: timing (best of k) and the machine line for bench/README.md."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def bundled_zoo():
    """The bundled data, its returns and feature panel, and every family with defaults."""
    from correlation_platform.data import load_market_data
    from correlation_platform.features import build_feature_panel, simple_returns
    from correlation_platform.forecasters import FORECASTERS, get_forecaster

    data = load_market_data("bundled")
    returns = simple_returns(data.prices).dropna()
    features = build_feature_panel(returns, data.indicators)
    models = {f: get_forecaster(f) for f in FORECASTERS}
    return data, returns, features, models
