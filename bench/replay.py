"""The daily run, timed in the replay: wall time per simulated day for 20 and 100 assets.

Each size replays ``--days`` business days (default 250) of the synthetic break market
through the real Dagster definitions (``correlation_platform.orchestration.replay``) in a
fresh CORRPLAT_HOME with a SQLite Dagster instance: every day the daily run (ingest,
features, predict, volatility, book, weights with turnover and costs, orders, forecast
error) plus the drift sensor and any retraining it requests. Families trained: historical,
ewma and dcc (so the champion is the historical benchmark under the partial-training rule);
their retraining runs count in the total but not in the daily run's time.

Usage: ``.venv/bin/python bench/replay.py [--days 250] [--assets 20 100]``; results in
``bench/results/replay.json`` and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["historical", "ewma", "dcc"]


def run(n_assets: int, days: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"replay{n_assets}-"))
    env = {**os.environ, "CORRPLAT_HOME": str(home)}
    env.pop("MLFLOW_TRACKING_URI", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with (home / "replay.log").open("w") as log:
        subprocess.run(
            [
                sys.executable, "-m", "correlation_platform.orchestration.replay",
                "--assets", str(n_assets), "--days", str(days),
                "--break-after", str(min(60, days // 2)), "--families", *FAMILIES,
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = json.loads((home / "replay" / "reports" / "replay.json").read_text())
    return {
        "assets": n_assets,
        "days": days,
        "seconds_per_day": summary["seconds_per_day"],
        "replay_seconds": summary["seconds_total"],
        "process_seconds": wall,
        "peak_rss_gb": max(peak, before) / 2**20,
        "alerts": summary["alerts"],
        "break_day": summary["break_day"],
        "retraining_runs": summary["retraining_runs"],
        "forecasts_scored": summary["forecasts_scored"],
        "final_nav": summary["final_nav"],
        "home": str(home),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--assets", type=int, nargs="*", default=[20, 100])
    args = parser.parse_args()
    rows = [run(n, args.days) for n in args.assets]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    print(f"machine: {machine()}\n")
    print("| assets | days | s per day | replay total s | peak RSS GB | alerts (break) |")
    print("|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['assets']} | {r['days']} | {r['seconds_per_day']:.2f} | "
            f"{r['replay_seconds']:.0f} | {r['peak_rss_gb']:.2f} | "
            f"{', '.join(r['alerts']) or 'none'} ({r['break_day']}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
