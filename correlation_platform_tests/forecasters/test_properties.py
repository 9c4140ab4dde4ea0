"""Property: for any input, every family returns a valid correlation matrix or refuses with
a ValueError that says why; never a raw numerical exception, never an invalid matrix."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlation_platform.forecasters import get_forecaster
from correlation_platform.linalg import is_correlation_matrix

torch.set_num_threads(1)

#: Small windows so short random histories exercise the estimators, not only refusals.
PARAMS = {
    "historical": {"window": 20},
    "ewma": {"min_periods": 10},
    "ledoit_wolf": {"window": 20},
    "denoised": {"window": 20},
    "tic": {"window": 20},
    "dcc": {},
    "gbm": {"max_iter": 10, "min_history": 20, "min_samples_leaf": 5, "horizon": 5},
    "lstm": {"epochs": 1, "max_rows": 500, "hidden": 4, "min_history": 20, "horizon": 5},
}
EXAMPLES = {"dcc": 6, "gbm": 5, "lstm": 4}
KINDS = ("gaussian", "near_singular", "duplicate", "constant", "nan_run", "fat_tails")


def _returns(kind: str, n_obs: int, n_assets: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, n_assets)) * 0.01
    if kind == "near_singular":
        x[:, 1] = x[:, 0] + rng.standard_normal(n_obs) * 1e-12
    elif kind == "duplicate":
        x[:, -1] = x[:, 0]
    elif kind == "constant":
        x[:, 1] = 0.0
    elif kind == "nan_run":
        x[n_obs // 3 : n_obs // 3 + 5, 0] = np.nan
    elif kind == "fat_tails":
        x = rng.standard_t(2, size=(n_obs, n_assets)) * 0.01
    index = pd.bdate_range("2015-01-01", periods=n_obs, name="date")
    return pd.DataFrame(x, index=index, columns=[f"S{k}" for k in range(n_assets)])


def _features(returns: pd.DataFrame) -> pd.DataFrame:
    level = returns.abs().rolling(5, min_periods=1).mean().mean(axis=1)
    return pd.DataFrame({"stress": level.to_numpy() * 100}, index=returns.index)


def _tree(assets: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"asset": assets, "sector": [f"g{k % 2}" for k in range(len(assets))], "market": "all"},
        index=pd.Index(assets, name="asset"),
    )


@pytest.mark.parametrize("family", sorted(PARAMS))
def test_valid_matrix_or_clear_refusal_for_any_input(family):
    @settings(
        max_examples=EXAMPLES.get(family, 25),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        kind=st.sampled_from(KINDS),
        n_obs=st.integers(min_value=8, max_value=160),
        n_assets=st.integers(min_value=2, max_value=7),
        seed=st.integers(min_value=0, max_value=10_000),
    )
    def check(kind, n_obs, n_assets, seed):
        returns = _returns(kind, n_obs, n_assets, seed)
        params = dict(PARAMS[family])
        tree = _tree(list(returns.columns)) if family == "tic" else None
        features = _features(returns) if family in ("gbm", "lstm") else None
        try:
            model = get_forecaster(family, **params).fit(returns, features, tree=tree)
            horizon = params.get("horizon", 21)
            matrix = model.predict(returns, features, horizon=horizon)
        except ValueError as refusal:
            # numpy's LinAlgError is a ValueError too: a raw numerical failure is no refusal.
            assert not isinstance(refusal, np.linalg.LinAlgError), (family, kind, refusal)
            assert len(str(refusal)) > 20, (family, kind, refusal)  # a sentence, not a code
            return
        assert is_correlation_matrix(matrix.to_numpy()), (family, kind)
        assert list(matrix.columns) == list(returns.columns)

    check()
