"""The tracking server's faults, one test each: bounded time, a message naming what broke."""

import socket
import threading
import time
from pathlib import Path

import pytest

from correlation_platform.forecasters import get_forecaster
from correlation_platform.paths import subdir
from correlation_platform.tracking import (
    DamagedModelError,
    LocalModelCopy,
    MlflowStore,
    MlflowUnavailableError,
)
from correlation_platform.tracking.store import HTTP_BOUNDS, PING_ATTEMPTS, PING_TIMEOUT

#: The reachability check's worst case (every attempt times out, plus its two backoffs).
CHECK_BOUND = PING_ATTEMPTS * PING_TIMEOUT + 1.0 + 2.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A local socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def champion(regime_returns):
    """An embedded store with an ewma champion and its verified local copy."""
    store = MlflowStore()
    logged = store.log_forecaster(
        get_forecaster("ewma", decay=0.91).fit(regime_returns), "ewma", tags={"family": "ewma"}
    )
    store.set_alias("champion", logged.registered_version)
    local = store.keep_local_copy(logged.registered_version, subdir("models"))
    return store, logged.registered_version, local


def _artifact(store: MlflowStore, version: str) -> Path:
    source = store.client.get_model_version(store.registered_model, version).source
    root = store.client.get_logged_model(source.removeprefix("models:/")).artifact_location
    return Path(root.removeprefix("file://")) / "python_model.pkl"


def test_a_local_copy_is_verified_relative_to_the_home(champion, corrplat_home):
    store, version, local = champion
    assert not Path(local.path).is_absolute() and local.file.is_relative_to(corrplat_home)
    assert local.version == version and local.family == "ewma"
    assert LocalModelCopy.from_dict(local.to_dict()) == local
    recorded = store.load_recorded(version, local=local)
    assert recorded.source == "local copy" and recorded.forecaster.get_params()["decay"] == 0.91
    assert recorded.mismatch == "" and recorded.unavailable == ""


@pytest.mark.parametrize("fault", ["closed port", "never answers"])
def test_the_daily_model_loads_without_the_server(fault, champion, silent_server, monkeypatch):
    _, version, local = champion
    uri = f"http://127.0.0.1:{_closed_port()}" if fault == "closed port" else silent_server
    down = MlflowStore(tracking_uri=uri)
    started = time.monotonic()
    recorded = down.load_recorded(version, local=local)
    elapsed = time.monotonic() - started
    assert recorded.source == "local copy" and recorded.forecaster.name == "ewma"
    assert uri in recorded.unavailable and "local copy is used" in recorded.unavailable
    assert recorded.mismatch == ""  # not checked, not invented
    assert elapsed < CHECK_BOUND + 2.0, elapsed


@pytest.mark.parametrize("fault", ["closed port", "never answers"])
def test_without_a_local_copy_the_error_names_the_uri_in_bounded_time(fault, silent_server):
    uri = f"http://127.0.0.1:{_closed_port()}" if fault == "closed port" else silent_server
    started = time.monotonic()
    with pytest.raises(MlflowUnavailableError) as err:
        MlflowStore(tracking_uri=uri).load_recorded("3")
    assert time.monotonic() - started < CHECK_BOUND + 2.0
    message = str(err.value)
    assert uri in message and "loading version 3 of 'correlation_forecaster'" in message
    assert "No verified local copy" in message


def test_mlflow_own_requests_are_bounded_against_a_silent_server(silent_server, monkeypatch):
    for name in HTTP_BOUNDS:
        monkeypatch.delenv(name, raising=False)
    store = MlflowStore(tracking_uri=silent_server)
    import os

    assert {name: os.environ[name] for name in HTTP_BOUNDS} == HTTP_BOUNDS
    # The same bounds, scaled down so the test is quick: MLflow must honour them per call.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - MLflow's transport error, whatever its type
        store.client.get_registered_model(store.registered_model)
    # (1 + retries) timeouts plus MLflow's backoff (factor 1: 1 s after the first failure).
    retries = int(HTTP_BOUNDS["MLFLOW_HTTP_REQUEST_MAX_RETRIES"])
    assert time.monotonic() - started < (1 + retries) * 1.0 + 1.0 + 3.0


def test_a_truncated_artifact_is_named(champion):
    store, version, local = champion
    artifact = _artifact(store, version)
    artifact.write_bytes(artifact.read_bytes()[:200])
    with pytest.raises(DamagedModelError) as err:
        store.load_forecaster(version)
    message = str(err.value)
    for part in (
        "'correlation_forecaster'",
        f"version {version}",
        "family ewma",
        "python_model.pkl",
    ):
        assert part in message, part
    assert "UnpicklingError" in message or "EOFError" in message
    # The verified copy stands in, and says so.
    recorded = store.load_recorded(version, local=local)
    assert recorded.source == "local copy" and recorded.forecaster.name == "ewma"
    # A new copy is refused rather than made from the damaged file.
    with pytest.raises(DamagedModelError, match=f"version {version}"):
        store.keep_local_copy(version, subdir("models"))


def test_an_altered_local_copy_is_refused_and_the_registry_used(champion):
    store, version, local = champion
    local.file.write_bytes(local.file.read_bytes()[:-1] + b"\x00")
    recorded = store.load_recorded(version, local=local)
    assert recorded.source == "registry" and recorded.forecaster.name == "ewma"
    (note,) = recorded.notes
    assert str(local.file) in note and "sha256" in note and f"version {version}" in note
    _artifact(store, version).write_bytes(b"not a pickle")
    with pytest.raises(DamagedModelError, match=r"python_model\.pkl"):
        store.load_recorded(version, local=local)


def test_an_artifact_that_is_not_a_forecaster_is_named(champion):
    import cloudpickle

    store, version, _ = champion
    # A version whose file holds another family than its tag says is not copied either.
    store.client.set_model_version_tag(store.registered_model, version, "family", "dcc")
    with pytest.raises(DamagedModelError, match="holds a ewma forecaster, not dcc"):
        store.keep_local_copy(version, subdir("models"))
    _artifact(store, version).write_bytes(cloudpickle.dumps({"weights": [1, 2]}))
    with pytest.raises(DamagedModelError, match="unpickles to dict, not a correlation"):
        store.load_forecaster(version)


def test_versions_of_runs_that_did_not_finish_are_marked_and_never_aliased(regime_returns):
    store = MlflowStore()
    fit = get_forecaster("historical").fit(regime_returns)
    versions = {
        run: store.log_forecaster(fit, run, tags={"dagster.run_id": run}).registered_version
        for run in ("killed", "succeeded", "still-going", "failed")
    }
    notebook = store.log_forecaster(fit, "notebook").registered_version
    states = {"killed": "unknown", "succeeded": "success", "still-going": "running"}
    marked = store.mark_incomplete(lambda run: states.get(run, "failure"))
    assert sorted(marked) == sorted([versions["killed"], versions["failed"]])
    for run, status in [
        ("killed", "incomplete"),
        ("failed", "incomplete"),
        ("succeeded", "complete"),
    ]:
        assert store.version_tags(versions[run])["status"] == status
    assert "status" not in store.version_tags(versions["still-going"])
    assert "status" not in store.version_tags(notebook)
    described = store.client.get_model_version(store.registered_model, versions["killed"])
    assert "Never made champion or challenger" in described.description
    with pytest.raises(ValueError, match=f"version {versions['killed']} .* marked incomplete"):
        store.require_complete(versions["killed"])
    store.require_complete(versions["succeeded"])
    store.require_complete(notebook)
    assert store.mark_incomplete(lambda run: states.get(run, "failure")) == []  # marked once
    # The run that was still going ends without success: its version is marked then.
    assert store.mark_incomplete(lambda run: "failure") == [versions["still-going"]]
