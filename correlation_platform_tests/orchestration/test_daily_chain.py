"""The daily run on a bootstrapped synthetic home: blocking checks, backfills, external fills."""

import numpy as np
import pandas as pd
import pytest
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, DagsterInstance

from correlation_platform.orchestration.assets import predictions
from correlation_platform.orchestration.io_manager import read_stored, stored_partitions
from correlation_platform.orchestration.replay import Replay
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform.portfolio import CASH

MARKET = MarketDataResource(
    source="synthetic", options={"kind": "constant", "n_assets": 6, "n_days": 760, "seed": 5}
)
DATES = pd.bdate_range("2000-01-03", periods=760)
SETTINGS = PlatformSettings(horizon=10, volatility_model="ewma", tuning_budget_seconds=5.0)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("daily")
    mp = pytest.MonkeyPatch()
    mp.setenv("CORRPLAT_HOME", str(home))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    replay = Replay(MARKET, SETTINGS, families=["historical"], instance=DagsterInstance.ephemeral())
    replay.bootstrap(str(DATES[-11].date()))
    mp.undo()
    return home, replay


def _run(replay, day, settings=SETTINGS):
    replay.settings = settings
    defs = replay._defs(str(day.date()))
    return defs.resolve_job_def("daily_prediction_job").execute_in_process(
        partition_key=str(day.date()), instance=replay.instance, raise_on_error=False
    )


def _materialised(instance, asset, day) -> bool:
    records = instance.fetch_materializations(AssetKey(asset), limit=100).records
    return any(r.asset_materialization.partition == str(day.date()) for r in records)


def _failed(name):
    def check(*args, **kwargs):
        return AssetCheckResult(
            check_name=name, passed=False, severity=AssetCheckSeverity.ERROR, metadata={}
        )

    return check


@pytest.mark.slow
@pytest.mark.parametrize(
    ("patched", "check", "written"),
    [
        ("check_correlation", "valid_correlation", ["predicted_correlation"]),
        ("check_weights", "weights_valid", ["predicted_correlation", "target_weights"]),
    ],
)
def test_a_failed_blocking_check_stops_everything_downstream(
    home, monkeypatch, patched, check, written
):
    folder, replay = home
    monkeypatch.setenv("CORRPLAT_HOME", str(folder))
    monkeypatch.setattr(predictions, patched, _failed(check))
    day = DATES[-10] if check == "valid_correlation" else DATES[-9]
    result = _run(replay, day)
    assert not result.success
    for asset in written:
        assert _materialised(replay.instance, asset, day), asset
    assert not _materialised(replay.instance, "rebalance_orders", day)
    assert not (folder / "outbox" / str(day.date())).exists()


@pytest.mark.slow
def test_external_fills_move_the_book(home, monkeypatch):
    folder, replay = home
    monkeypatch.setenv("CORRPLAT_HOME", str(folder))
    external = PlatformSettings(**{**SETTINGS.model_dump(), "execution": "external"})
    first, second = DATES[-8], DATES[-7]
    assert _run(replay, first, external).success
    orders = pd.read_csv(folder / "outbox" / str(first.date()) / "orders.csv")
    fills = orders.assign(quantity=orders["quantity"] // 2, cost=1.0)
    fills[["order_id", "asset", "side", "quantity", "price", "cost"]].to_csv(
        folder / "outbox" / str(first.date()) / "fills.csv", index=False
    )
    assert _run(replay, second, external).success
    book = read_stored(stored_partitions("portfolio_book")[str(second.date())])
    held = book.drop(CASH)["shares"]
    expected = fills.set_index("asset")["quantity"].reindex(held.index).fillna(0)
    before = read_stored(stored_partitions("portfolio_book")[str(first.date())]).drop(CASH)
    pd.testing.assert_series_equal(
        held - before["shares"], expected.astype(float), check_names=False
    )


@pytest.mark.slow
def test_a_backfilled_past_day_uses_a_point_in_time_model(home, monkeypatch):
    folder, replay = home
    monkeypatch.setenv("CORRPLAT_HOME", str(folder))
    past = DATES[-200]
    assert _run(replay, past).success
    entry = replay.instance.get_latest_materialization_event(AssetKey("predicted_correlation"))
    meta = {k: getattr(v, "value", v) for k, v in entry.asset_materialization.metadata.items()}
    assert meta["model_source"] == "refit"
    assert pd.Timestamp(meta["model_fitted_until"]) < past.to_period("Q").start_time
    raw = replay.instance.get_latest_materialization_event(AssetKey("raw_prices"))
    assert raw.asset_materialization.metadata["last_date"].value == str(past.date())


@pytest.mark.slow
def test_a_feature_learning_champion_says_why_its_forecast_moved(tmp_path, monkeypatch):
    from correlation_platform.evaluation import select_champion
    from correlation_platform.evaluation.promotion import PromotionDecision
    from correlation_platform.forecasters import FORECASTERS
    from correlation_platform.orchestration.assets import models

    families = ["historical", "gbm"]

    def gbm_wins(records, **kwargs):
        real = select_champion(records, **kwargs)
        forced = PromotionDecision(True, "gbm", "historical", "gbm made champion by the test")
        return type(real)(forced, real.table, real.missing, real.lags)

    monkeypatch.setenv("CORRPLAT_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(models, "FORECASTERS", {f: FORECASTERS[f] for f in families})
    monkeypatch.setattr(models, "select_champion", gbm_wins)
    replay = Replay(MARKET, SETTINGS, families=families, instance=DagsterInstance.ephemeral())
    replay.bootstrap(str(DATES[-11].date()))
    first, second = DATES[-10], DATES[-4]
    assert _run(replay, first).success and _run(replay, second).success
    records = replay.instance.fetch_materializations(
        AssetKey("predicted_correlation"), limit=10
    ).records
    meta = {r.asset_materialization.partition: r.asset_materialization.metadata for r in records}
    assert meta[str(second.date())]["champion"].value == "gbm"
    # The previous rebalance is the last stored forecast's day, not the row before.
    assert meta[str(second.date())]["forecast_move_since"].value == str(first.date())
    assert meta[str(first.date())]["forecast_move_since"].value == str(DATES[-11].date())
    table = meta[str(second.date())]["forecast_move"].value
    assert "| avg_corr_21 " in table and "| pair features" in table
    assert "interaction (inputs moving together)" in table and "data:image/png;base64" in table
    assert np.isfinite(meta[str(second.date())]["forecast_move_change"].value)
