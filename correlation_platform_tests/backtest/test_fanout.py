import numpy as np
import pandas as pd

from correlation_platform.backtest import run_backtest, run_backtests
from correlation_platform.forecasters import get_forecaster

KW = dict(rebalance_every=21, train_size=300, refit_every=126, bounds=(0.0, 0.5))


def test_fan_out_is_identical_for_any_worker_count_and_matches_single_runs(regime_returns):
    families = ["ewma", "ledoit_wolf"]
    objectives = ["min_variance", "target_volatility"]
    one = run_backtests(regime_returns, families, objectives=objectives, n_jobs=1, **KW)
    two = run_backtests(regime_returns, families, objectives=objectives, n_jobs=2, **KW)
    assert set(one) == {(f, o) for f in ["historical", *families] for o in objectives}
    for key in one:
        pd.testing.assert_series_equal(one[key].returns, two[key].returns, check_exact=True)
        pd.testing.assert_frame_equal(one[key].weights, two[key].weights, check_exact=True)
    single = run_backtest(regime_returns, "ewma", objective="target_volatility", **KW)
    np.testing.assert_allclose(
        single.returns.to_numpy(), one[("ewma", "target_volatility")].returns.to_numpy(), atol=1e-9
    )
    assert one[("ewma", "min_variance")].benchmark is one[("historical", "min_variance")] or (
        one[("ewma", "min_variance")].benchmark.name == "historical"
    )


def test_fan_out_on_a_local_dask_cluster_matches_local_processes(regime_returns, regime_market):
    from distributed import LocalCluster

    models = {"ewma": "ewma", "tic": get_forecaster("tic")}
    tree = regime_market.sectors
    local = run_backtests(regime_returns, models, n_jobs=1, tree=tree, **KW)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = run_backtests(
            regime_returns, models, scheduler=cluster.scheduler_address, tree=tree, **KW
        )
    expected = {(f, "min_variance") for f in ("historical", "ewma", "tic")}
    assert set(on_dask) == set(local) == expected
    for key in local:
        pd.testing.assert_series_equal(local[key].returns, on_dask[key].returns, check_exact=True)
