"""Steps fan out to a real Dask cluster, started with docker-compose.yml's own commands."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterInstance,
    define_asset_job,
    execute_job,
    reconstructable,
)
from distributed import Client, get_task_stream

from correlation_platform.orchestration.executors import DASK_SCHEDULER_ENV, platform_executor
from correlation_platform_tests.conftest import free_port, stop_process

SMOKE_JOB = "dask_smoke_job"
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def dask_smoke_job():
    """Module level, so each Dask worker can rebuild the job from this module."""
    from correlation_platform.definitions import build_definitions

    # clean_prices reads raw_prices through the IO manager: a hand-over between Dask tasks.
    selection = AssetSelection.groups("ingestion") | AssetSelection.assets("clean_prices")
    job = define_asset_job(SMOKE_JOB, selection=selection)
    return build_definitions(jobs=[job]).resolve_job_def(SMOKE_JOB)


def _compose_command(service: str, replace: dict[str, str]) -> list[str]:
    """The service's command as compose runs it, with hosts and ports swapped for local ones."""
    words = [replace.get(w, w) for w in shlex.split(SERVICES[service]["command"])]
    return [str(BIN / words[0]), *words[1:]]


def test_default_executor_without_a_scheduler(monkeypatch):
    monkeypatch.delenv(DASK_SCHEDULER_ENV, raising=False)
    assert platform_executor() is None
    monkeypatch.setenv(DASK_SCHEDULER_ENV, "tcp://dask-scheduler:8786")
    assert platform_executor().name == "dask_executor"


def test_steps_run_on_dask_workers_and_share_storage(tmp_path, monkeypatch):
    # Workers are separate processes that inherit this environment: the same CORRPLAT_HOME
    # (the IO manager's storage), DAGSTER_HOME (a persistent instance) and import path.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    port, dashboard = free_port(), free_port()
    address = f"tcp://127.0.0.1:{port}"
    monkeypatch.setenv(DASK_SCHEDULER_ENV, address)
    scheduler_cmd = _compose_command(
        "dask-scheduler", {"0.0.0.0": "127.0.0.1", "8786": str(port), ":8787": f":{dashboard}"}
    )
    worker_cmd = _compose_command("dask-worker", {"tcp://dask-scheduler:8786": address})
    logs = tmp_path / "dask.log"
    procs = []
    try:
        with logs.open("w") as log:
            for cmd in (scheduler_cmd, worker_cmd):
                procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
            with Client(address, timeout=60) as client:
                n_workers = int(worker_cmd[worker_cmd.index("--nworkers") + 1])
                client.wait_for_workers(n_workers, timeout=120)
                with DagsterInstance.get() as instance, get_task_stream(client) as tasks:
                    result = execute_job(reconstructable(dask_smoke_job), instance=instance)
                worker_pids = set(client.run(os.getpid).values())
    finally:
        for proc in reversed(procs):
            stop_process(proc)
    assert result.success, logs.read_text()[-3000:]
    assert result.job_def.executor_def.name == "dask_executor"
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {AssetKey(k) for k in ("raw_prices", "raw_indicators", "clean_prices")}
    # Every step was a Dask task, run in a worker process, not in this one.
    steps = {e.step_key for e in result.all_events if e.is_step_success}
    assert len(tasks.data) >= len(steps) > 0
    assert os.getpid() not in worker_pids and len(worker_pids) == n_workers
    # The workers wrote the assets where this process (and the other worker) reads them.
    assert list(Path(os.environ["CORRPLAT_HOME"]).rglob("*raw_prices*"))
