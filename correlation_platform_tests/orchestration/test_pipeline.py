"""The whole asset graph, in process, on a small synthetic universe."""

import json
import shutil
import socket

import pandas as pd
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from correlation_platform.definitions import build_definitions
from correlation_platform.forecasters import FORECASTERS
from correlation_platform.linalg import is_correlation_matrix
from correlation_platform.orchestration.materialize_all import materialize_all
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform_tests.orchestration.test_definitions import ASSETS

SYNTHETIC = MarketDataResource(
    source="synthetic", options={"kind": "regime", "n_assets": 5, "n_days": 900, "seed": 3}
)
SETTINGS = PlatformSettings(
    train_size=300, tuning_budget_seconds=5.0, objective="target_volatility", backtest_workers=1
)


@pytest.mark.slow
def test_materialize_whole_graph_on_synthetic(corrplat_home, monkeypatch):
    instance = DagsterInstance.ephemeral()
    out = materialize_all(
        instance=instance, resources={"market_data": SYNTHETIC, "settings": SETTINGS}
    )
    for keys in ASSETS.values():
        for key in keys:
            assert instance.get_latest_materialization_event(AssetKey(key)) is not None, key
    evaluations = [e for r in out["runs"].values() for e in r.get_asset_check_evaluations()]
    assert evaluations and all(e.passed for e in evaluations)

    assets = corrplat_home / "assets"
    day = out["prediction_day"]
    corr = pd.read_parquet(assets / "predicted_correlation" / f"{day}.parquet")
    assert is_correlation_matrix(corr.to_numpy())
    weights = pd.read_parquet(assets / "target_weights" / f"{day}.parquet")["weight"]
    assert weights.sum() == pytest.approx(1.0)
    orders = json.loads((corrplat_home / "outbox" / day / "orders.json").read_text())
    assert orders["partition"] == day and orders["orders"]
    page = out["report"].read_text()
    assert 'class="verdict"' in page and "objective=target_volatility" in page
    assert page.count("Plotly.newPlot") >= 9 and "Rolling 1-year realised volatility" in page
    champion = json.loads((assets / "champion_forecaster" / "data.json").read_text())
    assert champion["champion"] in FORECASTERS
    assert (corrplat_home / "mlflow" / "mlflow.db").exists()
    # The report and its headline metrics are attached to the champion's MLflow run.
    from correlation_platform.tracking import MlflowStore

    client = MlflowStore().client
    logged = [a.path for a in client.list_artifacts(champion["mlflow_run_id"], "backtest")]
    assert "backtest/backtest_report.html" in logged
    metrics = client.get_run(champion["mlflow_run_id"]).data.metrics
    assert "backtest_sharpe" in metrics
    report_event = instance.get_latest_materialization_event(AssetKey("backtest_report"))
    meta = report_event.asset_materialization.metadata
    assert "verdict" in meta and "market_conditions" in meta
    # The feature-learning families explain themselves: MLflow, metadata, the report.
    trained = json.loads((assets / "trained_forecasters" / "gbm.json").read_text())
    importances = trained["explanation"]["importances"]
    assert set(importances) >= {
        "stress_index",
        "pair features (trailing/EWMA correlation, volatilities)",
    }
    explained = [a.path for a in client.list_artifacts(trained["mlflow_run_id"], "explanation")]
    assert set(explained) == {
        f"explanation/{name}" for name in ("importances.csv", "explanation.png", "explanation.json")
    }
    logged_metrics = client.get_run(trained["mlflow_run_id"]).data.metrics
    assert logged_metrics["importance/stress_index"] == pytest.approx(importances["stress_index"])
    records = instance.fetch_materializations(AssetKey("trained_forecasters"), limit=50).records
    (gbm_meta,) = [
        r.asset_materialization.metadata
        for r in records
        if r.asset_materialization.partition == "gbm"
    ]
    assert {"importances", "explanation"} <= set(gbm_meta)
    assert "What drives the forecasts of the feature-learning families" in page
    assert "<h3>gbm</h3>" in page and "<h3>lstm</h3>" in page

    # The tracking server goes away: the day's chain still forecasts from the champion
    # step's verified local copy, writes its orders and raises one alert naming the URI.
    assert champion["local_copy"]["version"] == champion["registered_version"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", down)
    shutil.rmtree(corrplat_home / "outbox" / day)
    defs = build_definitions({"market_data": SYNTHETIC, "settings": SETTINGS})
    result = materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        selection=AssetSelection.groups("predictions", "monitoring"),
        partition_key=day,
    )
    assert result.success
    assert json.loads((corrplat_home / "outbox" / day / "orders.json").read_text())["orders"]
    alert = json.loads((corrplat_home / "alerts" / f"tracking_unavailable-{day}.json").read_text())
    assert down in json.dumps(alert)
    event = instance.get_latest_materialization_event(AssetKey("predicted_correlation"))
    assert event.asset_materialization.metadata["model_loaded_from"].value == "local copy"


@pytest.mark.slow
def test_partial_training_never_moves_the_champion(corrplat_home):
    from dagster import AssetSelection, materialize

    from correlation_platform.definitions import build_definitions
    from correlation_platform.tracking import MlflowStore

    defs = build_definitions({"market_data": SYNTHETIC, "settings": SETTINGS})
    assets, res = list(defs.assets), dict(defs.resources)
    instance = DagsterInstance.ephemeral()
    materialize(
        assets,
        instance=instance,
        resources=res,
        selection=AssetSelection.groups("ingestion", "features"),
    )
    for family in ("historical", "ewma"):
        materialize(
            assets,
            instance=instance,
            resources=res,
            partition_key=family,
            selection=AssetSelection.assets("trained_forecasters"),
        )
    result = materialize(
        assets,
        instance=instance,
        resources=res,
        selection=AssetSelection.assets("champion_forecaster"),
    )
    decision = result.output_for_node("champion_forecaster")
    assert not decision["promoted"] and "partial training" in decision["reason"]
    assert MlflowStore().alias_version("champion") is None  # no alias moved
