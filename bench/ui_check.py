"""Start the UIs as ``make ui`` does, check them, stop them, and prove nothing is left.

1. Starts ``python -m correlation_platform.orchestration.ui`` (dagster dev + mlflow ui) on
   127.0.0.1 in its own process group, on free ports.
2. Through Dagster's GraphQL endpoint, confirms that every asset, job, schedule and sensor
   of ``correlation_platform.definitions`` is loaded, and reads the latest materialisation
   of ``portfolio_book`` and ``forecast_error`` (present after ``make run``) and the
   drift sensor's ticks.
3. Takes a headless-Chromium screenshot of the asset graph (``bench/results/ui_asset_graph.png``).
4. Sends SIGTERM to the launcher's process group, as a terminal or a supervisor would, and
   checks that every process of its tree (webserver, daemon, code servers, mlflow) is gone.

Usage: ``.venv/bin/python bench/ui_check.py`` (needs ``chromium``). Exits non-zero on any
failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
STARTUP_SECONDS = 180
QUERY = """
{
  assetNodes { assetKey { path } }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name jobs { name } schedules { name } sensors { name } }
    }
  }
  book: assetOrError(assetKey: {path: ["portfolio_book"]}) {
    ... on Asset { assetMaterializations(limit: 1) { partition timestamp } }
  }
  error: assetOrError(assetKey: {path: ["forecast_error"]}) {
    ... on Asset { assetMaterializations(limit: 1) { partition
      metadataEntries { label ... on MarkdownMetadataEntry { mdStr } } } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_for(port: int, deadline: float) -> dict:
    last = None
    while time.time() < deadline:
        try:
            data = _graphql(port, QUERY)
            nodes = data["data"]["repositoriesOrError"].get("nodes")
            if nodes:
                return data
            last = data
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(2)
    raise TimeoutError(f"dagster dev did not answer GraphQL in {STARTUP_SECONDS}s: {last}")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from correlation_platform.definitions import defs

    RESULTS.mkdir(parents=True, exist_ok=True)
    dagster_port, mlflow_port = _free_port(), _free_port()
    log_path = RESULTS / "ui_check.log"
    started = time.time()
    with log_path.open("w") as log:
        launcher = subprocess.Popen(
            [
                sys.executable, "-m", "correlation_platform.orchestration.ui",
                "--dagster-port", str(dagster_port), "--mlflow-port", str(mlflow_port),
            ],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    failures = []
    try:
        data = _wait_for(dagster_port, time.time() + STARTUP_SECONDS)
        up = time.time() - started
        repo = data["data"]["repositoriesOrError"]["nodes"][0]
        loaded = {
            "assets": {"/".join(n["assetKey"]["path"]) for n in data["data"]["assetNodes"]},
            "jobs": {j["name"] for j in repo["jobs"]} - {"__ASSET_JOB"},
            "schedules": {s["name"] for s in repo["schedules"]},
            "sensors": {s["name"] for s in repo["sensors"]},
        }
        graph = defs.resolve_asset_graph()
        expected = {
            "assets": {k.to_user_string() for k in graph.get_all_asset_keys()},
            "jobs": {j.name for j in defs.resolve_all_job_defs()} - {"__ASSET_JOB"},
            "schedules": {s.name for s in defs.schedules},
            "sensors": {s.name for s in defs.sensors},
        }
        for kind in expected:
            missing = expected[kind] - loaded[kind]
            print(f"{kind}: {len(loaded[kind])} loaded, missing {sorted(missing) or 'none'}")
            if missing:
                failures.append(f"{kind} missing in the UI: {sorted(missing)}")
        book = data["data"]["book"].get("assetMaterializations") or []
        error = data["data"]["error"].get("assetMaterializations") or []
        print(f"portfolio_book latest partition: {book[0]['partition'] if book else 'none'}")
        plot = error and any(
            "data:image/png" in (e.get("mdStr") or "") for e in error[0]["metadataEntries"]
        )
        print(
            f"forecast_error latest: {error[0]['partition'] if error else 'none'}, plot: {bool(plot)}"
        )
        selector = (
            f'{{repositoryName: "{repo["name"]}", repositoryLocationName: '
            '"correlation_platform", sensorName: "correlation_drift_sensor"}'
        )
        ticks = _graphql(
            dagster_port,
            f"{{ sensorOrError(sensorSelector: {selector}) "
            "{ ... on Sensor { sensorState { status ticks(limit: 5) { status } } } } }",
        )
        print(f"drift sensor: {json.dumps(ticks.get('data'))[:200]}")
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe:
            shot = RESULTS / "ui_asset_graph.png"
            subprocess.run(
                [
                    exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1600,1000", "--virtual-time-budget=20000",
                    f"--screenshot={shot}", f"http://127.0.0.1:{dagster_port}/asset-groups",
                ],
                capture_output=True, timeout=180, check=False,
            )  # fmt: skip
            ok = shot.exists() and shot.stat().st_size > 20_000
            print(f"screenshot {shot} ({shot.stat().st_size if shot.exists() else 0} bytes)")
            if not ok:
                failures.append("no asset graph screenshot")
        else:
            failures.append("chromium is not installed: apt-get install chromium")
        print(f"UI up in {up:.0f}s")
    finally:
        tree = [psutil.Process(launcher.pid), *psutil.Process(launcher.pid).children(True)]
        print(f"stopping: SIGTERM to the launcher's process group ({len(tree)} processes)")
        os.killpg(launcher.pid, signal.SIGTERM)
        t0 = time.time()
        launcher.wait(timeout=120)
        _, alive = psutil.wait_procs(tree, timeout=30)
        print(f"stopped in {time.time() - t0:.1f}s; still alive: {[p.pid for p in alive]}")
        if alive:
            failures.append(f"{len(alive)} processes survived: {[p.cmdline() for p in alive]}")
            for p in alive:
                p.kill()
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
