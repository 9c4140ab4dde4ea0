"""docker-compose.yml checked by reading, and its parts exercised without containers:
Postgres-backed Dagster storage, MLflow on a Postgres backend, code server + daemon."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from correlation_platform.definitions import build_definitions
from correlation_platform.forecasters import get_forecaster
from correlation_platform.orchestration.resources import MarketDataResource
from correlation_platform.tracking import MlflowStore
from correlation_platform_tests.conftest import free_port, fresh_database, stop_process

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DOCKER_INSTANCE = yaml.safe_load((REPO / "docker" / "dagster.yaml").read_text())


def _env_refs(node) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_env_refs(v) for v in node.values())) if node else set()
    return set()


def test_compose_has_every_service_wired():
    services = COMPOSE["services"]
    assert {"postgres", "mlflow", "code", "webserver", "daemon"} <= set(services)
    needed = _env_refs(DOCKER_INSTANCE)
    assert needed == {"DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB"}
    for name in ("code", "webserver", "daemon"):
        env = services[name]["environment"]
        assert needed <= set(env), name
        assert (
            env["DAGSTER_PG_HOST"] == "postgres"
            and env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
        )
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    mlflow_svc = services["mlflow"]
    assert "MLFLOW_SERVER_ALLOWED_HOSTS" in mlflow_svc["environment"]
    assert "mlflow" in mlflow_svc["environment"]["MLFLOW_SERVER_ALLOWED_HOSTS"]
    assert "postgresql+psycopg2://" in mlflow_svc["command"]
    assert "correlation_platform.definitions" in services["code"]["command"]
    assert "-p 4000" in services["code"]["command"]
    workspace = yaml.safe_load((REPO / "docker" / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    assert grpc["host"] == "code" and grpc["port"] == 4000
    for name in ("webserver", "daemon"):
        assert "/opt/dagster/app/docker/workspace.yaml" in services[name]["command"]
    # Dask: runs submit steps to the scheduler; workers share the instance and the storage.
    scheduler = services["dask-scheduler"]["command"].split()
    port = scheduler[scheduler.index("--port") + 1]
    address = f"tcp://dask-scheduler:{port}"
    assert services["code"]["environment"]["CORRPLAT_DASK_SCHEDULER"] == address
    worker = services["dask-worker"]
    assert worker["command"].split()[:3] == ["dask", "worker", address]
    assert worker["environment"] == services["code"]["environment"]
    assert worker["volumes"] == services["code"]["volumes"]
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    for vol in services["postgres"]["volumes"]:
        src = vol.split(":")[0]
        if src.startswith("./"):
            assert (REPO / src).exists(), src


def test_docker_instance_uses_psycopg2_scheme():
    assert DOCKER_INSTANCE["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"


def test_dockerfile_copies_what_exists():
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (REPO / src).exists(), src


def _postgres_home(tmp_path: Path, db: str, monkeypatch) -> Path:
    fresh_database(db)
    for key, value in {
        "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_DB": db,
    }.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "docker" / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.mark.postgres
def test_dagster_storage_on_postgres(postgres_server, tmp_path, monkeypatch):
    home = _postgres_home(tmp_path, "corrplat_test_dagster", monkeypatch)
    instance = DagsterInstance.from_config(str(home))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    defs = build_definitions(
        {
            "market_data": MarketDataResource(
                source="synthetic", options={"n_assets": 4, "n_days": 300}
            )
        }
    )
    result = materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        selection=AssetSelection.groups("ingestion"),
    )
    assert result.success
    again = DagsterInstance.from_config(str(home))  # a new process would see the same events
    assert again.get_latest_materialization_event(AssetKey("raw_prices")) is not None


@pytest.mark.postgres
def test_mlflow_registry_on_postgres(postgres_server, regime_returns, tmp_path):
    url = fresh_database("corrplat_test_mlflow")
    store = MlflowStore(tracking_uri=url, artifact_root=(tmp_path / "artifacts").as_uri())
    f = get_forecaster("ewma").fit(regime_returns)
    logged = store.log_forecaster(f, "pg-test", params=f.get_params())
    store.set_alias("champion", logged.registered_version)
    assert store.alias_version("champion") == logged.registered_version
    loaded = store.load_forecaster("champion")
    np.testing.assert_allclose(
        loaded.predict(regime_returns).to_numpy(), f.predict(regime_returns).to_numpy()
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_code_server_and_daemon_on_postgres(postgres_server, tmp_path, monkeypatch):
    home = _postgres_home(tmp_path, "corrplat_test_daemon", monkeypatch)
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CORRPLAT_SOURCE": "synthetic"}
    code = subprocess.Popen(
        [
            str(BIN / "dagster"),
            "code-server",
            "start",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            "correlation_platform.definitions",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    daemon = None
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            ok = (
                subprocess.run(
                    [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)],
                    env=env,
                    capture_output=True,
                ).returncode
                == 0
            )
            if ok:
                break
            time.sleep(2)
        assert ok, "code server never became healthy"
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(
            yaml.safe_dump(
                {
                    "load_from": [
                        {
                            "grpc_server": {
                                "host": "127.0.0.1",
                                "port": port,
                                "location_name": "correlation_platform",
                            }
                        }
                    ]
                }
            )
        )
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        instance = DagsterInstance.from_config(str(home))
        wanted = {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"}
        seen: set[str] = set()
        deadline = time.time() + 120
        while time.time() < deadline and not wanted <= seen:
            seen = set(instance.get_daemon_heartbeats())
            time.sleep(2)
        assert wanted <= seen, f"daemons heard from: {seen}"
    finally:
        for proc in (daemon, code):
            if proc is not None:
                stop_process(proc)


def test_no_literal_secret_in_compose_and_every_variable_documented():
    import re

    text = (REPO / "docker-compose.yml").read_text()
    assert "corrplat:corrplat@" not in text
    refs = set(re.findall(r"\$\{(\w+):\?", text))
    assert refs == {"POSTGRES_USER", "POSTGRES_PASSWORD"}
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^(\w+)=", example, re.M))
    assert refs <= documented
    assert re.search(r"^POSTGRES_PASSWORD=$", example, re.M)  # no default secret committed
    services = COMPOSE["services"]
    for name in ("postgres", "code", "webserver", "daemon", "dask-worker"):
        env = services[name].get("environment", {})
        for key, value in env.items():
            if "PASSWORD" in key:
                assert str(value).startswith("${") and ":?" in str(value), (name, key)
    # Only the UIs are published, and only on the loopback interface.
    published = [p for svc in services.values() for p in svc.get("ports", [])]
    assert published and all(str(p).startswith("127.0.0.1:") for p in published)
    assert ".env" in (REPO / ".gitignore").read_text().split()


def _mlflow_server_command(port: int, backend: str, artifacts: Path) -> list[str]:
    """docker-compose.yml's MLflow command, with the local backend, port and folder."""
    words = COMPOSE["services"]["mlflow"]["command"].split()
    swap = {
        words[words.index("--backend-store-uri") + 1]: backend,
        "/mlartifacts": str(artifacts),
        "0.0.0.0": "127.0.0.1",
        "5000": str(port),
    }
    words = [swap.get(w, w) for w in words]
    return [str(BIN / words[0]), *words[1:]]


@pytest.mark.postgres
@pytest.mark.slow
def test_make_run_end_to_end_on_postgres_and_an_mlflow_server(
    postgres_server, tmp_path, monkeypatch, corrplat_home
):
    """What ``make run`` does, on the production instance and an MLflow server."""
    import urllib.request

    from correlation_platform.orchestration.materialize_all import materialize_all
    from correlation_platform_tests.orchestration.test_pipeline import SETTINGS, SYNTHETIC

    home = _postgres_home(tmp_path, "corrplat_test_e2e_dagster", monkeypatch)
    backend = fresh_database("corrplat_test_e2e_mlflow")
    port = free_port()
    log = (tmp_path / "mlflow.log").open("w")
    env = {**os.environ, "MLFLOW_SERVER_ALLOWED_HOSTS": f"127.0.0.1:{port},127.0.0.1"}
    server = subprocess.Popen(
        _mlflow_server_command(port, backend, tmp_path / "mlartifacts"),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "mlflow.log"
            ).read_text()[-3000:]
            time.sleep(1)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
        instance = DagsterInstance.from_config(str(home))
        out = materialize_all(instance, resources={"market_data": SYNTHETIC, "settings": SETTINGS})
        assert all(r.success for r in out["runs"].values())
        # Every run and materialisation is in Postgres, seen by a fresh instance.
        again = DagsterInstance.from_config(str(home))
        assert type(again.run_storage).__name__ == "PostgresRunStorage"
        for key in ("trained_forecasters", "champion_forecaster", "backtest_report"):
            assert again.get_latest_materialization_event(AssetKey(key)) is not None, key
        # The models are registered on the server, their files served from its folder.
        from correlation_platform.tracking import MlflowStore

        store = MlflowStore()
        assert store.tracking_uri.startswith("http://")
        champion = store.load_forecaster("champion")
        chosen = json.loads(
            (corrplat_home / "assets" / "champion_forecaster" / "data.json").read_text()
        )
        assert champion.name == chosen["champion"]
        assert any((tmp_path / "mlartifacts").rglob("*.pkl")) or any(
            (tmp_path / "mlartifacts").rglob("MLmodel")
        )
        assert out["report"].exists() and not (corrplat_home / "mlflow" / "mlflow.db").exists()
    finally:
        stop_process(server)
        log.close()


def test_production_queue_admits_one_retraining_per_worker_and_one_run_per_partition():
    from correlation_platform.orchestration.jobs import POOL_TAG, retraining_job

    assert retraining_job.tags[POOL_TAG] == "retraining"
    limits = DOCKER_INSTANCE["run_coordinator"]["config"]["tag_concurrency_limits"]
    pool = next(lim for lim in limits if lim["key"] == POOL_TAG)
    workers = int(COMPOSE["services"]["dask-worker"]["command"].split("--nworkers")[1].split()[0])
    assert pool["value"] == "retraining" and pool["limit"] == workers
    partition = next(lim for lim in limits if lim["key"] == "dagster/partition")
    assert partition["value"] == {"applyLimitPerUniqueValue": True} and partition["limit"] == 1
    # The instance file loads with these limits (Dagster validates the run coordinator).
    from dagster._core.instance.config import dagster_instance_config

    assert dagster_instance_config(str(REPO / "docker"))[0]["run_coordinator"]
