"""The ML families on synthetic markets where the answer is known (DESIGN: macro / macro_null)."""

import numpy as np
import pytest

from correlation_platform.data.synthetic import simulate_market
from correlation_platform.evaluation.truth import truth_losses as evaluation_truth_losses
from correlation_platform.forecasters import get_forecaster
from correlation_platform.tracking import MlflowStore

SPLIT = 2000


def truth_losses(kind: str, names=("historical", "ewma", "gbm", "lstm"), seed: int = 4):
    return evaluation_truth_losses(
        simulate_market(n_assets=8, n_days=3000, kind=kind, seed=seed), names, SPLIT
    )


@pytest.mark.slow
def test_ml_models_find_the_macro_signal():
    loss = truth_losses("macro")
    for ml in ("gbm", "lstm"):
        assert loss[ml] < loss["historical"] and loss[ml] < loss["ewma"], loss


@pytest.mark.slow
def test_ml_models_invent_nothing_on_macro_null():
    loss = truth_losses("macro_null")
    for ml in ("gbm", "lstm"):
        assert loss[ml] <= 1.1 * loss["ewma"], loss


def test_lstm_is_deterministic_for_a_seed(regime_returns, regime_panel):
    kw = {"epochs": 2, "max_rows": 2000, "hidden": 8, "seed": 3}
    a = get_forecaster("lstm", **kw).fit(regime_returns, regime_panel)
    b = get_forecaster("lstm", **kw).fit(regime_returns, regime_panel)
    np.testing.assert_array_equal(
        a.predict(regime_returns, regime_panel), b.predict(regime_returns, regime_panel)
    )
    assert a.epochs_run_ <= 2 and len(a.history_) == a.epochs_run_


def test_lstm_round_trips_through_mlflow(regime_returns, regime_panel):
    f = get_forecaster("lstm", epochs=2, max_rows=2000, hidden=8).fit(regime_returns, regime_panel)
    store = MlflowStore()
    logged = store.log_forecaster(f, "lstm-test")
    loaded = store.load_forecaster(logged.registered_version)
    np.testing.assert_allclose(
        loaded.predict(regime_returns, regime_panel).to_numpy(),
        f.predict(regime_returns, regime_panel).to_numpy(),
    )
    reqs = store.client.download_artifacts(logged.run_id, "forecaster/requirements.txt")
    assert "torch==2.13.0" in open(reqs).read()
