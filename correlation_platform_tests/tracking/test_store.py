import mlflow
import numpy as np
import pytest

from correlation_platform.forecasters import get_forecaster
from correlation_platform.tracking import MlflowStore


def test_log_register_alias_and_load_round_trip(regime_returns, corrplat_home):
    store = MlflowStore()
    assert store.tracking_uri.startswith("sqlite:///") and str(corrplat_home) in store.tracking_uri
    f = get_forecaster("ewma", decay=0.95).fit(regime_returns)
    logged = store.log_forecaster(
        f,
        "ewma-test",
        params=f.get_params(),
        metrics={"loss": 1.5, "importance/pair features (trailing/EWMA, vols)": 0.25},
        tags={"dagster.run_id": "run-1"},
        artifacts={"note.md": b"# hi", "explanation/importances.csv": b"a,1"},
    )
    store.set_alias("champion", logged.registered_version)
    assert store.alias_version("champion") == logged.registered_version
    assert store.alias_version("challenger") is None
    assert store.version_tags(logged.registered_version)["family"] == "ewma"

    run = store.client.get_run(logged.run_id)
    assert run.data.params["decay"] == "0.95" and run.data.metrics["loss"] == 1.5
    # A label MLflow would refuse is logged under a valid key, not dropped.
    assert run.data.metrics["importance/pair features _trailing/EWMA_ vols"] == 0.25
    nested = [a.path for a in store.client.list_artifacts(logged.run_id, "explanation")]
    assert nested == ["explanation/importances.csv"]
    assert run.data.tags["dagster.run_id"] == "run-1"

    model = mlflow.pyfunc.load_model("models:/correlation_forecaster@champion")
    predicted = model.predict(regime_returns)
    np.testing.assert_allclose(predicted.to_numpy(), f.predict(regime_returns).to_numpy())
    assert store.load_forecaster("champion").get_params()["decay"] == 0.95

    second = store.log_forecaster(get_forecaster("historical").fit(regime_returns), "hist")
    assert int(second.registered_version) == int(logged.registered_version) + 1
    assert store.load_forecaster(second.registered_version).name == "historical"


def test_pyfunc_passes_feature_columns_to_feature_models(regime_returns, regime_market):
    from correlation_platform.features import build_feature_panel

    panel = build_feature_panel(regime_returns, regime_market.indicators)
    f = get_forecaster("gbm", max_iter=20).fit(regime_returns, panel)
    store = MlflowStore()
    logged = store.log_forecaster(f, "gbm-test")
    model = mlflow.pyfunc.load_model(f"models:/correlation_forecaster/{logged.registered_version}")
    frame = regime_returns.join(panel.add_prefix("f:"))
    np.testing.assert_allclose(
        model.predict(frame).to_numpy(), f.predict(regime_returns, panel).to_numpy()
    )


def test_loading_a_model_with_logged_code_leaves_sys_path_alone(regime_returns, tmp_path):
    """A model logged with a copy of the package (as older versions did) must not put that
    copy on sys.path, where worker processes started later would import it."""
    import sys

    from correlation_platform.tracking.pyfunc import ForecasterPyfunc
    from correlation_platform.tracking.store import pip_requirements

    stale = tmp_path / "stale_code"
    stale.mkdir()
    (stale / "marker_module.py").write_text("STALE = True\n")
    store = MlflowStore()
    exp = store.activate()
    with mlflow.start_run(experiment_id=exp):
        info = mlflow.pyfunc.log_model(
            name="forecaster",
            python_model=ForecasterPyfunc(get_forecaster("ewma").fit(regime_returns)),
            pip_requirements=pip_requirements(),
            code_paths=[str(stale)],
            registered_model_name=store.registered_model,
        )
    before = list(sys.path)
    loaded = store.load_forecaster(str(info.registered_model_version))
    assert loaded.name == "ewma"
    assert sys.path == before
    store.set_alias("champion", str(info.registered_model_version))
    store.load_pyfunc("champion")
    assert sys.path == before


def test_the_recorded_version_is_loaded_and_a_hand_moved_alias_is_reported(regime_returns):
    store = MlflowStore()
    first = store.log_forecaster(get_forecaster("ewma", decay=0.9).fit(regime_returns), "a")
    second = store.log_forecaster(get_forecaster("historical").fit(regime_returns), "b")
    store.set_alias("champion", first.registered_version)
    agreed = store.load_recorded(first.registered_version)
    assert agreed.mismatch == "" and agreed.forecaster.name == "ewma"
    store.set_alias("champion", second.registered_version)  # moved by hand in the MLflow UI
    moved = store.load_recorded(first.registered_version)
    assert moved.forecaster.name == "ewma" and moved.version == first.registered_version
    assert moved.alias_version == second.registered_version
    assert f"points at version {second.registered_version}" in moved.mismatch


def test_an_unreachable_server_fails_fast_with_one_clear_message():
    import socket

    from correlation_platform.tracking import MlflowUnavailableError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = MlflowStore(tracking_uri=f"http://127.0.0.1:{port}")
    with pytest.raises(MlflowUnavailableError, match=rf"127.0.0.1:{port} is unreachable after 2"):
        store.check_reachable(attempts=2, backoff=0.05)
    MlflowStore().check_reachable()  # the embedded SQLite store is reachable


def test_runs_left_running_by_a_killed_dagster_run_are_closed(regime_returns):
    store = MlflowStore()
    exp = store.activate()
    client = store.client
    dead = client.create_run(exp, tags={"dagster.run_id": "killed-run"}).info.run_id
    alive = client.create_run(exp, tags={"dagster.run_id": "live-run"}).info.run_id
    closed = store.close_orphans(lambda run_id: run_id == "live-run")
    assert closed == [dead]
    assert client.get_run(dead).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"
    assert store.close_orphans(lambda run_id: run_id == "live-run") == []


def test_a_copied_home_uses_its_own_artifacts(regime_returns, tmp_path, monkeypatch):
    import shutil

    original = tmp_path / "original"
    monkeypatch.setenv("CORRPLAT_HOME", str(original))
    store = MlflowStore()
    logged = store.log_forecaster(get_forecaster("ewma", decay=0.93).fit(regime_returns), "a")
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    shutil.rmtree(original)  # moved, not copied: the old folder is gone
    monkeypatch.setenv("CORRPLAT_HOME", str(copy))
    # A new process starts without the URI mlflow.set_tracking_uri exported for the first.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    moved = MlflowStore()
    assert moved.load_forecaster(logged.registered_version).get_params()["decay"] == 0.93
    second = moved.log_forecaster(get_forecaster("historical").fit(regime_returns), "b")
    run = moved.client.get_run(second.run_id)
    assert run.info.artifact_uri.startswith((copy / "mlflow" / "artifacts").as_uri())
    assert not original.exists()
