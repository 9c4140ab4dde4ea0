"""Training partitions fan out over worker processes or a Dask cluster, results unchanged."""

import json

import pytest
from dagster import AssetSelection, DagsterInstance

from correlation_platform.orchestration.materialize_all import _run, train_partitions
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings

FAMILIES = ["historical", "ewma", "ledoit_wolf"]
RESOURCES = {
    "market_data": MarketDataResource(
        source="synthetic", options={"kind": "regime", "n_assets": 5, "n_days": 700, "seed": 3}
    ),
    # A budget no grid reaches: the chosen parameters must not depend on the machine's speed.
    "settings": PlatformSettings(train_size=300, tuning_budget_seconds=600.0),
}


def _records(home) -> dict:
    folder = home / "assets" / "trained_forecasters"
    out = {}
    for family in FAMILIES:
        record = json.loads((folder / f"{family}.json").read_text())
        out[family] = {k: record[k] for k in ("params", "test_losses", "test_mean", "train_end")}
    return out


def _features(instance):
    from correlation_platform.definitions import build_definitions

    defs = build_definitions(RESOURCES)
    _run(
        "features",
        list(defs.assets),
        dict(defs.resources),
        instance,
        selection=AssetSelection.groups("ingestion", "features"),
    )


@pytest.mark.slow
def test_training_in_processes_and_on_dask_stores_what_one_process_stores(corrplat_home):
    from distributed import LocalCluster

    instance = DagsterInstance.get()  # persistent: DAGSTER_HOME under the test's home
    _features(instance)
    one = train_partitions(instance, RESOURCES, FAMILIES)
    assert all(r.success for r in one.values())
    expected = _records(corrplat_home)
    two = train_partitions(instance, RESOURCES, FAMILIES, n_jobs=2)
    assert set(two) == {f"train {f}" for f in FAMILIES}
    assert _records(corrplat_home) == expected
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = train_partitions(
            instance, RESOURCES, FAMILIES, scheduler=cluster.scheduler_address
        )
    assert _records(corrplat_home) == expected
    # Every run is in the instance, each a success.
    for run_id in [*two.values(), *on_dask.values()]:
        assert instance.get_run_by_id(run_id).is_success


def test_an_ephemeral_instance_cannot_be_shared_with_workers():
    with pytest.raises(ValueError, match="persistent DAGSTER_HOME"):
        train_partitions(DagsterInstance.ephemeral(), RESOURCES, FAMILIES, n_jobs=2)
