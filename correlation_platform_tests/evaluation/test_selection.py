import numpy as np
import pandas as pd
import pytest

from correlation_platform.evaluation import (
    forecast_losses,
    train_validation_test,
    tune_and_test,
    walk_forward,
)
from correlation_platform.forecasters import get_forecaster
from correlation_platform.forecasters.ewma import EWMAForecaster


def test_blocks_are_ordered_disjoint_and_purged():
    s = train_validation_test(2000, horizon=21, embargo=5)
    assert s.train[-1] < s.validation[0] < s.validation[-1] < s.test[0]
    assert not set(s.train) & set(s.validation) and not set(s.validation) & set(s.test)
    # A training date's label window (t+1..t+h) ends before validation, plus the embargo.
    assert s.train[-1] + 21 + 5 < s.validation[0]
    assert s.validation[-1] + 21 + 5 < s.test[0]
    assert s.test[-1] + 21 <= 1999  # every test label window closes inside the data
    with pytest.raises(ValueError, match="too few"):
        train_validation_test(300, horizon=21)


def test_walk_forward_folds_expand_and_purge():
    folds = walk_forward(1500, horizon=21, n_folds=3, min_train=252, embargo=5)
    assert len(folds) == 3
    for train, val in folds:
        assert train[-1] + 21 + 5 < val[0]
    assert folds[0][0][-1] < folds[1][0][-1] < folds[2][0][-1]


def test_forecast_losses_by_hand(regime_returns):
    f = get_forecaster("historical").fit(regime_returns)
    pos = np.array([400])
    losses = forecast_losses(f, regime_returns, None, pos, 21)
    pred = f.predict(regime_returns.iloc[:401]).to_numpy()
    real = np.corrcoef(regime_returns.iloc[401:422].to_numpy(), rowvar=False)
    assert losses["frobenius"].iloc[0] == pytest.approx(np.linalg.norm(pred - real))
    _sign, logdet = np.linalg.slogdet(pred)
    assert losses["qlike"].iloc[0] == pytest.approx(logdet + np.trace(np.linalg.solve(pred, real)))
    vols = np.sqrt((regime_returns**2).ewm(halflife=21).mean().to_numpy()[400])
    cov = pred * np.outer(vols, vols)
    w = np.linalg.solve(cov, np.ones(6))
    w /= w.sum()
    port = regime_returns.iloc[401:422].to_numpy() @ w
    assert losses["gmv_variance"].iloc[0] == pytest.approx(np.var(port, ddof=1) * 252)


def recording_ewma(fitted_on: list) -> EWMAForecaster:
    """An EWMA whose clones record the training rows every fit receives."""

    class RecordingEWMA(EWMAForecaster):
        def fit(self, returns, features=None, *, tree=None):
            fitted_on.append(returns.index)
            return super().fit(returns, features, tree=tree)

    return RecordingEWMA()


def test_tuning_never_sees_the_test_block(regime_returns):
    fitted_on = []
    make = recording_ewma(fitted_on)
    res = tune_and_test(make, regime_returns, None, grid={"decay": [0.9, 0.97]}, horizon=21)
    test_start = regime_returns.index[res.split.test[0]]
    seen = [rows[-1] for rows in fitted_on]
    assert all(d < test_start for d in seen) and len(seen) == 3  # two grid points + the refit
    assert res.params["decay"] in (0.9, 0.97)
    assert list(res.validation["decay"]) == [0.9, 0.97]
    assert len(res.test_losses) > 0 and res.test_losses.index[0] >= test_start


def test_time_budget_bounds_the_grid(regime_returns):
    res = tune_and_test(
        get_forecaster("historical"),
        regime_returns,
        None,
        grid={"window": [100, 150, 200, 250]},
        time_budget=0.0,
    )
    assert len(res.validation) == 1  # the first point always runs


def test_loss_frame_is_dated(regime_returns):
    f = get_forecaster("ewma").fit(regime_returns)
    out = forecast_losses(f, regime_returns, None, np.array([300, 305]), 21)
    assert isinstance(out.index, pd.DatetimeIndex) and list(out.columns) == [
        "frobenius",
        "qlike",
        "cmd",
        "gmv_variance",
    ]


def test_infeasible_grid_points_are_skipped_with_a_note(regime_returns):
    res = tune_and_test(
        get_forecaster("historical"), regime_returns, None, grid={"window": [5000, 126]}
    )
    assert res.params == {"window": 126}
    assert res.validation["note"].iloc[0].startswith("skipped: historical(window=5000)")
    with pytest.raises(ValueError, match="no grid point could be evaluated"):
        tune_and_test(get_forecaster("historical"), regime_returns, None, grid={"window": [5000]})


def test_walk_forward_tuning_fits_before_each_sub_block(regime_returns):
    fitted_on = []
    make = recording_ewma(fitted_on)
    res = tune_and_test(make, regime_returns, None, grid={"decay": [0.97]}, horizon=21, folds=3)
    ends = [len(rows) - 1 for rows in fitted_on]
    blocks = np.array_split(res.split.validation, 3)
    assert ends[:3] == [b[0] - 21 - 5 - 1 for b in blocks]  # purged and embargoed, expanding
    assert ends[3] == res.split.test[0] - 27  # the final refit stops before the test block
