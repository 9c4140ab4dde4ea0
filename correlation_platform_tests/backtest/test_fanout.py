import numpy as np
import pandas as pd

from correlation_platform.backtest import run_backtest, run_backtests

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
