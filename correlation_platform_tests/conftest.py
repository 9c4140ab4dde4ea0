"""Shared fixtures: every test writes its state to a temporary CORRPLAT_HOME."""

from __future__ import annotations

import os
import socket
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch

from correlation_platform.data import load_market_data
from correlation_platform.features import simple_returns

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def corrplat_home(tmp_path, monkeypatch):
    """Isolate local state (Dagster home, MLflow db, assets, outbox, alerts) per test."""
    home = tmp_path / "corrplat"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    monkeypatch.setenv("CORRPLAT_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("CORRPLAT_SOURCE", raising=False)
    return home


@pytest.fixture(scope="session")
def regime_market():
    return load_market_data("synthetic", kind="regime", n_assets=6, n_days=900, seed=7)


@pytest.fixture(scope="session")
def regime_returns(regime_market) -> pd.DataFrame:
    return simple_returns(regime_market.prices)


@pytest.fixture(scope="session")
def bundled_market():
    return load_market_data("bundled")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def postgres_available() -> bool:
    import psycopg2

    try:
        psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3
        ).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_server():
    """The local PostgreSQL server; skipped when unreachable, a failure in CI."""
    if not postgres_available():
        message = "PostgreSQL is not reachable on 127.0.0.1:5432"
        if os.environ.get("CORRPLAT_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and CORRPLAT_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def fresh_database(name: str) -> str:
    """Drop and create database ``name``; return its SQLAlchemy URL (psycopg2 driver)."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if a loaded machine keeps the graceful shutdown past 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
